package io.jettygraceful.it.boot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spring Boot sample's executable jar restarted 10 times under keep-alive and new-connection load: not one failed
 * request, every generation answers; a slow request in flight at the first handoff is answered by the old process;
 * every replaced process closed its application context ({@code @PreDestroy} wrote its marker), and the first one,
 * a child of this test, exited 0.
 */
class BootRestartTest
{
    private static final int RESTARTS = 10;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void restartsUnderLoadWithoutAFailedRequest(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        // The slow request (40 s) outlasts the first handoff and ends within the drain timeout.
        ExampleProcess first = processes.start(BootExample.builder("boot-restarts-jdk" + jdk, jdk, port, dir).args("--jetty.graceful.drain-timeout=60s"));
        first.servingPid(BootExample.START);
        ExampleStatus status = processes.status(port);
        List<ExampleStatus> generations = new ArrayList<>(List.of(status));

        LoadGenerator.Summary summary;
        CompletableFuture<Http.Response> slow;
        long[] slowAnsweredAt = new long[1];
        long newGenerationAt = 0;
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(10_000_000).maxDuration(Duration.ofMinutes(30)).timeout(Duration.ofSeconds(10)).start())
        {
            slow = CompletableFuture.supplyAsync(() -> get(port, "/delayed?ms=40000", Duration.ofSeconds(90)))
                .whenComplete((response, failure) -> slowAnsweredAt[0] = System.nanoTime());
            Restarts.pause(Duration.ofMillis(300)); // the slow request is in the old process before the trigger
            status = Restarts.restart(processes, port, status, BootExample.RESTART);
            newGenerationAt = System.nanoTime();
            generations.add(status);
            status = BootExample.restartUnderLoad(processes, port, status, RESTARTS - 1, load::completed, load::awaitCompleted, generations);
            summary = load.stop();
        }
        System.out.println("[it] Boot sample, JDK " + jdk + ", " + RESTARTS + " restarts: " + summary);

        assertEquals(RESTARTS + 1, status.generation());
        assertEquals(0, summary.failed(), "failed requests across " + RESTARTS + " restarts of the Boot sample: " + summary);
        assertEquals(BootProtocolsTest.uuids(generations), summary.answeredBy().keySet(), "every generation answered: " + summary);

        Http.Response slowResponse = slow.join();
        assertEquals(200, slowResponse.status(), slowResponse.toString());
        assertEquals(generations.get(0).uuid(), slowResponse.body().trim(), "the slow request was answered by the process that accepted it");
        assertTrue(slowAnsweredAt[0] - newGenerationAt > 0, "the slow request was still in flight when generation 2 took over");

        for (ExampleStatus replaced : generations.subList(0, RESTARTS))
        {
            Restarts.awaitExit(replaced.pid(), Duration.ofSeconds(90));
            Path marker = BootExample.marker(dir, replaced.pid());
            assertTrue(Files.exists(marker), "generation " + replaced.generation() + " (pid " + replaced.pid() + ") closed its context: @PreDestroy wrote " + marker);
        }
        assertEquals(0, first.exitCode(Duration.ofSeconds(10)), "the replaced process exits 0 once its context is closed: " + first.describe());
        assertTrue(first.output().contains("Handed over to pid " + generations.get(1).pid()), first.describe());
    }

    /**
     * SIGTERM with {@code server.shutdown=graceful} (Boot's default): the request in flight is answered, the context
     * closes ({@code @PreDestroy} ran), the JVM ends as the JVM does on SIGTERM (143).
     */
    @org.junit.jupiter.api.Test
    void sigtermDrainsTheRequestInFlightAndClosesTheContext() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(BootExample.builder("boot-sigterm", 17, port, dir));
        long pid = process.servingPid(BootExample.START);
        CompletableFuture<Http.Response> slow = CompletableFuture.supplyAsync(() -> get(port, "/delayed?ms=3000", Duration.ofSeconds(60)));
        Restarts.pause(Duration.ofMillis(500));
        process.terminate();

        Http.Response response = slow.join();
        assertEquals(200, response.status(), "the request in flight at SIGTERM is answered: " + response);
        assertEquals(143, process.exitCode(Duration.ofSeconds(60)), process.describe());
        assertTrue(Files.exists(BootExample.marker(dir, pid)), "@PreDestroy ran: " + process.describe());
        process.awaitLog("Stopping: draining the connections", Duration.ofSeconds(1));
    }

    static Http.Response get(int port, String path, Duration timeout)
    {
        try
        {
            return Http.get(Http.IPV4, port, path, timeout);
        }
        catch (java.io.IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }
}
