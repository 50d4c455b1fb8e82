package io.jettygraceful.it.javalin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ListeningSockets;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import io.jettygraceful.it.containers.PidNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Javalin sample the way it is operated: a broken jar deployed by rename keeps the old process serving; under
 * {@code systemd-socket-activate}; as PID 1 of a PID namespace (a container's {@code ENTRYPOINT ["java", ...]}); and
 * plugin settings that cannot work stop the start with the setting and the fix.
 *
 * <p>CI time: one JDK each (17 for most, 25 for socket activation): what is Javalin's here (the plugin's connector and
 * start) does not differ between JDKs, and the restart ITs run both.</p>
 */
class JavalinOperationsTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @Test
    void aBrokenJarKeepsTheOldProcessServingAndTheNextGoodJarTakesOver() throws Exception
    {
        Path jar = dir.resolve("app.jar");
        Files.copy(Jdks.javalinExampleJar(), jar);
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(JavalinSample.server("javalin-broken-jar", 17, port, "--drain-timeout", "3s").jar(jar));
        first.servingPid(JavalinSample.START);
        ExampleStatus status = processes.status(port);
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofMinutes(4)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(30)), "load flows");
            deploy(dir, "this is not a jar\n".getBytes(), jar);
            assertTrue(Subreaper.signal(status.pid(), Restarts.SIGHUP));
            first.awaitLog("Restart failed: pid " + status.pid() + " keeps serving", JavalinSample.HANDOFF);
            first.awaitLog(Pattern.quote("Invalid or corrupt jarfile"), Duration.ofSeconds(5));
            ExampleStatus after = processes.status(port);
            assertEquals(status.pid(), after.pid(), "the old process serves on");
            assertEquals(1, after.generation());
            assertTrue(after.json().contains("\"restartsFailed\":1"), after.json());
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after the failed restart");

            deploy(dir, Files.readAllBytes(Jdks.javalinExampleJar()), jar);
            ExampleStatus next = Restarts.restart(processes, port, status, JavalinSample.HANDOFF);
            assertEquals(2, next.generation(), next.json());
            assertEquals(0, first.exitCode(Duration.ofSeconds(30)), first.describe());
            before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after the restart");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] Javalin broken jar then good jar: " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(status.uuid(), next.uuid()), summary.answeredBy().keySet(), summary.toString());
        }
    }

    /**
     * {@code systemd-socket-activate} holds the socket and execs the JVM on the first connection; with
     * {@code inheritRequired} the plugin's connector adopts it (and would fail rather than bind), and a restart hands
     * the same socket on.
     */
    @Test
    void underSystemdSocketActivationTheActivatorsSocketIsAdoptedAndHandedOn() throws Exception
    {
        int port = FreePorts.ipv4();
        String listen = "127.0.0.1:" + port;
        ExampleProcess process = processes.start(JavalinSample.server("javalin-activated", 25, port, "--inherit-required", "--drain-timeout", "3s")
            .wrapper(ExampleProcess.systemdSocketActivate(List.of(listen), List.of("http"))));
        process.awaitLog("Listening on " + Pattern.quote(listen) + " as \\d+", JavalinSample.START);

        // The first connection makes the activator exec the JVM; it waits in the backlog until Javalin has started.
        Http.Response firstResponse = Http.get(Http.IPV4, port, "/status", JavalinSample.START);
        assertEquals(200, firstResponse.status(), firstResponse.toString());
        ExampleStatus status = ExampleStatus.parse(firstResponse.body());
        processes.saw(status.pid());
        assertEquals(process.pid(), status.pid(), "the activator execs the JVM: same pid");
        assertEquals(List.of(new ExampleStatus.Listener(listen, true)), status.listeners(), status.json());
        process.awaitLog("Serving pid=" + status.pid() + " .* listeners=\\[inherited fd 3 'http' " + Pattern.quote(listen) + "]", JavalinSample.START);
        assertEquals(List.of(listen), ListeningSockets.describe(process.pid()), "the JVM listens on the activator's socket only");

        ExampleStatus next = Restarts.restart(processes, port, status, JavalinSample.HANDOFF);
        assertEquals(2, next.generation());
        assertEquals(List.of(new ExampleStatus.Listener(listen, true)), next.listeners(), next.json());
        process.awaitLog("Serving pid=" + next.pid() + " .* listeners=\\[inherited fd 3 'http' " + Pattern.quote(listen) + "]", JavalinSample.START);
        assertEquals(0, process.exitCode(Duration.ofSeconds(30)), "the activated first process handed over and exited 0: " + process.describe());
        assertEquals(next.uuid(), Http.get(port, "/uuid").body().trim());
    }

    /**
     * As PID 1 of a PID namespace ({@code unshare --pid --fork --mount-proc}, the kernel's real PID-1 semantics): a HUP
     * to PID 1 restarts (the first JVM becomes the container's holder), the next generation serves, and SIGTERM to PID 1
     * drains the serving generation (a slow request is answered) and ends the namespace with its status, 143.
     */
    @Test
    void asPid1OfAContainerHupRestartsAndSigtermDrains() throws Exception
    {
        if (Stream.of(System.getenv("PATH").split(":")).noneMatch(d -> Files.isExecutable(Path.of(d, "unshare"))))
            fail("unshare is needed by this test but is not on PATH. Fix: apt-get install -y util-linux");
        int port = FreePorts.ipv4();
        List<String> wrapper = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"));
        ExampleProcess process = processes.start(JavalinSample.server("javalin-pid1", 17, port, "--drain-timeout", "10s").wrapper(wrapper));
        process.awaitLog("Serving pid=1 generation=1 ", JavalinSample.START);
        PidNamespace namespace = PidNamespace.of(process.pid(), JavalinSample.START);
        ExampleStatus status = ExampleStatus.parse(Http.get(port, "/status").body());
        assertEquals(1, status.pid(), "the JVM is PID 1: " + status.json());

        assertTrue(Subreaper.signal(namespace.init(), Restarts.SIGHUP));
        ExampleStatus next = status;
        long deadline = System.nanoTime() + JavalinSample.HANDOFF.toNanos();
        while (next.pid() == status.pid() || next.json().contains("\"handedOff\":true"))
        {
            if (System.nanoTime() > deadline)
                fail("no new generation serves after HUP to PID 1: " + process.tail(30));
            Restarts.pause(Duration.ofMillis(100));
            next = ExampleStatus.parse(Http.get(port, "/status").body());
        }
        assertEquals(2, next.generation(), next.json());
        assertNotEquals(1, next.pid());
        process.awaitLog("Serving pid=" + next.pid() + " generation=2 ", JavalinSample.HANDOFF);
        // PID 1 holds the container now: signals to it reach the serving generation.
        Restarts.await(() -> namespace.members().stream().anyMatch(m -> io.jettygraceful.it.Procs.cmdline(m).contains("io.jettygraceful.internal.holder.HolderMain")),
            JavalinSample.HANDOFF, "the first process to exec into the holder: " + namespace.describe());

        java.util.concurrent.CompletableFuture<Http.Response> slow = java.util.concurrent.CompletableFuture.supplyAsync(
            () -> JavalinRestartTest.get(port, "/delayed?ms=3000"));
        Restarts.pause(Duration.ofMillis(300));
        assertTrue(Subreaper.signal(namespace.init(), 15));
        Http.Response answered = slow.get();
        assertEquals(200, answered.status(), "the slow request across SIGTERM to PID 1: " + answered);
        assertEquals(next.uuid(), answered.body().trim(), "answered by the serving generation, which drained");
        assertEquals(143, process.exitCode(Duration.ofSeconds(30)), "the namespace ends with the serving generation's status: " + process.tail(15));
        assertEquals(List.of(), namespace.zombies(), "zombies in the namespace");
    }

    /** Each bad setting stops the start: the JVM exits non-zero, and its output names the setting, the value and the fix. */
    @Test
    void pluginSettingsThatCannotWorkStopTheStartNamingTheSettingAndTheFix() throws Exception
    {
        assertRefused(List.of("--drain-timeout", "0s"), "Invalid jetty-graceful setting drainTimeout = PT0S: it must be a positive duration", "Fix: a duration such as 30s");
        assertRefused(List.of("--signal", "TERM"), "Invalid jetty-graceful setting signal = TERM", "Fix: HUP (the default), USR1, or none");
        assertRefused(List.of("--replacement-nice", "25"), "Invalid jetty-graceful setting replacementNice = 25", "Fix: 5 (the default), or 0");
        Path pidFile = dir.resolve("no-such-dir").resolve("app.pid");
        assertRefused(List.of("--pid-file", pidFile.toString()), "Invalid jetty-graceful setting pidFile = " + pidFile + ": the PID file's directory",
            "Fix: create it");
    }

    private void assertRefused(List<String> args, String problem, String fix)
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(JavalinSample.server("javalin-bad-setting", 17, port, args.toArray(String[]::new)));
        int exit = process.exitCode(JavalinSample.START);
        assertNotEquals(0, exit, "a bad setting stops the start: " + args + "\n" + process.tail(20));
        String output = process.output();
        assertTrue(output.contains(problem) && output.contains(fix), "the output of " + args + " names the setting (" + problem + ") and the fix (" + fix + "):\n" + process.tail(30));
        assertTrue(!output.contains("Serving pid="), "nothing served: " + process.tail(20));
    }

    private static void deploy(Path dir, byte[] content, Path jar) throws Exception
    {
        Path next = dir.resolve("app.jar.next");
        Files.write(next, content);
        Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
