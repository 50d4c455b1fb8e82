package io.jettygraceful.it.dropwizard;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dropwizard sample as real JVMs, restarted by SIGHUP: both connectors ({@code type: inherited-http}) are handed
 * over, no request of a load on the application connector fails, a request in flight is answered by the old
 * process (also one that arrives during the drain, which Dropwizard's GracefulHandler would answer 503), and every
 * replaced process stopped its managed objects and exited 0.
 */
class DropwizardRestartTest
{
    private static final int RESTARTS = 10;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void tenRestartsUnderLoadHandOverBothConnectorsWithoutAFailedRequest(int jdk) throws Exception
    {
        int appPort = FreePorts.ipv4();
        int adminPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, adminPort);
        config.stopMarker = dir.resolve("stopped.txt");
        config.drainTimeout = "3s";
        ExampleProcess first = processes.start(DropwizardSample.server("dropwizard-restarts", jdk, config.write(dir.resolve("app.yml"))));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);
        assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + appPort, false), new ExampleStatus.Listener("127.0.0.1:" + adminPort, false)),
            status.listeners(), "generation 1 binds both connectors itself: " + status.json());

        List<String> uuids = new ArrayList<>(List.of(status.uuid()));
        List<Long> replaced = new ArrayList<>();
        LoadGenerator.Summary app;
        LoadGenerator.Summary admin;
        try (LoadGenerator appLoad = LoadGenerator.builder(appPort).path("/uuid").keepAliveClients(2).newConnectionClients(2)
                .maxRequests(2_000_000).maxDuration(Duration.ofMinutes(8)).timeout(Duration.ofSeconds(10)).start();
             LoadGenerator adminLoad = LoadGenerator.builder(adminPort).path("/ping").keepAliveClients(0).newConnectionClients(1)
                .maxRequests(2_000_000).maxDuration(Duration.ofMinutes(8)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(appLoad.awaitCompleted(200, Duration.ofSeconds(30)), "load flows");
            for (int i = 0; i < RESTARTS; i++)
            {
                long old = status.pid();
                status = Restarts.restart(processes, appPort, status, DropwizardSample.HANDOFF);
                replaced.add(old);
                uuids.add(status.uuid());
                assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + appPort, true), new ExampleStatus.Listener("127.0.0.1:" + adminPort, true)),
                    status.listeners(), "generation " + status.generation() + " adopted both sockets: " + status.json());
                Restarts.awaitExit(old, Duration.ofSeconds(30));
                long before = appLoad.completed();
                long adminBefore = adminLoad.completed();
                assertTrue(appLoad.awaitCompleted(before + 200, Duration.ofSeconds(30)), "application load flows after restart " + (i + 1));
                assertTrue(adminLoad.awaitCompleted(adminBefore + 20, Duration.ofSeconds(30)), "admin load flows after restart " + (i + 1));
            }
            app = appLoad.stop();
            admin = adminLoad.stop();
        }
        System.out.println("[it] Dropwizard, JDK " + jdk + ", " + RESTARTS + " restarts: application " + app + " | admin " + admin);

        assertEquals(RESTARTS + 1, status.generation());
        assertEquals(0, app.failed(), "failed requests on the application connector across " + RESTARTS + " restarts: " + app);
        assertEquals(0, admin.failed(), "failed requests on the admin connector: " + admin);
        assertEquals(Set.copyOf(uuids), app.answeredBy().keySet(), "every generation answered: " + app);
        assertEquals(0, first.exitCode(Duration.ofSeconds(30)), "the first, replaced process exits 0: " + first.describe());
        List<String> stopped = Files.readAllLines(config.stopMarker);
        for (long pid : replaced)
            assertTrue(stopped.contains("stopped pid=" + pid), "pid " + pid + " ran its Managed.stop() before it exited: " + stopped);
        assertTrue(!first.output().contains("Exception"), "no generation logged an exception:\n" + first.tail(60));
    }

    /**
     * The {@code gracefulRestart.warmUp} block: the replacement replays its requests through Dropwizard's own routing
     * (they reach the Jersey resources of the application connector, answered 2xx) before it takes over, and the first
     * process, which never was a replacement, does not warm up.
     */
    @org.junit.jupiter.api.Test
    void theWarmUpBlockWarmsTheReplacementThroughTheApplicationConnectorsRouting() throws Exception
    {
        int appPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, FreePorts.ipv4());
        config.warmUpRequests = List.of("/uuid", "/status");
        config.warmUpCount = 300;
        ExampleProcess first = processes.start(DropwizardSample.server("dropwizard-warm-up", 25, config.write(dir.resolve("app.yml"))));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);
        assertTrue(!first.output().contains("Warmed up"), "the first process does not warm up");
        ExampleStatus second = Restarts.restart(processes, appPort, status, DropwizardSample.HANDOFF);
        assertEquals(2, second.generation(), second.json());
        first.awaitLog("Warmed up with 300 requests", Duration.ofSeconds(10));
    }

    /**
     * A slow request in flight at the handoff is answered by the old process, which then stops its managed objects
     * and exits 0. The replacement waits at the sample's readiness gate until the slow request is in the old
     * process's hands, so it is in flight at the handoff on any machine.
     *
     * <p>Also sent before the handoff, on one connection: a request that ends just inside the drain's last phase (the
     * server's graceful stop, where Dropwizard's GracefulHandler answers 503) with a second request pipelined behind
     * it. Whether Jetty still dispatches the second one once the graceful stop has begun depends on timing (it may
     * close the connection instead), so this only checks that no request of the handoff got a 503; the
     * HandoffGracefulHandler unit test shows that deterministically.</p>
     */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void requestsInFlightAndArrivingDuringTheDrainAreAnsweredByTheOldProcess(int jdk) throws Exception
    {
        int appPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, FreePorts.ipv4());
        config.stopMarker = dir.resolve("stopped.txt");
        config.readinessGate = dir.resolve("ready");
        long drainMillis = 8000;
        config.drainTimeout = drainMillis + "ms";
        config.idleTimeout = "5m";
        config.extraLoggers = "    org.eclipse.jetty.server.handler.GracefulHandler: DEBUG";
        ExampleProcess first = processes.start(DropwizardSample.server("dropwizard-drain", jdk, config.write(dir.resolve("app.yml"))));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);
        ExecutorService clients = Executors.newCachedThreadPool();
        try (Socket pipelined = new Socket())
        {
            pipelined.connect(new InetSocketAddress(Http.IPV4, appPort), 10_000);
            pipelined.setSoTimeout(60_000);

            assertTrue(Subreaper.signal(status.pid(), Restarts.SIGHUP));
            first.awaitLog("Waiting for readiness gate", DropwizardSample.HANDOFF);
            Future<Http.Response> slow = clients.submit(() -> Http.get(Http.IPV4, appPort, "/delayed?ms=3000", Duration.ofSeconds(30)));
            // Before the handoff, so its response does not close the connection: a request that ends in the drain's
            // last phase, the graceful stop (8 s after the handoff, 1 s long), with a second request pipelined behind it.
            OutputStream out = pipelined.getOutputStream();
            out.write(("GET /delayed?ms=" + (drainMillis + 900) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /uuid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Restarts.pause(Duration.ofMillis(500)); // the replacement does not accept yet: the old process has both
            Files.writeString(config.readinessGate, "go");
            ExampleStatus next = Restarts.awaitGeneration(processes, appPort, status, DropwizardSample.HANDOFF);

            String responses = new String(pipelined.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            System.out.println("[it] pipelined responses across the graceful stop:\n" + responses);
            assertTrue(!responses.contains(" 503 "), "no request of a handoff is answered 503: " + responses);
            Http.Response slowResponse = slow.get(30, TimeUnit.SECONDS);
            assertEquals(200, slowResponse.status(), slowResponse.toString());
            assertEquals(status.uuid(), slowResponse.body().trim(), "the slow request in flight at the handoff is answered by the old process");
            first.awaitLog("Restart succeeded: .* \\(([1-9]\\d*) in flight at handoff", Duration.ofSeconds(30));

            assertEquals(0, first.exitCode(Duration.ofSeconds(30)), first.describe());
            assertEquals(List.of("stopped pid=" + status.pid()), Files.readAllLines(config.stopMarker), "Managed.stop() ran in the old process");
            assertEquals(next.uuid(), Http.get(appPort, "/uuid").body().trim());
        }
        finally
        {
            clients.shutdownNow();
        }
    }}
