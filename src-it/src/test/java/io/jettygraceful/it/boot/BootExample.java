package io.jettygraceful.it.boot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.Jdks;

/**
 * The Spring Boot sample ({@code jetty-graceful-spring-boot-example}) as the harness runs it: its repackaged jar with
 * {@code java -jar}, through {@link ExampleProcess} like the plain example. It logs the same {@code Serving pid=...}
 * line and answers the same {@code /status}, so {@code Restarts}, {@code ProcessTracker} and the load clients work
 * on it unchanged.
 */
final class BootExample
{
    /** A Boot start on a busy 2-core machine takes seconds, not the plain example's half second. */
    static final Duration START = Duration.ofSeconds(120);
    static final Duration RESTART = Duration.ofSeconds(150);

    private BootExample()
    {
    }

    /**
     * @param markerDir where each process's {@code @PreDestroy} writes {@code closed-PID} when its context closes
     */
    static ExampleProcess.Builder builder(String name, int jdk, int port, Path markerDir)
    {
        return ExampleProcess.builder().name(name).jdk(jdk).jar(Jdks.bootExampleJar()).outputOutlivesProcess()
            .args("--server.address=127.0.0.1", "--server.port=" + port, "--example.shutdown-marker=" + markerDir.resolve("closed-{pid}"));
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
