package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parent dies by SIGKILL in the middle of a restart. Requests in flight on the killed process are lost by
 * definition; everything started after the kill must succeed, served by the replacement alone. And the contrast: a
 * parent stopped on purpose (SIGTERM) in the middle of a restart takes its replacement down with it.
 */
class FaultParentKilledTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /**
     * Killed while the child starts (it waits 2 s before reporting ready): the child finds the control socket dead when
     * it reports ready, starts accepting and serves alone. Connections made while nobody accepts wait in the shared
     * socket's accept queue (the child holds it open) and are served once the child accepts.
     */
    @Test
    void parentKilledWhileTheChildStartsLeavesTheChildServingAlone() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-parent-kill-start"), port, "--ready-delay", "2s");
        ExampleProcess process = processes.started().get(0);

        long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
        assertTrue(Subreaper.signal(parent.pid(), Faults.SIGKILL), "SIGKILL the parent");
        Restarts.awaitExit(parent.pid(), Duration.ofSeconds(10));

        // A fresh load, begun after the kill: nothing of it can have been accepted by the dead parent.
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(15)).start())
        {
            process.awaitLog("Took over from parent pid " + parent.pid() + " as generation 2 \\(parent gone\\)", Duration.ofSeconds(20));
            ExampleStatus status = processes.status(port);
            assertEquals(child, status.pid(), "the child answers /status: " + status.json());
            assertEquals(2, status.generation());
            assertEquals(status.uuid(), Faults.uuidOf(port), "/uuid answers from the child");
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 300, Duration.ofSeconds(20)), "load flows through the child");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] parent SIGKILLed during the child's start; load begun after the kill: " + summary);
            assertEquals(0, summary.failed(), "requests begun after the parent was killed: " + summary);
            assertEquals(java.util.Set.of(status.uuid()), summary.answeredBy().keySet(), "only the child answered: " + summary);
        }
        // It serves as a full member: it can restart in turn.
        ExampleStatus third = Faults.restart(processes, port, processes.status(port));
        assertEquals(3, third.generation());
    }

    /**
     * Killed during the drain: the new process keeps serving; a fresh load (keep-alive and new-connection clients)
     * begun after the kill sees no failure. The request the old process was draining is lost with it: by definition.
     */
    @Test
    void oldProcessKilledDuringTheDrainLeavesTheNewOneServing() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-parent-kill-drain"), port, "--drain-timeout", "20s");
        // Keeps the old process draining for a while.
        CompletableFuture<Object> inFlight = CompletableFuture.supplyAsync(() -> {
            try
            {
                return Http.get("127.0.0.1", port, "/delayed?ms=15000", Duration.ofSeconds(30));
            }
            catch (Exception x)
            {
                return x;
            }
        });
        Restarts.pause(Duration.ofMillis(300));
        ExampleStatus second = Faults.restart(processes, port, first);
        assertTrue(processes.started().get(0).isAlive(), "the old process still drains");
        assertTrue(Subreaper.signal(first.pid(), Faults.SIGKILL), "SIGKILL the draining process");
        Restarts.awaitExit(first.pid(), Duration.ofSeconds(10));
        Object cut = inFlight.get();
        assertTrue(cut instanceof Exception, "the request in flight on the killed process is lost: " + cut);

        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(1000, Duration.ofSeconds(20)), "load flows");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] old process SIGKILLed during its drain; load begun after the kill: " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(java.util.Set.of(second.uuid()), summary.answeredBy().keySet(), "only the new process answered: " + summary);
        }
        ExampleStatus after = processes.status(port);
        assertEquals(second.pid(), after.pid());
        assertNotEquals(first.uuid(), Faults.uuidOf(port));
        assertEquals(1, Faults.exampleJvms(port).size(), "exactly one example JVM runs: " + Faults.exampleJvms(port));
    }

    /**
     * Stopped for real (SIGTERM, as {@code systemctl stop} sends) while the replacement starts: the restart is
     * abandoned, the parent stops and reaps the replacement before it exits, and the service is stopped: the port is
     * no longer served and no example JVM is left. (Before this was handled, the restart thread died with the JVM and
     * the replacement took over from a parent that had been told to stop.)
     */
    @Test
    void parentStoppedWhileTheChildStartsStopsTheChildToo() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-parent-term-start"), port, "--ready-delay", "5s");
        ExampleProcess process = processes.started().get(0);

        long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
        assertTrue(Subreaper.signal(parent.pid(), Faults.SIGTERM), "SIGTERM the parent");

        assertEquals(143, process.exitCode(Duration.ofSeconds(30)), "the JVM's exit after SIGTERM: " + process.describe());
        assertTrue(process.output().contains("Restart failed: pid " + parent.pid() + " is stopping; the server is stopping"), process.describe());
        // Reaped by the parent: were it orphaned instead, it would now be this JVM's child (the subreaper's), alive or a zombie.
        assertFalse(io.jettygraceful.it.Procs.exists(child), "replacement pid " + child + " is gone, reaped by its parent");
        assertEquals(java.util.List.of(), Faults.exampleJvms(port), "no example JVM runs");
        assertThrows(java.net.ConnectException.class, () -> Http.get("127.0.0.1", port, "/uuid", Duration.ofSeconds(5)), "nothing serves the port");
    }
}
