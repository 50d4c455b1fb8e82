package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many consecutive restarts under load: nothing accumulates from generation to generation. Every generation is
 * measured at the same point of its life (its predecessor has exited, then 300 more requests): fds that are not client
 * connections (exact; the smallest of 5 samples 50 ms apart, so a file open for a moment is not counted), all fds,
 * threads, RSS, and its environment and command line (exact, but for the parent pid and generation values: a leak of
 * variables or arguments would grow them). Every old generation must leave through its drain: its closing log line
 * written, exit status 0. The 100-restart run is tagged {@code slow}: {@code mvn -Pslow ...}.
 */
class FaultRepeatedRestartsTest
{
    /** Threads vary with JIT compiler and GC threads that HotSpot starts and stops on demand, and Jetty's pool. */
    private static final int THREAD_TOLERANCE = 10;
    /** RSS of a fresh JVM varies with what the JIT compiled and when the GC ran: the last generation may use 50 % more. */
    private static final double RSS_TOLERANCE = 1.5;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /** @param environment the environment without the two variables whose values differ per generation by design */
    record Figures(int generation, long pid, int structuralFds, int fds, long threads, long rssKb, int environBytes, Map<String, String> environment, String cmdline)
    {
        @Override
        public String toString()
        {
            return "gen " + generation + " pid " + pid + ": fds " + structuralFds + " (+" + (fds - structuralFds) + " client connections), threads " +
                threads + ", RSS " + rssKb / 1024 + " MB, environ " + environBytes + " B";
        }
    }

    @Test
    void twentyRestartsUnderLoad() throws Exception
    {
        restartsUnderLoad(20);
    }

    @Test
    @Tag("slow")
    void hundredRestartsUnderLoad() throws Exception
    {
        restartsUnderLoad(100);
    }

    private void restartsUnderLoad(int restarts) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus status = Faults.start(processes, ExampleProcess.builder().name("fault-repeated-" + restarts), port, "--drain-timeout", "5s");
        List<Long> pids = new ArrayList<>(List.of(status.pid()));
        List<Figures> figures = new ArrayList<>();
        List<String> abnormal = new ArrayList<>();
        ExampleProcess process = processes.started().get(0);
        LoadGenerator.Summary summary;
        long start = System.nanoTime();
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(100_000_000).maxDuration(Duration.ofMinutes(10)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(300, Duration.ofSeconds(20)), "load flows");
            for (int i = 0; i < restarts; i++)
            {
                status = Faults.restart(processes, port, status);
                pids.add(status.pid());
                long old = pids.get(pids.size() - 2);
                Restarts.awaitExit(old, Duration.ofSeconds(30));
                // Each old generation must leave through its drain: its closing line logged, exit status 0 (not a signal).
                if (i > 0)
                {
                    Optional<Integer> waitStatus = Faults.zombieWaitStatus(old);
                    if (waitStatus.isPresent() && waitStatus.get() != 0)
                        abnormal.add("gen " + (status.generation() - 1) + " pid " + old + " wait status " + waitStatus.get());
                }
                if (!process.output().contains("Restart succeeded: pid " + old + " -> pid " + status.pid()))
                    abnormal.add("gen " + (status.generation() - 1) + " pid " + old + " exited without logging 'Restart succeeded'");
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 300, Duration.ofSeconds(20)), "load flows after restart " + (i + 1));
                Figures f = measure(status);
                figures.add(f);
                if (f.generation() == 2 || f.generation() % 10 == 1)
                    System.out.println("[it] " + restarts + " restarts: " + f);
            }
            summary = load.stop();
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        Figures first = figures.get(0);
        Figures last = figures.get(figures.size() - 1);
        System.out.println("[it] " + restarts + " restarts in " + seconds + " s; generation 2 vs " + last.generation() + ": " + first + " | " + last);
        System.out.println("[it] " + restarts + " restarts: load " + summary);

        assertEquals(restarts + 1, status.generation());
        assertEquals(List.of(), abnormal, "old generations that did not end through their drain (failed requests: " + summary.failed() + ")");
        assertEquals(0, summary.failed(), "failed requests across " + restarts + " restarts: " + summary);
        assertEquals(0, summary.idleResets(), summary.toString());
        for (Figures f : figures)
        {
            assertEquals(first.structuralFds(), f.structuralFds(), "fds (without client connections) of " + f + " vs " + first +
                (f == last ? "; now " + new java.util.TreeMap<>(Faults.fds(f.pid())) : ""));
            assertEquals(first.environment(), f.environment(), "environment (but the parent pid and generation) of generation " + f.generation());
            assertEquals(first.cmdline(), f.cmdline(), "command line of generation " + f.generation());
        }
        assertTrue(Math.abs(last.threads() - first.threads()) <= THREAD_TOLERANCE, "threads within " + THREAD_TOLERANCE + ": " + first + " vs " + last);
        assertTrue(last.rssKb() <= first.rssKb() * RSS_TOLERANCE, "RSS within " + RSS_TOLERANCE + "x: " + first + " vs " + last);
        for (long pid : pids.subList(0, pids.size() - 1))
            assertFalse(Procs.isAlive(pid), "an old generation still runs: " + pid);
        assertTrue(Procs.zombieChildrenOf(status.pid()).isEmpty(), "no zombie children of the serving process");
        assertEquals(List.of(status.pid()), Faults.exampleJvms(port), "exactly one example JVM runs");
    }

    private static Figures measure(ExampleStatus status) throws Exception
    {
        long pid = status.pid();
        Map<String, String> environment = new TreeMap<>(Faults.environ(pid));
        assertEquals(String.valueOf(status.generation()), environment.remove("JETTY_GRACEFUL_GENERATION"));
        assertEquals(String.valueOf(status.parentPid()), environment.remove("JETTY_GRACEFUL_PARENT_PID"));
        // The smallest of a few samples: a file the JVM opens for a moment (a class loaded late, a /proc read) is not a leak;
        // a leaked fd is in every sample.
        int structural = Integer.MAX_VALUE;
        for (int sample = 0; sample < 5; sample++)
        {
            structural = Math.min(structural, Faults.structuralFdCount(pid));
            Restarts.pause(Duration.ofMillis(50));
        }
        return new Figures(status.generation(), pid, structural, Procs.fdCount(pid), Faults.statusField(pid, "Threads"),
            Faults.statusField(pid, "VmRSS"), Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ")).length, environment, Procs.cmdline(pid));
    }
}
