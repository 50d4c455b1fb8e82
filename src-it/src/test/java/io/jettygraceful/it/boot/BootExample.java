package io.jettygraceful.it.boot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.LongSupplier;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spring Boot sample ({@code jetty-graceful-spring-boot-example}) as the harness runs it: its repackaged jar with
 * {@code java -jar}, through {@link ExampleProcess} like the plain example. It logs the same {@code Serving pid=...}
 * line and answers the same {@code /status}, so {@code Restarts}, {@code ProcessTracker} and the load clients work
 * on it unchanged.
 */
final class BootExample
{
    /**
     * A Boot start takes seconds, not the plain example's half second, and over a minute on a 2-core machine shared by
     * several builds: generous timeouts (the replacement's ready timeout included), and the JIT's first tier only.
     */
    static final Duration START = Duration.ofSeconds(240);
    static final Duration RESTART = Duration.ofSeconds(260);
    /** For the ready timeout: a replacement starts while its parent serves load, two JVMs on two cores. */
    static final String READY_TIMEOUT = "--jetty.graceful.ready-timeout=240s";
    /** The harness's JVM flags ({@link ExampleProcess#TEST_JVM_ARGS}), which the plain example gets by itself. */
    static final String[] JVM_ARGS = ExampleProcess.TEST_JVM_ARGS.toArray(String[]::new);

    private BootExample()
    {
    }

    /**
     * @param markerDir where each process's {@code @PreDestroy} writes {@code closed-PID} when its context closes
     */
    static ExampleProcess.Builder builder(String name, int jdk, int port, Path markerDir)
    {
        return ExampleProcess.builder().name(name).jdk(jdk).jar(Jdks.bootExampleJar()).outputOutlivesProcess().jvmArgs(JVM_ARGS)
            .args("--server.address=127.0.0.1", "--server.port=" + port, "--example.shutdown-marker=" + markerDir.resolve("closed-{pid}"), READY_TIMEOUT,
                "--jetty.graceful.replacement-nice=" + ExampleProcess.TEST_REPLACEMENT_NICE);
    }

    /**
     * Restarts {@code times} times under load, checking after each that the load flows on: {@code completed} and
     * {@code awaitCompleted} are the load client's (LoadGenerator's or Http2Load's).
     *
     * @param generations gets each new generation's status
     * @return the last generation's status
     */
    static ExampleStatus restartUnderLoad(ProcessTracker processes, int port, ExampleStatus status, int times, LongSupplier completed,
                                          BiPredicate<Long, Duration> awaitCompleted, List<ExampleStatus> generations) throws IOException
    {
        assertTrue(awaitCompleted.test(completed.getAsLong() + 100, Duration.ofSeconds(30)), "load flows");
        for (int i = 0; i < times; i++)
        {
            status = Restarts.restart(processes, port, status, RESTART);
            generations.add(status);
            long before = completed.getAsLong();
            assertTrue(awaitCompleted.test(before + 100, Duration.ofSeconds(30)), "load flows after restart " + (i + 1));
        }
        return status;
    }

    static Path marker(Path markerDir, long pid)
    {
        return markerDir.resolve("closed-" + pid);
    }

    /** POST to an actuator endpoint on 127.0.0.1; @return the body, with the status code in front ("200 {...}") */
    static String post(int port, String path, Duration timeout) throws IOException, InterruptedException
    {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(timeout)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }
}
