package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Zero-downtime restarts of the example, with real JVMs, real SIGHUPs and real HTTP on loopback.
 */
class RestartTest
{
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration HANDOFF = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private ExampleStatus startExample(int port, int jdk, String... extraArgs) throws IOException
    {
        return startExample(port, ExampleProcess.builder().jdk(jdk), extraArgs);
    }

    private ExampleStatus startExample(int port, ExampleProcess.Builder builder, String... extraArgs) throws IOException
    {
        ExampleProcess process = processes.start(builder.name("restart-" + port).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port)).args(extraArgs));
        process.servingPid(START);
        return processes.status(port);
    }

    /** The seed's scenario: a slow request is finished by the old process, new requests go to the new one. */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void slowRequestFinishesOnTheOldProcessWhileTheNewOneTakesOver(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = startExample(port, jdk);
        assertEquals(1, first.generation());

        CompletableFuture<Http.Response> delayed = CompletableFuture.supplyAsync(() -> get(port, "/delayed?ms=3000", Duration.ofSeconds(20)));
        // Only the first process accepts until the replacement is ready (~0.5 s after the signal): a request sent
        // before the signal is certainly its. Give the client a moment to connect and write.
        Restarts.pause(Duration.ofMillis(300));
        assertFalse(delayed.isDone(), "the delayed request is in flight: " + (delayed.isDone() ? delayed.join() : ""));
        ExampleStatus second = Restarts.restart(processes, port, first, HANDOFF);
        Restarts.awaitNoLongerAccepting(processes.started().get(0), first.pid(), HANDOFF); // both accept during the overlap

        Http.Response uuid = Http.get(port, "/uuid");
        assertEquals(second.uuid(), uuid.body().trim(), "new requests are answered by the new process");
        assertNotEquals(first.uuid(), second.uuid());
        Http.Response slow = delayed.get();
        assertEquals(200, slow.status(), "the delayed request: " + slow);
        assertEquals(first.uuid(), slow.body().trim(), "the delayed request is finished by the process that accepted it");
        Restarts.awaitExit(first.pid(), Duration.ofSeconds(20));
        assertEquals(1, second.inherited(), "the new process serves on the inherited socket: " + second.json());
    }

    /**
     * Ten restarts in a row under continuous load from keep-alive and new-connection clients: not one request fails.
     * JDK 17 with acceptor threads, JDK 25 accepting in the selector (acceptors 0): both of Jetty's accept modes.
     */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void tenRestartsUnderLoadFailNoRequest(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus status = startExample(port, jdk, "--drain-timeout", "10s", "--acceptors", jdk == 17 ? "1" : "0");
        ExampleStatus first = status;
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(3).newConnectionClients(3)
            .maxRequests(2_000_000).maxDuration(Duration.ofSeconds(120)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(500, Duration.ofSeconds(20)), "load is flowing before the first restart");
            for (int i = 0; i < 10; i++)
            {
                long before = load.completed();
                status = Restarts.restart(processes, port, status, HANDOFF);
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after restart " + (i + 1));
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] JDK " + jdk + ", 10 restarts under load: " + summary);
            assertEquals(0, summary.failed(), "failed requests across 10 restarts: " + summary);
            assertEquals(0, summary.idleResets(), "idle connections reset instead of closed: " + summary);
            assertTrue(summary.answeredBy().containsKey(first.uuid()) && summary.answeredBy().containsKey(status.uuid()),
                "both the first and the last generation answered: " + summary.answeredBy());
            assertEquals(11, summary.answeredBy().size(), "every generation answered some requests: " + summary.answeredBy());
        }
        assertEquals(11, status.generation());
        String log = processes.started().get(0).output();
        assertFalse(log.contains(" WARN ") || log.contains("Exception"), "no generation logged a warning or an exception:\n" + log);
    }

    /** A broken build at the launch path fails the restart; the old process serves on; the fixed build then succeeds. */
    @Test
    void brokenReplacementLeavesTheOldProcessServingAndTheNextRestartSucceeds() throws Exception
    {
        Path dir = Files.createDirectories(Path.of("target", "it-work", "broken-" + System.nanoTime()));
        Path jar = dir.resolve(Jdks.exampleJar().getFileName());
        Files.copy(Jdks.exampleJar(), jar);
        int port = FreePorts.ipv4();
        ExampleStatus first = startExample(port, ExampleProcess.builder().jar(jar.toAbsolutePath()));

        deployAtomically(dir, jar, "this is not a jar\n".getBytes());
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            Restarts.await(() -> processes.statusQuietly(port).json().contains("\"restartsFailed\":1"), Duration.ofSeconds(30), "the restart to fail");
            ExampleStatus afterFailure = processes.status(port);
            assertEquals(first.pid(), afterFailure.pid(), "the old process still serves");
            assertEquals(first.uuid(), Http.get(port, "/uuid").body().trim());
            assertTrue(afterFailure.json().contains("exited before it was ready") || afterFailure.json().contains("closed the control socket"),
                "the reason is reported: " + afterFailure.json());
            assertTrue(Procs.zombieChildrenOf(first.pid()).isEmpty(), "the failed replacement was reaped");

            deployAtomically(dir, jar, Files.readAllBytes(Jdks.exampleJar()));
            ExampleStatus second = Restarts.restart(processes, port, afterFailure, HANDOFF);
            assertEquals(2, second.generation());
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] broken then fixed replacement under load: " + summary);
            assertEquals(0, summary.failed(), summary.toString());
        }
        Restarts.awaitExit(first.pid(), Duration.ofSeconds(40));
    }

    /** A replacement that never gets ready is stopped at the ready timeout; the parent never stops serving. */
    @Test
    void replacementThatIsNeverReadyIsStoppedAtTheReadyTimeout() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = startExample(port, 17, "--ready-timeout", "2s", "--ready-delay", "10m");
        long hup = System.nanoTime();
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            Restarts.await(() -> processes.statusQuietly(port).json().contains("\"restartsFailed\":1"), Duration.ofSeconds(30), "the restart to fail");
            long waitedMillis = (System.nanoTime() - hup) / 1_000_000;
            ExampleStatus after = processes.status(port);
            assertEquals(first.pid(), after.pid());
            assertTrue(after.json().contains("not ready within the ready timeout of 2000 ms"), after.json());
            assertTrue(waitedMillis >= 2000, "the replacement had its full ready timeout, failed after " + waitedMillis + " ms");
            assertTrue(Procs.childrenOf(first.pid()).isEmpty(), "the replacement was stopped and reaped: children " + Procs.childrenOf(first.pid()));
            LoadGenerator.Summary summary = load.stop();
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(java.util.Set.of(first.uuid()), summary.answeredBy().keySet(), "only the parent answered: " + summary);
        }
    }

    /** Two HUPs in quick succession: one restart, one refusal, no failed request. */
    @Test
    void secondSignalDuringARestartIsRefused() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess.Builder builder = ExampleProcess.builder().jdk(17);
        ExampleStatus first = startExample(port, builder, "--ready-delay", "1s");
        ExampleProcess process = processes.started().get(0);
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            process.awaitLog("started replacement pid", Duration.ofSeconds(10));
            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            process.awaitLog("Restart refused: a restart is already in progress", Duration.ofSeconds(10));
            ExampleStatus second = Restarts.awaitGeneration(processes, port, first, HANDOFF);
            Restarts.awaitExit(first.pid(), Duration.ofSeconds(40));
            assertEquals(2, second.generation());
            LoadGenerator.Summary summary = load.stop();
            assertEquals(0, summary.failed(), summary.toString());
        }
        assertEquals(1, count(processes.started().get(0).output(), "Restart: started replacement pid"), "exactly one replacement was started");
    }

    /** Twenty restarts: one process serves at the end, no zombie, no fd leaked from generation to generation. */
    @Test
    void twentyRestartsLeaveOneProcessAndNoLeaks() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus status = startExample(port, 17, "--drain-timeout", "5s");
        long testJvm = ProcessHandle.current().pid();
        List<String> secondGenerationFds = null;
        java.util.List<Long> pids = new java.util.ArrayList<>();
        pids.add(status.pid());
        for (int i = 0; i < 20; i++)
        {
            status = Restarts.restart(processes, port, status, HANDOFF);
            pids.add(status.pid());
            Restarts.awaitExit(pids.get(pids.size() - 2), Duration.ofSeconds(30));
            List<String> fds = Procs.fdProfile(status.pid());
            if (status.generation() == 2)
                secondGenerationFds = fds;
            else
                assertEquals(secondGenerationFds, fds, "fds of generation " + status.generation() + " vs generation 2 (TCP connections left out)");
        }
        assertEquals(21, status.generation());
        for (long pid : pids.subList(0, pids.size() - 1))
        {
            assertFalse(Procs.isAlive(pid), "an old generation still runs: " + pid);
            // Exited generations are children of this test JVM (the subreaper) until it reaps them; nothing else holds them.
            Procs.parentPid(pid).ifPresent(parent -> assertEquals(testJvm, parent, "zombie " + pid + " of another parent"));
        }
        assertTrue(Procs.zombieChildrenOf(status.pid()).isEmpty(), "the serving process has no zombie children");
        // The last replaced JVM's leader thread shows as a zombie a moment before its other threads have exited, and
        // only then does the kernel move its child, the serving process, to this test JVM (the subreaper).
        long serving = status.pid();
        Restarts.await(() -> Procs.childrenOf(testJvm).stream().filter(Procs::isAlive).toList().equals(java.util.List.of(serving)), Duration.ofSeconds(10),
            "exactly one example process to run, the serving one, a child of this test JVM: " + Procs.childrenOf(testJvm));
        System.out.println("[it] 20 restarts: " + secondGenerationFds.size() + " fds per generation besides TCP connections " + secondGenerationFds + ", pids " + pids);
    }

    /** The example's --warm-up readiness check runs in the replacement before it reports ready, not in the parent. */
    @Test
    void warmUpRunsInTheReplacementBeforeItTakesOver() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = startExample(port, 17, "--warm-up", "500");
        ExampleProcess process = processes.started().get(0);
        ExampleStatus second = Restarts.restart(processes, port, first, HANDOFF);
        process.awaitLog("Took over from parent pid " + first.pid(), Duration.ofSeconds(10));
        String log = process.output();
        int warmed = log.indexOf("Warmed up with 500 requests");
        assertTrue(warmed >= 0, log);
        assertEquals(warmed, log.lastIndexOf("Warmed up with 500 requests"), "only the replacement warms up: " + log);
        assertTrue(warmed < log.indexOf("Took over from parent pid " + first.pid()), "warm-up before the takeover: " + log);
        assertEquals(2, second.generation());
    }

    /**
     * A warm-up answered with a status it does not allow (a route the new build lost: 404 against {@code 2xx}) refuses
     * readiness with the request and the status named: the replacement exits, the parent serves on, and it has answered
     * none of the warm-up requests itself (they go to the replacement's own LocalConnector).
     */
    @Test
    void aWarmUpAnsweredWithAStatusNotAllowedKeepsTheReplacementFromTakingOver() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus first = startExample(port, 25, "--warm-up", "50", "--warm-up-requests", "/uuid, GET /no-such-route", "--warm-up-allow", "2xx");
        assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
        Restarts.await(() -> processes.statusQuietly(port).json().contains("\"restartsFailed\":1"), Duration.ofSeconds(30), "the restart to fail");
        ExampleStatus after = processes.status(port);
        assertEquals(first.pid(), after.pid());
        assertTrue(after.json().contains("warm-up request 2 of 50 (GET /no-such-route) was answered 404"), after.json());
        assertTrue(after.json().contains("add 404 to the allowed statuses"), "the fix is named: " + after.json());
        assertEquals(first.uuid(), get(port, "/uuid", Duration.ofSeconds(5)).body().trim());
        Restarts.await(() -> Procs.childrenOf(first.pid()).isEmpty(), Duration.ofSeconds(10), "the replacement to be reaped");
    }

    /**
     * A real stop (SIGTERM) drains like a handoff: under keep-alive and new-connection load, five stop-then-start
     * cycles lose no request the server had accepted: none is closed unanswered, times out or gets a 5xx. Requests
     * sent while nothing listens are refused, and connections waiting in the kernel's backlog when the bound socket
     * closes are reset by the kernel (printed, not asserted): both are what stop-then-start means, and why the handoff
     * exists.
     */
    @Test
    void sigtermDrainsWithoutLosingAnAcceptedRequest() throws Exception
    {
        int port = FreePorts.ipv4();
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(3).newConnectionClients(3)
            .maxRequests(2_000_000).maxDuration(Duration.ofSeconds(120)).timeout(Duration.ofSeconds(10)).start())
        {
            for (int i = 0; i < 5; i++)
            {
                ExampleProcess process = processes.start(ExampleProcess.builder().name("term-" + port)
                    .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "10s"));
                process.servingPid(START);
                long before = load.succeeded();
                assertTrue(load.awaitCompleted(load.completed() + 3000, Duration.ofSeconds(20)), "load reaches process " + (i + 1));
                assertTrue(load.succeeded() > before, "process " + (i + 1) + " served");
                assertTrue(Subreaper.signal(process.pid(), 15));
                assertEquals(143, process.exitCode(Duration.ofSeconds(30)), process.output());
                assertTrue(process.output().contains("Stopping: drained in"), process.output());
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] 5 stop-then-start cycles under load: " + summary);
            assertEquals(0, summary.closedEarly() + summary.timeout() + summary.serverError() + summary.other(),
                "requests lost by a stopping server (refused and backlog resets aside): " + summary);
            assertEquals(0, summary.idleResets(), summary.toString());
        }
    }

    private static void deployAtomically(Path dir, Path jar, byte[] content) throws IOException
    {
        Path next = Files.write(dir.resolve(jar.getFileName() + ".next"), content);
        Files.move(next, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Http.Response get(int port, String path, Duration timeout)
    {
        try
        {
            return Http.get("127.0.0.1", port, path, timeout);
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }

    private static int count(String text, String needle)
    {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1))
            count++;
        return count;
    }
}
