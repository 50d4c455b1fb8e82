package io.jettygraceful.it.boot;

import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ListeningSockets;
import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the Spring Boot sample starts: under {@code systemd-socket-activate} on the inherited socket only, binding
 * nothing itself; with a {@code jetty.graceful.*} value that cannot work, not at all, with Boot's failure report naming
 * the property and the fix.
 */
class BootStartTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void servesOnTheSocketOfSystemdSocketActivationOnly(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        String address = "127.0.0.1:" + port;
        // server.port=0 and inherit-required: it must adopt the activated socket, not bind one of its own.
        ExampleProcess process = processes.start(ExampleProcess.builder().name("boot-activated-jdk" + jdk).jdk(jdk).jar(Jdks.bootExampleJar()).jvmArgs(BootExample.JVM_ARGS)
            .wrapper(ExampleProcess.systemdSocketActivate(List.of(address), List.of("http")))
            .args("--server.port=0", "--jetty.graceful.inherit-required=true"));
        process.awaitLog("Listening on " + java.util.regex.Pattern.quote(address) + " as \\d+", BootExample.START);
        try (Socket trigger = new Socket("127.0.0.1", port))
        {
            // The activator execs the JVM on the first connection.
        }
        assertEquals(process.pid(), process.servingPid(BootExample.START), "the activator execs the JVM: same pid");
        process.awaitLog("Serving .* listeners=\\[inherited fd 3 'http' " + address.replace(".", "\\.") + "]", BootExample.START);

        ExampleStatus status = processes.status(port);
        assertEquals(process.pid(), status.pid());
        assertEquals(List.of(new ExampleStatus.Listener(address, true)), status.listeners(), status.json());
        assertEquals(1, status.generation());
        assertEquals(List.of(address), ListeningSockets.describe(process.pid()), "the Boot app listens on the inherited socket only, and binds nothing itself");
    }

    @Test
    void invalidPropertiesFailTheStartNamingThePropertyAndTheFix() throws Exception
    {
        Path notADirectory = java.nio.file.Files.writeString(dir.resolve("plain-file"), "x");
        assertFailure(List.of("--jetty.graceful.ready-timeout=0"), "jetty.graceful.ready-timeout", "positive duration", "Action:", "a duration such as 60s");
        assertFailure(List.of("--jetty.graceful.signal=QUIT"), "jetty.graceful.signal", "HUP, USR1 or USR2", "Action:");
        // Binding itself fails: Boot's own analyzer names the property.
        assertFailure(List.of("--jetty.graceful.drain-timeout=banana"), "jetty.graceful.drain-timeout", "banana", "Action:");
        assertFailure(List.of("--jetty.graceful.pid-file=" + notADirectory.resolve("app.pid")), "jetty.graceful.pid-file", "Action:");
    }

    private void assertFailure(List<String> args, String... expected)
    {
        ExampleProcess process = processes.start(ExampleProcess.builder().name("boot-invalid").jar(Jdks.bootExampleJar()).jvmArgs(BootExample.JVM_ARGS)
            .args("--server.address=127.0.0.1", "--server.port=" + FreePorts.ipv4()).args(args));
        int code = process.exitCode(BootExample.START);
        assertNotEquals(0, code, process.describe());
        String output = process.output();
        assertTrue(output.contains("APPLICATION FAILED TO START"), "Boot's failure report for " + args + ": " + process.describe());
        for (String part : expected)
            assertTrue(output.contains(part), "'" + part + "' in the report for " + args + ":\n" + output.substring(Math.max(0, output.indexOf("APPLICATION FAILED"))));
    }
}
