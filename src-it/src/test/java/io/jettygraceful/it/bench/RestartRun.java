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
 * One lane (a strategy, or a variant of the handoff) under load: start the example, then, one {@link #restart} call
 * at a time, a segment of load with one restart in it. The benchmark interleaves the segments of its lanes. Every process started or learned of is owned by a {@link ProcessTracker} and ended and reaped at the end;
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

    /** @param recording the lane's load segments one after another (time under load: the gaps while other lanes ran are left out) */
    record Result(Lane lane, Recording recording, List<Restart> restarts, long loadEnd, RestartFigures figures)
    {
        Strategy strategy()
        {
            return lane.strategy();
        }

        List<Recording.Window> windows()
        {
            return restarts.stream().map(Restart::window).toList();
        }
    }

    private final Lane lane;
    private final Settings settings;
    private final ProcessTracker processes;
    private final int port;
    private final ExampleProcess first;
    private ExampleProcess current;
    private long currentPid;
    private final List<Recording> segments = new ArrayList<>();
    private final List<Restart> restarts = new ArrayList<>();
    /** Time under load of the segments so far, ns: where the next segment starts on the lane's timeline. */
    private long offset;

    private RestartRun(Lane lane, Settings settings, ProcessTracker processes)
    {
        this.lane = lane;
        this.settings = settings;
        this.processes = processes;
        Subreaper.enable();
        this.port = FreePorts.ipv4();
        this.first = processes.start(builder(lane, port));
        first.servingPid(SERVING_TIMEOUT);
        this.current = first;
        this.currentPid = first.pid();
        progress(lane, "port " + port + ", pid " + currentPid + ", warming up for " + settings.warmup().toMillis() + " ms (not recorded)");
        BenchClient warmUp = BenchClient.start(BenchClient.Config.of(port, settings.load()), System.nanoTime());
        try
        {
            Restarts.pause(settings.warmup());
        }
        finally
        {
            warmUp.stop();
        }
    }

    /**
     * Starts the lane's first example JVM (owned by {@code processes}), waits until it serves, and drives the load at
     * it for the warm-up time without recording it (a fresh JVM needs seconds of load before its JIT reaches the
     * steady level that the first restart is compared with).
     */
    static RestartRun start(Lane lane, Settings settings, ProcessTracker processes)
    {
        return new RestartRun(lane, settings, processes);
    }

    /**
     * One segment of load with one restart in it: load for the settle time, the restart
     * the lane's way, load until the old process exited and the tail passed, then the load stops (the next lane's
     * segment runs without this lane's load).
     */
    void restart(int index) throws IOException
    {
        long origin = System.nanoTime();
        BenchClient client = BenchClient.start(BenchClient.Config.of(port, settings.load()), origin);
        Recording recording;
        try
        {
            Restarts.pause(settings.settle());
            long trigger = System.nanoTime() - origin;
            long serving;
            long exited;
            long newPid;
            switch (lane.strategy())
            {
                case STOP_START ->
                {
                    current.terminate();
                    awaitExit(current);
                    exited = System.nanoTime() - origin;
                    current = processes.start(builder(lane, port));
                    newPid = current.pid();
                    awaitServing(port, newPid, currentPid);
                    serving = System.nanoTime() - origin;
                }
                case REUSE_PORT ->
                {
                    ExampleProcess next = processes.start(builder(lane, port));
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
                default -> throw new IllegalStateException(lane.strategy().toString());
            }
            restarts.add(new Restart(index, offset + trigger, offset + serving, offset + exited, currentPid, newPid));
            progress(lane, String.format("restart %d/%d: pid %d -> %d, new pid serving after %d ms, old exited after %d ms; this segment ok=%d failed=%d",
                index, settings.restarts(), currentPid, newPid, (serving - trigger) / Recording.MS, (exited - trigger) / Recording.MS,
                client.ok(), client.failed()));
            currentPid = newPid;
            Restarts.pause(settings.tail());
        }
        finally
        {
            recording = client.stop();
        }
        segments.add(recording);
        offset += recording.stoppedAt();
    }

    /** Every segment so far as one recording on the lane's timeline. */
    Result result()
    {
        Recording recording = Recording.concat(segments);
        Result result = new Result(lane, recording, List.copyOf(restarts), recording.stoppedAt(), RestartFigures.of(recording, restarts));
        if (Boolean.getBoolean("bench.timeline"))
            for (Restart restart : restarts)
                progress(lane, "restart " + restart.index() + " timeline " + timeline(recording, restart));
        progress(lane, String.format("done: %d requests, %d failed; %s", recording.size(), recording.failed(), result.figures()));
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

    private static ExampleProcess.Builder builder(Lane lane, int port)
    {
        ExampleProcess.Builder builder = ExampleProcess.builder().asUsersRunIt().name("bench-" + lane.id().replace(':', '-'))
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "10s");
        if (lane.strategy() == Strategy.REUSE_PORT)
            builder.args("--reuse-port");
        if (lane.strategy() == Strategy.HANDOFF)
            builder.outputOutlivesProcess();
        for (String arg : lane.exampleArgs())
            builder.args(arg);
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

    static void progress(Lane lane, String message)
    {
        progress(lane.id() + ": " + message);
    }

    static void progress(String message)
    {
        System.err.println("[bench] " + message);
        System.err.flush();
    }
}
