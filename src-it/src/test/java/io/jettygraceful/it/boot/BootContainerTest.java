package io.jettygraceful.it.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import io.jettygraceful.it.containers.PidNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Boot sample under tini ({@code docker run --init}) with the holder set through Boot's own configuration
 * ({@code jetty.graceful.holder=always}). A replaced Boot process ends through its context and {@code System.exit},
 * called from the drained listener on the restart thread: the first JVM must hold all the same, and a SIGTERM to PID 1
 * must end the container with the serving generation's status, nothing left behind.
 */
class BootContainerTest
{
    private static final int SIGHUP = 1;
    private static final int SIGTERM = 15;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path markers;

    @Test
    void underTiniTheFirstProcessHoldsAndASigtermEndsTheContainerWithTheServingGenerationsStatus() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(BootExample.builder("boot-tini", 17, port, markers)
            .wrapper(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "tini", "--"))
            .args("--jetty.graceful.holder=always"));
        process.awaitLog("Serving pid=\\d+ generation=1 ", BootExample.START);
        PidNamespace namespace = PidNamespace.of(process.pid(), BootExample.START);
        ExampleStatus first = status(port);

        assertTrue(Subreaper.signal(namespace.init(), SIGHUP), "SIGHUP to tini, which passes it on to the first JVM");
        ExampleStatus second = Restarts.awaitGeneration(() -> status(port), "the Boot sample under tini", first, BootExample.RESTART);
        process.awaitLog("\\[jetty-graceful holder \\d+\\] pid " + second.pid() + " serves now", BootExample.RESTART);
        // The replaced process closed its context and called System.exit: the first JVM stays, as the holder.
        process.awaitLog("this JVM was asked to exit while it holds", BootExample.RESTART);
        assertEquals(second.pid(), status(port).pid(), "the second generation serves");

        assertTrue(Subreaper.signal(namespace.init(), SIGTERM), "SIGTERM to tini");
        assertEquals(143, process.exitCode(Duration.ofSeconds(60)), "the container ends with the serving generation's status: " + process.tail(20));
        process.awaitLog("exiting with 143, the status of serving pid " + second.pid(), Duration.ofSeconds(5));
    }

    private static ExampleStatus status(int port)
    {
        try
        {
            Http.Response response = Http.get(Http.IPV4, port, "/status", Http.DEFAULT_TIMEOUT);
            assertEquals(200, response.status(), "GET /status: " + response);
            return ExampleStatus.parse(response.body());
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }
}
