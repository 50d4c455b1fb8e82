package io.jettygraceful.it.dropwizard;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
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
 * Operations the Dropwizard way: a broken jar deployed by rename makes the restart fail, the old process serves on
 * without a failed request, and the admin task ({@code POST /tasks/graceful-restart}), the health check
 * ({@code graceful-restart}) and the metrics report it; the good jar deployed again, the task restarts and answers the
 * new pid.
 */
class DropwizardOperationsTest
{
    private static final Pattern SUCCEEDED = Pattern.compile("succeeded: new pid (\\d+) ready after \\d+ ms");

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void brokenJarKeepsTheOldServingAndTheTaskAndHealthCheckReportIt(int jdk) throws Exception
    {
        Path jar = dir.resolve("app.jar");
        Files.copy(Jdks.dropwizardExampleJar(), jar);
        int appPort = FreePorts.ipv4();
        int adminPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, adminPort);
        config.signal = "none";
        ExampleProcess first = processes.start(DropwizardSample.server("dropwizard-ops", jdk, config.write(dir.resolve("app.yml"))).jar(jar));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);
        assertTrue(health(adminPort).contains("\"graceful-restart\":{\"healthy\":true"), health(adminPort));

        try (LoadGenerator load = LoadGenerator.builder(appPort).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofMinutes(4)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(30)), "load flows");
            deploy(dir, "this is not a jar\n".getBytes(), jar);

            HttpResponse<String> failed = DropwizardSample.postTask(adminPort, "graceful-restart", DropwizardSample.HANDOFF);
            assertEquals(500, failed.statusCode(), "a failed restart is an error of the task: " + failed.body());
            assertTrue(failed.body().contains("failed: the replacement") && failed.body().contains("pid"), "the task answers why: " + failed.body());
            first.awaitLog(Pattern.quote("Invalid or corrupt jarfile"), Duration.ofSeconds(5));

            String health = health(adminPort);
            assertTrue(health.contains("\"graceful-restart\":{\"healthy\":false,\"message\":\"last restart failed: the replacement"),
                "the health check reports the failed restart: " + health);
            String metrics = Http.get(adminPort, "/metrics").body();
            assertTrue(metrics.contains("\"io.jettygraceful.restart.restarts.failed\":{\"count\":1}"), metrics);
            assertTrue(metrics.contains("\"io.jettygraceful.restart.generation\":{\"value\":1}"), metrics);
            assertEquals(status.pid(), processes.status(appPort).pid(), "the old process serves on");
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after the failed restart");

            deploy(dir, Files.readAllBytes(Jdks.dropwizardExampleJar()), jar);
            HttpResponse<String> succeeded = DropwizardSample.postTask(adminPort, "graceful-restart", DropwizardSample.HANDOFF);
            assertEquals(200, succeeded.statusCode(), succeeded.body());
            Matcher outcome = SUCCEEDED.matcher(succeeded.body());
            assertTrue(outcome.find(), "the task answers the outcome: " + succeeded.body());
            ExampleStatus next = Restarts.awaitGeneration(processes, appPort, status, DropwizardSample.HANDOFF);
            assertEquals(Long.parseLong(outcome.group(1)), next.pid(), "the pid the task named serves");
            assertEquals(0, first.exitCode(Duration.ofSeconds(30)), first.describe());
            assertTrue(health(adminPort).contains("\"graceful-restart\":{\"healthy\":true"), "the new process has no failed restart: " + health(adminPort));
            before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after the restart");

            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] Dropwizard broken jar then good jar, JDK " + jdk + ": " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(status.uuid(), next.uuid()), summary.answeredBy().keySet(), summary.toString());
        }
    }

    /**
     * SIGTERM is still Dropwizard's stop: a request in flight is answered (within {@code shutdownGracePeriod}), every
     * managed object stops, and the JVM exits as a JVM does on SIGTERM (143).
     */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void sigtermStopsThroughDropwizardsShutdown(int jdk) throws Exception
    {
        int appPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, FreePorts.ipv4());
        config.stopMarker = dir.resolve("stopped.txt");
        ExampleProcess process = processes.start(DropwizardSample.server("dropwizard-sigterm", jdk, config.write(dir.resolve("app.yml"))));
        long pid = process.servingPid(DropwizardSample.START);
        java.util.concurrent.ExecutorService client = java.util.concurrent.Executors.newSingleThreadExecutor();
        try
        {
            java.util.concurrent.Future<Http.Response> slow = client.submit(() -> Http.get(Http.IPV4, appPort, "/delayed?ms=2000", Duration.ofSeconds(30)));
            Restarts.await(() -> slowStarted(appPort), Duration.ofSeconds(10), "the slow request to arrive");
            process.terminate();
            Http.Response response = slow.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, response.status(), "the request in flight at SIGTERM is answered: " + response);
            assertEquals(143, process.exitCode(Duration.ofSeconds(30)), process.describe());
            assertEquals(java.util.List.of("stopped pid=" + pid), Files.readAllLines(config.stopMarker), "Managed.stop() ran");
        }
        finally
        {
            client.shutdownNow();
        }
    }

    /** @return whether the sample has a request in flight (its /status counts them; this request is one) */
    private static boolean slowStarted(int port)
    {
        try
        {
            return Http.get(port, "/status").body().matches("(?s).*\"requestsInFlight\":[2-9].*");
        }
        catch (java.io.IOException x)
        {
            return false;
        }
    }

    /** Deploys {@code content} as {@code jar} the way deploy tools do: written beside it, then renamed over it. */
    private static void deploy(Path dir, byte[] content, Path jar) throws Exception
    {
        Path next = dir.resolve("app.jar.next");
        Files.write(next, content);
        Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** GET /healthcheck on the admin connector: its JSON (answered 500 when a check is unhealthy). */
    private static String health(int adminPort) throws Exception
    {
        return Http.get(adminPort, "/healthcheck").body();
    }
}
