package io.jettygraceful.it.bench;

import io.jettygraceful.it.Restarts;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Subreaper;

/**
 * One strategy under load: start the example, start the load, restart {@code N} times the strategy's way, stop the
 * load. Every process started or learned of is owned by a {@link ProcessTracker} and ended and reaped at the end;
 * generations the example spawned itself are adopted by this JVM as {@link Subreaper} and reaped as they exit.
 */
final class RestartRun
{
    private static final int SIGHUP = 1;
    private static final Duration SERVING_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(5);
    /** A restart window lasts from the trigger to this long after the new process first answered. */
    static final Duration WINDOW_AFTER_SERVING = Duration.ofSeconds(1);

    /**
     * One restart, ns from the run's origin.
     *
     * @param serving when a /status poll first got an answer from the new process
     * @param oldExited when the old process had exited
     */
    record Restart(int index, long trigger, long serving, long oldExited, long oldPid, long newPid)
    {
        long handoffNs()
        {
            return serving - trigger;
        }

        Recording.Window window()
        {
            return new Recording.Window(trigger, serving + WINDOW_AFTER_SERVING.toNanos());
        }
    }

    record Result(Strategy strategy, Recording recording, List<Restart> restarts, long loadEnd)
    {
        List<Recording.Window> windows()
        {
            return restarts.stream().map(Restart::window).toList();
        }
    }

    private RestartRun()
    {
    }

    static Result run(Strategy strategy, Settings settings, ProcessTracker processes) throws IOException
    {
        Subreaper.enable();
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(builder(strategy, port));
        first.servingPid(SERVING_TIMEOUT);
        ExampleProcess current = first;
        long currentPid = first.pid();
        long origin = System.nanoTime();
        List<Restart> restarts = new ArrayList<>();
        Recording recording;
        BenchClient client = BenchClient.start(BenchClient.Config.defaults(port), origin);
        try
        {
            progress(strategy, "port " + port + ", pid " + currentPid + ", warming up for " + settings.warmup().toMillis() + " ms");
            Restarts.pause(settings.warmup());
            for (int i = 1; i <= settings.restarts(); i++)
            {
                long trigger = System.nanoTime() - origin;
                long serving;
                long exited;
                long newPid;
                switch (strategy)
                {
                    case STOP_START ->
                    {
                        current.terminate();
                        awaitExit(current);
                        exited = System.nanoTime() - origin;
                        current = processes.start(builder(strategy, port));
                        newPid = current.pid();
                        awaitServing(port, newPid, currentPid);
                        serving = System.nanoTime() - origin;
                    }
                    case REUSE_PORT ->
                    {
                        ExampleProcess next = processes.start(builder(strategy, port));
                        newPid = next.pid();
                        awaitServing(port, newPid, currentPid);
                        serving = System.nanoTime() - origin;
                        current.terminate();
                        awaitExit(current);
                        exited = System.nanoTime() - origin;
                        current = next;
                    }
                    case HANDOFF ->
                    {
                        if (!Subreaper.signal(currentPid, SIGHUP))
                            throw new IllegalStateException("cannot send SIGHUP to " + currentPid + ": gone");
                        newPid = awaitServing(port, -1, currentPid);
                        serving = System.nanoTime() - origin;
                        processes.saw(newPid);
                        awaitExitAndReap(currentPid, currentPid == first.pid() ? first : null);
                        exited = System.nanoTime() - origin;
                    }
                    default -> throw new IllegalStateException(strategy.toString());
                }
                Restart restart = new Restart(i, trigger, serving, exited, currentPid, newPid);
                restarts.add(restart);
                progress(strategy, String.format("restart %d/%d: pid %d -> %d, new pid serving after %d ms, old exited after %d ms; so far ok=%d failed=%d",
                    i, settings.restarts(), currentPid, newPid, (serving - trigger) / Recording.MS, (exited - trigger) / Recording.MS,
                    client.ok(), client.failed()));
                currentPid = newPid;
                Restarts.pause(i < settings.restarts() ? settings.settle() : settings.tail());
            }
        }
        finally
        {
            recording = client.stop();
        }
        Result result = new Result(strategy, recording, List.copyOf(restarts), recording.stoppedAt());
        if (Boolean.getBoolean("bench.timeline"))
            for (Restart restart : restarts)
                progress(strategy, "restart " + restart.index() + " timeline " + timeline(recording, restart));
        progress(strategy, String.format("done: %d requests, %d failed", result.recording().size(), result.recording().failed()));
        return result;
    }

    /** Successes per 20 ms from 200 ms before the trigger to 1 s after serving; '|' marks the trigger and serving. */
    static String timeline(Recording recording, Restart restart)
    {
        long step = 20 * Recording.MS;
        long from = restart.trigger() - 10 * step;
        long to = restart.serving() + 50 * step;
        int[] ok = new int[(int)((to - from) / step) + 1];
        for (int i = 0; i < recording.size(); i++)
        {
            long e = recording.end()[i];
            if (recording.ok(i) && e >= from && e < to)
                ok[(int)((e - from) / step)]++;
        }
        StringBuilder line = new StringBuilder();
        for (int b = 0; b < ok.length; b++)
        {
            long t = from + b * step;
            if (restart.trigger() >= t && restart.trigger() < t + step)
                line.append("|T ");
            if (restart.serving() >= t && restart.serving() < t + step)
                line.append("|S ");
            line.append(ok[b]).append(' ');
        }
        return line.toString().trim();
    }

    private static ExampleProcess.Builder builder(Strategy strategy, int port)
    {
        ExampleProcess.Builder builder = ExampleProcess.builder().name("bench-" + strategy.id)
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "10s");
        if (strategy == Strategy.REUSE_PORT)
            builder.args("--reuse-port");
        if (strategy == Strategy.HANDOFF)
        {
            builder.outputOutlivesProcess();
            // e.g. -Dbench.handoff.args=--ready-delay=1s (options split at spaces, '=' between an option and its value)
            for (String arg : System.getProperty("bench.handoff.args", "").trim().split("[ =]+"))
                if (!arg.isEmpty())
                    builder.args(arg);
        }
        return builder;
    }

    /**
     * Polls GET /status (new connection each time) until it is answered by {@code expectedPid} (or, when that is -1, by
     * any pid but {@code oldPid}).
     *
     * @return the pid that answered
     */
    static long awaitServing(int port, long expectedPid, long oldPid)
    {
        long deadline = System.nanoTime() + SERVING_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0)
        {
            try
            {
                Http.Response response = Http.get(Http.IPV4, port, "/status", Duration.ofSeconds(2));
                if (response.status() == 200)
                {
                    long pid = ExampleStatus.parse(response.body()).pid();
                    if (expectedPid > 0 ? pid == expectedPid : pid != oldPid)
                        return pid;
                }
            }
            catch (IOException | RuntimeException x)
            {
                // refused while nothing listens, or reset by a process going away: poll again
            }
            Restarts.pause(POLL);
        }
        throw new IllegalStateException("no answer from " + (expectedPid > 0 ? "pid " + expectedPid : "a pid other than " + oldPid) +
            " on port " + port + " within " + SERVING_TIMEOUT.toSeconds() + " s");
    }

    private static void awaitExit(ExampleProcess process)
    {
        try
        {
            if (!process.process().waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                throw new IllegalStateException("still running " + EXIT_TIMEOUT.toSeconds() + " s after TERM: " + process.describe());
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(x);
        }
    }

    /** Waits until {@code pid} has exited; reaps it unless it is {@code own} (a Process the JDK reaps). */
    private static void awaitExitAndReap(long pid, ExampleProcess own)
    {
        if (own != null)
        {
            awaitExit(own);
            return;
        }
        long deadline = System.nanoTime() + EXIT_TIMEOUT.toNanos();
        while (true)
        {
            Subreaper.Reaped reaped = Subreaper.reap(pid);
            if (reaped == Subreaper.Reaped.REAPED || (reaped == Subreaper.Reaped.NOT_OUR_CHILD && !Procs.isAlive(pid)))
                return;
            if (System.nanoTime() - deadline > 0)
                throw new IllegalStateException("pid " + pid + " still running " + EXIT_TIMEOUT.toSeconds() + " s after its replacement served");
            Restarts.pause(POLL);
        }
    }

    static void progress(Strategy strategy, String message)
    {
        progress(strategy.id + ": " + message);
    }

    static void progress(String message)
    {
        System.err.println("[bench] " + message);
        System.err.flush();
    }
}
