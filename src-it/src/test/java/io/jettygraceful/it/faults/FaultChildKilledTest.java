package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replacement dies (SIGKILL) or hangs (SIGSTOP) before the parent commits: the parent notices, reaps it, and keeps
 * serving; not one request of a load that runs throughout fails (the child never accepted anything).
 *
 * <p>The instant between the child's READY and its SERVING (a few hundred microseconds, all inside the two JVMs) cannot
 * be hit from outside; HandoffAttemptTest covers those branches with a fake OS. The nearest reachable points are
 * tested here: the JVM still starting, and the server started but the readiness check not yet passed.</p>
 */
class FaultChildKilledTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    enum KillPoint
    {
        /** 150 ms after the spawn: the JVM is still loading. */
        JVM_STARTING,
        /** After the child logged "Serving": Jetty started, connectors paused, readiness check (--ready-delay) running. */
        SERVER_STARTED
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(KillPoint.class)
    void childKilledBeforeItIsReadyIsReapedAndTheParentServesOn(KillPoint point) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-child-kill-" + point), port, "--ready-delay", "3s");
        ExampleProcess process = processes.started().get(0);
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(90)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows before the restart");
            long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
            if (point == KillPoint.JVM_STARTING)
                Restarts.pause(Duration.ofMillis(150));
            else
                process.awaitLog("Serving pid=" + child + " ", Duration.ofSeconds(20));
            assertTrue(Subreaper.signal(child, Faults.SIGKILL), "SIGKILL the child " + child);

            ExampleStatus after = Faults.awaitRestartsFailed(port, 1, Duration.ofSeconds(20));
            process.awaitLog("Restart failed: pid " + parent.pid() + " keeps serving; .*replacement pid " + child + " ended with .*(9|KILL)", Duration.ofSeconds(5));
            assertTrue(after.json().contains("closed the control socket before it was ready") || after.json().contains("exited before it was ready"),
                "the reason names the child's death: " + after.json());
            assertEquals(parent.pid(), after.pid(), "the parent still serves");
            assertEquals(parent.uuid(), Faults.uuidOf(port));
            assertTrue(Procs.childrenOf(parent.pid()).isEmpty(), "the parent reaped the child (no zombie, no child left): " + Procs.childrenOf(parent.pid()));
            assertEquals(List.of(parent.pid()), Faults.exampleJvms(port), "exactly one example JVM runs");

            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after the incident");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] child SIGKILLed at " + point + ": " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(parent.uuid()), summary.answeredBy().keySet(), "only the parent answered: " + summary);
        }
        ExampleStatus second = Faults.restart(processes, port, processes.status(port));
        assertEquals(2, second.generation(), "the next restart succeeds");
    }

    /**
     * A child frozen by SIGSTOP during its readiness check never reports ready: at the ready timeout the parent sends
     * SIGTERM (which a stopped process cannot act on), then SIGKILL after the kill grace period, and reaps it.
     */
    @Test
    void frozenChildIsKilledAfterTheReadyTimeoutAndKillGrace() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-child-frozen"), port,
            "--ready-delay", "60s", "--ready-timeout", "12s"); // time enough to start (and be frozen) on a busy machine
        ExampleProcess process = processes.started().get(0);
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(90)).timeout(Duration.ofSeconds(10)).start())
        {
            long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
            process.awaitLog("Serving pid=" + child + " ", Duration.ofSeconds(20));
            assertTrue(Subreaper.signal(child, Faults.SIGSTOP), "SIGSTOP the child");

            ExampleStatus after = Faults.awaitRestartsFailed(port, 1, Duration.ofSeconds(30));
            assertTrue(after.json().contains("not ready within the ready timeout of 12000 ms"), after.json());
            process.awaitLog("replacement pid " + child + " did not stop within 5000 ms of SIGTERM: sending SIGKILL", Duration.ofSeconds(1));
            assertEquals(parent.pid(), after.pid());
            assertTrue(Procs.childrenOf(parent.pid()).isEmpty(), "the frozen child was killed and reaped: " + Procs.childrenOf(parent.pid()));
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] child frozen: " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(parent.uuid()), summary.answeredBy().keySet(), summary.toString());
        }
    }

    /**
     * A replacement SIGKILLed as soon as it has taken over: the old process, still within its take-back window, takes
     * the sockets back and serves on; afterwards exactly one process serves and no request fails.
     */
    @Test
    void childKilledRightAfterTheCommitLeavesOneProcessServing() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-child-kill-commit"), port, "--drain-timeout", "5s");
        ExampleProcess process = processes.started().get(0);
        long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
        process.awaitLog("Restart: pid " + child + " took over", Duration.ofSeconds(20));
        assertTrue(Subreaper.signal(child, Faults.SIGKILL));
        Restarts.pause(Duration.ofSeconds(7));
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(1).newConnectionClients(1)
            .maxRequests(200).maxDuration(Duration.ofSeconds(20)).timeout(Duration.ofSeconds(5)).start())
        {
            LoadGenerator.Summary summary = load.awaitFinished(Duration.ofSeconds(30));
            assertEquals(0, summary.failed(), "requests after the incident settled: " + summary);
        }
        assertEquals(1, Faults.exampleJvms(port).size(), "exactly one process serves: " + Faults.exampleJvms(port));
        ExampleStatus after = processes.status(port);
        assertEquals(parent.pid(), after.pid(), "the old process took the sockets back: " + after.json());
        assertTrue(after.json().contains("\"restartsFailed\":1") && after.json().contains("\"handedOff\":false"), after.json());
        assertTrue(process.output().contains("pid " + parent.pid() + " took the sockets back and keeps serving"), process.output());
        assertTrue(Procs.zombieChildrenOf(parent.pid()).isEmpty(), "the dead replacement was reaped");
        ExampleStatus next = Restarts.restart(processes, port, after, Duration.ofSeconds(30));
        assertEquals(2, next.generation(), "and it can restart again: " + next.json());
    }
}
