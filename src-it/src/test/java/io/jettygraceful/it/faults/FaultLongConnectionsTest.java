package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Connections that outlive the drain: a response longer than the drain timeout (the example has no streaming endpoint;
 * {@code /delayed} holds the response open just the same), and idle keep-alive connections. Neither keeps the old
 * process alive beyond the drain timeout, and neither client ever sees a reset.
 */
class FaultLongConnectionsTest
{
    /** The old process's drain ends at the drain timeout; then Jetty's stop gets at least 1 s more; then the JVM exits. */
    private static final Duration MARGIN = Duration.ofSeconds(4);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /** What happened to the long request, and when (ms after it was sent). */
    record Outcome(Http.Response response, Exception failure, long endedNanos)
    {
    }

    @Test
    void responseLongerThanTheDrainIsCutCleanlyAtTheDrainTimeout() throws Exception
    {
        int port = FreePorts.ipv4();
        Duration drain = Duration.ofSeconds(2);
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-long-response"), port, "--drain-timeout", "2s",
            "--handover-spread", "0"); // the drain alone: the bounds below count from the handoff
        ExampleProcess process = processes.started().get(0);
        CompletableFuture<Outcome> longRequest = CompletableFuture.supplyAsync(() -> {
            try
            {
                Http.Response response = Http.get("127.0.0.1", port, "/delayed?ms=20000", Duration.ofSeconds(30));
                return new Outcome(response, null, System.nanoTime());
            }
            catch (Exception x)
            {
                return new Outcome(null, x, System.nanoTime());
            }
        });
        Restarts.pause(Duration.ofMillis(300));
        ExampleStatus second = Faults.restart(processes, port, first);
        long handoff = System.nanoTime();
        assertEquals(second.uuid(), Faults.uuidOf(port), "new requests go to the new process");

        int exit = process.exitCode(drain.plus(MARGIN).plusSeconds(1));
        long exitedMillis = (System.nanoTime() - handoff) / 1_000_000;
        Outcome outcome = longRequest.get();
        long cutMillis = (outcome.endedNanos() - handoff) / 1_000_000;
        System.out.println("[it] response longer than the drain: old process exited " + exit + " " + exitedMillis + " ms after the handoff; client saw " +
            (outcome.failure() != null ? outcome.failure() : outcome.response()) + " " + cutMillis + " ms after the handoff");
        assertEquals(0, exit, process.describe());
        assertTrue(exitedMillis <= drain.plus(MARGIN).toMillis(), "the old process exited " + exitedMillis + " ms after the handoff (drain 2 s + margin)");
        assertTrue(outcome.failure() instanceof Http.ClosedEarlyException,
            "the cut request ends in a clean close (EOF), not a reset or a timeout: " + (outcome.failure() != null ? outcome.failure() : outcome.response()));
        assertTrue(cutMillis <= drain.plus(MARGIN).toMillis(), "the client was released " + cutMillis + " ms after the handoff, not left hanging");
        process.awaitLog("Restart succeeded: pid " + first.pid() + " -> pid " + second.pid() + ".*1 left to the final stop", Duration.ofSeconds(1));
    }

    /**
     * Idle keep-alive connections opened before the restart, with moving connections off (the drain that closes them;
     * with it on they move, see ConnectionMoveTest): the old process exits within the drain timeout anyway. A
     * request sent on one during the drain is answered by the old process with {@code Connection: close}; after the old
     * process is gone, each connection is found closed cleanly (EOF) before anything is written. Never a reset.
     */
    @Test
    void idleKeepAliveConnectionsDoNotHoldTheOldProcessAndAreNeverReset() throws Exception
    {
        int port = FreePorts.ipv4();
        Duration drain = Duration.ofSeconds(3);
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-idle-keepalive"), port, "--drain-timeout", "3s",
            "--handover-spread", "0", // the drain alone: every response of the old process says close at once
            "--move-connections", "false"); // the close-based drain; ConnectionMoveTest covers idle connections that move
        ExampleProcess process = processes.started().get(0);
        List<Http.Connection> duringDrain = new ArrayList<>();
        List<Http.Connection> afterExit = new ArrayList<>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                Http.Connection connection = Http.Connection.open("127.0.0.1", port, Duration.ofSeconds(5), Duration.ofSeconds(10));
                Http.Response response = connection.get("/uuid");
                assertEquals(first.uuid(), response.body().trim());
                assertFalse(response.connectionClose(), "keep-alive before the restart: " + response);
                (i % 2 == 0 ? duringDrain : afterExit).add(connection);
            }
            ExampleStatus second = Faults.restart(processes, port, first);
            long handoff = System.nanoTime();

            int answered = 0;
            int closedBeforeWrite = 0;
            for (Http.Connection connection : duringDrain)
            {
                if (connection.closedByServer())
                {
                    closedBeforeWrite++;
                    continue;
                }
                Http.Response response = connection.get("/uuid");
                assertEquals(200, response.status(), response.toString());
                assertEquals(first.uuid(), response.body().trim(), "answered by the old process, which owns the connection");
                assertTrue(response.connectionClose(), "a response during the drain says Connection: close: " + response);
                answered++;
            }

            int exit = process.exitCode(drain.plus(MARGIN).plusSeconds(1));
            long exitedMillis = (System.nanoTime() - handoff) / 1_000_000;
            assertEquals(0, exit);
            assertTrue(exitedMillis <= drain.plus(MARGIN).toMillis(), "idle connections held the old process " + exitedMillis + " ms");

            int cleanAfterExit = 0;
            for (Http.Connection connection : afterExit)
            {
                try
                {
                    if (connection.closedByServer())
                        cleanAfterExit++;
                    else
                        fail("an idle connection of the exited process is still open");
                }
                catch (SocketException x)
                {
                    fail("an idle connection of the old process was reset instead of closed: " + x);
                }
            }
            System.out.println("[it] idle keep-alive: during the drain " + answered + " answered with Connection: close, " + closedBeforeWrite +
                " closed before the write; after the exit " + cleanAfterExit + "/" + afterExit.size() + " closed cleanly; old process exited " +
                exitedMillis + " ms after the handoff");
            assertEquals(duringDrain.size(), answered + closedBeforeWrite);
            assertEquals(afterExit.size(), cleanAfterExit);
            assertEquals(second.uuid(), Faults.uuidOf(port), "new connections go to the new process");
        }
        finally
        {
            duringDrain.forEach(Http.Connection::close);
            afterExit.forEach(Http.Connection::close);
        }
    }
}
