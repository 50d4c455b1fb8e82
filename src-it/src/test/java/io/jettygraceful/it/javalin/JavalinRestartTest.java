package io.jettygraceful.it.javalin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Javalin sample as real JVMs, restarted by SIGHUP: its connector ({@code GracefulRestartPlugin} replaced Javalin's)
 * is handed over, no request of a load fails, a request in flight at the handoff is answered by the old process, every
 * replaced process ended through Javalin's own stop (its {@code serverStopping}/{@code serverStopped} listeners ran)
 * and exited 0, and SIGTERM drains, with the same events.
 *
 * <p>CI time: 5 restarts under load on each JDK (the handover is the library's, tested at length elsewhere; what is
 * Javalin's here is the connector, the start and the stop, which 5 restarts show as well as 10).</p>
 */
class JavalinRestartTest
{
    private static final int RESTARTS = 5;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void fiveRestartsUnderLoadWithoutAFailedRequestEachEndingThroughJavalinsStop(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        Path marker = dir.resolve("stopped.txt");
        ExampleProcess first = processes.start(JavalinSample.server("javalin-restarts", jdk, port, "--drain-timeout", "3s", "--stop-marker", marker.toString()));
        first.servingPid(JavalinSample.START);
        ExampleStatus status = processes.status(port);
        assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + port, false)), status.listeners(), "generation 1 binds: " + status.json());

        List<String> uuids = new ArrayList<>(List.of(status.uuid()));
        List<Long> replaced = new ArrayList<>();
        LoadGenerator.Summary summary;
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(2_000_000).maxDuration(Duration.ofMinutes(6)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(30)), "load flows");
            for (int i = 0; i < RESTARTS; i++)
            {
                long old = status.pid();
                status = Restarts.restart(processes, port, status, JavalinSample.HANDOFF);
                replaced.add(old);
                uuids.add(status.uuid());
                assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + port, true)), status.listeners(),
                    "generation " + status.generation() + " adopted the socket: " + status.json());
                assertEquals(old, status.parentPid(), status.json());
                Restarts.awaitExit(old, Duration.ofSeconds(30));
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after restart " + (i + 1));
            }
            summary = load.stop();
        }
        System.out.println("[it] Javalin, JDK " + jdk + ", " + RESTARTS + " restarts: " + summary);

        assertEquals(RESTARTS + 1, status.generation());
        assertEquals(0, summary.failed(), "failed requests across " + RESTARTS + " restarts: " + summary);
        assertEquals(Set.copyOf(uuids), summary.answeredBy().keySet(), "every generation answered: " + summary);
        assertEquals(0, first.exitCode(Duration.ofSeconds(30)), "the first, replaced process exits 0: " + first.describe());
        for (long pid : replaced)
            JavalinSample.assertStopEventsFired(marker, pid);
        long serving = status.pid();
        assertTrue(Files.readAllLines(marker).stream().noneMatch(l -> l.endsWith("pid=" + serving)), "the serving process has not stopped");
        assertFalse(first.output().contains("Exception"), "no generation logged an exception:\n" + first.tail(60));
    }

    /**
     * A slow request in flight at the handoff is answered by the old process, which then ends through Javalin's stop
     * and exits 0. The replacement waits at the sample's readiness gate until the slow request is in the old
     * process's hands, so it is in flight at the handoff on any machine. Then SIGTERM to the new process: a request in
     * flight is answered (the drain of a real stop), Javalin's stop events fire there too, and the JVM ends as a JVM
     * ends on SIGTERM (143).
     */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void aSlowRequestIsAnsweredByTheOldProcessAndSigtermDrainsThroughJavalinsStop(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        Path marker = dir.resolve("stopped.txt");
        Path gate = dir.resolve("ready");
        ExampleProcess first = processes.start(JavalinSample.server("javalin-slow", jdk, port, "--drain-timeout", "10s",
            "--stop-marker", marker.toString(), "--readiness-gate", gate.toString()));
        first.servingPid(JavalinSample.START);
        ExampleStatus status = processes.status(port);

        assertTrue(Subreaper.signal(status.pid(), Restarts.SIGHUP));
        first.awaitLog("Waiting for readiness gate", JavalinSample.HANDOFF);
        CompletableFuture<Http.Response> slow = CompletableFuture.supplyAsync(() -> get(port, "/delayed?ms=3000"));
        Restarts.pause(Duration.ofMillis(500)); // the replacement does not accept yet: the old process has it
        assertFalse(slow.isDone(), "the slow request is in flight");
        Files.writeString(gate, "go");
        ExampleStatus next = Restarts.awaitGeneration(processes, port, status, JavalinSample.HANDOFF);
        Http.Response answered = slow.get(30, TimeUnit.SECONDS);
        assertEquals(200, answered.status(), answered.toString());
        assertEquals(status.uuid(), answered.body().trim(), "the slow request in flight at the handoff is answered by the old process");
        first.awaitLog("Restart succeeded: .* \\(([1-9]\\d*) in flight at handoff", Duration.ofSeconds(30));
        assertEquals(0, first.exitCode(Duration.ofSeconds(30)), first.describe());
        JavalinSample.assertStopEventsFired(marker, status.pid());

        CompletableFuture<Http.Response> inFlight = CompletableFuture.supplyAsync(() -> get(port, "/delayed?ms=2000"));
        Restarts.pause(Duration.ofMillis(500));
        assertFalse(inFlight.isDone(), "a request is in flight at the SIGTERM");
        assertTrue(Subreaper.signal(next.pid(), 15));
        Http.Response drained = inFlight.get(30, TimeUnit.SECONDS);
        assertEquals(200, drained.status(), "the request in flight at SIGTERM is answered: " + drained);
        assertEquals(next.uuid(), drained.body().trim());
        Restarts.awaitExit(next.pid(), Duration.ofSeconds(30));
        JavalinSample.assertStopEventsFired(marker, next.pid());
        first.awaitLog("Stopping: drained in \\d+ ms", Duration.ofSeconds(5));
    }

    static Http.Response get(int port, String path)
    {
        try
        {
            return Http.get(Http.IPV4, port, path, Duration.ofSeconds(30));
        }
        catch (java.io.IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }
}
