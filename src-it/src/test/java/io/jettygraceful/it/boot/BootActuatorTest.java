package io.jettygraceful.it.boot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code gracefulrestart} actuator endpoint of the Spring Boot sample: POST restarts and answers with the outcome;
 * a POST while a restart runs is refused with 409; a broken jar deployed by rename makes the next restart fail (500),
 * the old process keeps serving, and the endpoint shows the failure and its reason.
 */
class BootActuatorTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @Test
    void postRestartsThenABrokenJarFailsAndTheOldProcessServesOn() throws Exception
    {
        Path deployed = Files.createDirectories(dir.resolve("app")).resolve(Jdks.bootExampleJar().getFileName());
        Files.copy(Jdks.bootExampleJar(), deployed);
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(BootExample.builder("boot-actuator", 17, port, dir).jar(deployed));
        process.servingPid(BootExample.START);
        ExampleStatus first = processes.status(port);

        String read = Http.get(port, "/actuator/gracefulrestart").body();
        assertTrue(read.contains("\"generation\":1") && read.contains("\"pid\":" + first.pid()) && read.contains("\"restartsFailed\":0"), read);

        // POST: the answer comes from the old process once the new one took over.
        String answer = BootExample.post(port, "/actuator/gracefulrestart", BootExample.RESTART);
        assertTrue(answer.startsWith("200 ") && answer.contains("\"succeeded\":true"), answer);
        ExampleStatus second = Restarts.awaitGeneration(processes, port, first, BootExample.RESTART);
        assertTrue(answer.contains("\"childPid\":" + second.pid()), "the outcome names the new pid " + second.pid() + ": " + answer);
        Restarts.awaitExit(first.pid(), Duration.ofSeconds(60));

        // A POST while a restart runs (here one that SIGHUP started) is refused: 409, not 200, with the reason.
        assertTrue(Subreaper.signal(second.pid(), Restarts.SIGHUP), "SIGHUP to " + second.pid());
        Restarts.await(() -> restarting(port, second.pid()), Duration.ofSeconds(60), "pid " + second.pid() + " to show \"restarting\":true");
        String refused = BootExample.post(port, "/actuator/gracefulrestart", BootExample.RESTART);
        assertTrue(refused.startsWith("409 ") && refused.contains("\"succeeded\":false") && refused.contains("in progress"),
            "a refused restart is 409 with its reason: " + refused);
        ExampleStatus third = Restarts.awaitGeneration(processes, port, second, BootExample.RESTART);
        Restarts.awaitExit(second.pid(), Duration.ofSeconds(60));

        // A broken build, deployed the right way (a new file renamed over the old one).
        Path upload = deployed.resolveSibling("upload.tmp");
        Files.writeString(upload, "this is not a jar");
        Files.move(upload, deployed, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        String failed = BootExample.post(port, "/actuator/gracefulrestart", BootExample.RESTART);
        assertTrue(failed.startsWith("500 ") && failed.contains("\"succeeded\":false"), "a failed restart is 500 with its reason: " + failed);
        ExampleStatus after = processes.status(port);
        assertEquals(third.pid(), after.pid(), "the old process serves on: " + after.json());
        assertEquals(200, Http.get(port, "/uuid").status());

        String shown = Http.get(port, "/actuator/gracefulrestart").body();
        assertTrue(shown.contains("\"generation\":3") && shown.contains("\"restartsFailed\":1") && shown.contains("\"succeeded\":false"), shown);
        assertTrue(shown.contains("\"reason\":\"") && !shown.contains("\"reason\":null"), "the failure has a reason: " + shown);
        System.out.println("[it] Boot actuator after a broken jar: " + shown);

        // Micrometer: the failure is counted by outcome, the generation is a gauge.
        String failures = Http.get(port, "/actuator/metrics/jetty.graceful.restarts?tag=outcome:failed").body();
        assertTrue(failures.contains("\"value\":1.0"), failures);
        String generation = Http.get(port, "/actuator/metrics/jetty.graceful.generation").body();
        assertTrue(generation.contains("\"value\":3.0"), generation);
    }

    /** @return whether {@code pid} answers the endpoint's read operation with a restart running */
    private static boolean restarting(int port, long pid)
    {
        try
        {
            String read = Http.get(port, "/actuator/gracefulrestart").body();
            return read.contains("\"pid\":" + pid + ",") && read.contains("\"restarting\":true");
        }
        catch (java.io.IOException x)
        {
            return false;
        }
    }
}
