package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restart storms: many SIGHUPs at once, and SIGHUPs to a process that is draining. The number of example JVMs stays
 * bounded, no request fails, and exactly one process serves at the end.
 */
class FaultRestartStormTest
{
    /** Old (draining) + new (serving) + the new one's own replacement starting: never more. */
    private static final int MAX_JVMS = 3;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /** Samples the number of example JVMs for a port until stopped; remembers the maximum. */
    private static final class JvmSampler implements AutoCloseable
    {
        final AtomicInteger max = new AtomicInteger();
        final AtomicInteger samples = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        JvmSampler(ProcessTracker processes, int port)
        {
            thread = new Thread(() -> {
                while (running.get())
                {
                    List<Long> pids = Faults.exampleJvms(port);
                    pids.forEach(processes::saw);
                    max.accumulateAndGet(pids.size(), Math::max);
                    samples.incrementAndGet();
                    Restarts.pause(Duration.ofMillis(10));
                }
            }, "jvm-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException
        {
            running.set(false);
            thread.join(5000);
        }
    }

    @Test
    void twentyHupsWithinASecondUnderLoad() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-storm"), port, "--drain-timeout", "5s");
        ExampleProcess process = processes.started().get(0);
        LoadGenerator.Summary summary;
        int maxJvms;
        try (JvmSampler sampler = new JvmSampler(processes, port);
             LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
                 .maxRequests(5_000_000).maxDuration(Duration.ofSeconds(120)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows");
            long start = System.nanoTime();
            int sent = 0;
            for (int i = 0; i < 20; i++)
            {
                // "The serving pid": whoever answers right now (the storm follows a restart that already happened).
                long pid = Faults.statusOf(port).pid();
                processes.saw(pid);
                if (Subreaper.signal(pid, Faults.SIGHUP))
                    sent++;
                Restarts.pause(Duration.ofMillis(45));
            }
            long stormMillis = (System.nanoTime() - start) / 1_000_000;
            // A precondition, not a speed claim: the HUPs came while restarts were still running (one takes about a
            // second idle, several under this load); on a very busy machine the 20 status polls themselves are slow.
            assertTrue(stormMillis < 5000, "a storm: 20 HUPs within 5 s, took " + stormMillis + " ms");

            // Settle: one JVM left, not restarting.
            Restarts.await(() -> Faults.exampleJvms(port).size() == 1 && !Faults.statusOf(port).json().contains("\"restarting\":true"),
                Duration.ofSeconds(60), "one example JVM, not restarting");
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after the storm");
            summary = load.stop();
            sampler.close();
            maxJvms = sampler.max.get();
            System.out.println("[it] storm: " + sent + " HUPs in " + stormMillis + " ms; max example JVMs at once " + maxJvms +
                " over " + sampler.samples.get() + " samples; " + summary);
        }
        ExampleStatus last = processes.status(port);
        String log = process.output();
        int started = Faults.count(log, "Restart: started replacement pid");
        int refused = Faults.count(log, "Restart refused:");
        System.out.println("[it] storm: " + started + " replacements started, " + refused + " HUPs refused, final generation " + last.generation());
        assertEquals(0, summary.failed(), summary.toString());
        assertTrue(maxJvms <= MAX_JVMS, "at most " + MAX_JVMS + " example JVMs at once, saw " + maxJvms);
        assertEquals(List.of(last.pid()), Faults.exampleJvms(port), "exactly one serving process at the end");
        assertTrue(last.generation() >= 2 && last.generation() == started + 1 - Faults.count(log, "Restart failed:"),
            "each started replacement became a generation: generation " + last.generation() + ", started " + started);
        assertEquals(20, started + refused + Faults.count(log, "Restart failed:"), "every HUP was either a restart or a logged refusal:\n" + log);
        assertTrue(Procs.zombieChildrenOf(last.pid()).isEmpty(), "no zombie children");
        assertTrue(first.pid() != last.pid());
    }

    /**
     * SIGHUPs to the old process all through its drain, until it exits: each is refused ("already handed over"), the
     * request it drains completes, and it exits 0 (a HUP never kills a draining process).
     */
    @Test
    void hupsDuringTheDrainAreRefusedAndDoNotKillTheDrainingProcess() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-hup-drain"), port, "--drain-timeout", "10s");
        ExampleProcess process = processes.started().get(0);
        CompletableFuture<Http.Response> delayed = CompletableFuture.supplyAsync(() -> {
            try
            {
                return Http.get("127.0.0.1", port, "/delayed?ms=6000", Duration.ofSeconds(30));
            }
            catch (Exception x)
            {
                throw new IllegalStateException(x);
            }
        });
        Restarts.pause(Duration.ofMillis(300));
        int hups = 0;
        int maxJvms = 0;
        ExampleStatus second;
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(5_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            second = Faults.restart(processes, port, first);
            while (process.isAlive())
            {
                if (Subreaper.signal(first.pid(), Faults.SIGHUP))
                    hups++;
                maxJvms = Math.max(maxJvms, Faults.exampleJvms(port).size());
                // Densest once the slow request is done: the final stop, where the JVM's own HUP handling could return.
                Restarts.pause(Duration.ofMillis(delayed.isDone() ? 2 : 50));
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] " + hups + " HUPs to the draining process; " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(second.pid(), processes.status(port).pid());
        }
        Http.Response slow = delayed.get();
        assertEquals(200, slow.status(), slow.toString());
        assertEquals(first.uuid(), slow.body().trim(), "the draining process finished its request");
        assertTrue(hups >= 5, "HUPs sent during the drain: " + hups);
        process.awaitLog("Restart refused: this process has already handed over to a replacement \\(pid " + second.pid() + "\\) and is draining; restart that one", Duration.ofSeconds(1));
        assertEquals(0, process.exitCode(Duration.ofSeconds(5)), "the draining process exits 0 despite " + hups + " HUPs: " + process.describe());
        assertTrue(maxJvms <= 2, "old + new only, saw " + maxJvms);
    }
}
