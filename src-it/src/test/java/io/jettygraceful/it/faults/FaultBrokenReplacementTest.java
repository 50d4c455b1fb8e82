package io.jettygraceful.it.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replacement cannot start: no fds left, the java program gone, a JVM option the JVM rejects, the jar gone or not
 * a jar. Each time the restart fails with a logged reason that names the cause, the parent serves on under the same
 * uuid, reaps whatever it started, and not one request of a load running throughout fails.
 *
 * <p>The example re-runs its own command line ({@code /proc/self/cmdline}): {@code argv[0]} as it was given, the JVM
 * options, {@code -jar PATH}. The tests start it through paths they own (a symlink to the JDK's java, a copy of the
 * jar) and break those paths before the SIGHUP. A JVM option cannot be added to a running JVM's command line and the
 * child's environment is the parent's, fixed at its start (so JDK_JAVA_OPTIONS cannot be injected afterwards either):
 * the invalid option reaches the child through the launcher path instead, replaced by a script that adds it, which is
 * what a deploy that updates a launcher or JDK symlink does.</p>
 */
class FaultBrokenReplacementTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    enum Breakage
    {
        /** The java symlink the parent was started through is deleted. */
        JAVA_MISSING,
        /** The java symlink is replaced by a script that execs java with -XX:+NoSuchOption. */
        INVALID_JVM_OPTION,
        /** The jar is deleted. */
        JAR_MISSING,
        /**
         * The jar is replaced by a directory of the same name. (chmod 000 proves nothing: the tests run as root, which
         * reads any file; a directory is unreadable as a jar for every user.)
         */
        JAR_IS_A_DIRECTORY
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Breakage.class)
    void brokenReplacementCommandFailsTheRestartAndTheParentServesOn(Breakage breakage, @TempDir Path dir) throws Exception
    {
        Path java = dir.resolve("java");
        Files.createSymbolicLink(java, Jdks.java(17));
        Path jar = dir.resolve("app.jar");
        Files.copy(Jdks.exampleJar(), jar);
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-broken-" + breakage).java(java).jar(jar), port);
        ExampleProcess process = processes.started().get(0);

        String cause;
        switch (breakage)
        {
            case JAVA_MISSING ->
            {
                Files.delete(java);
                cause = "No such file or directory";
            }
            case INVALID_JVM_OPTION ->
            {
                Path script = dir.resolve("java.next");
                Files.writeString(script, "#!/bin/sh\nexec " + Jdks.java(17) + " -XX:+NoSuchOption \"$@\"\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(script, java, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                cause = "Unrecognized VM option 'NoSuchOption'";
            }
            case JAR_MISSING ->
            {
                Files.delete(jar);
                cause = "Unable to access jarfile";
            }
            case JAR_IS_A_DIRECTORY ->
            {
                Files.delete(jar);
                Files.createDirectory(jar);
                cause = "Invalid or corrupt jarfile";
            }
            default -> throw new IllegalStateException();
        }

        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows");
            Faults.hup(parent.pid());
            ExampleStatus after = Faults.awaitRestartsFailed(port, 1, Duration.ofSeconds(30));
            String failedLine = process.awaitLog("Restart failed: pid " + parent.pid() + " keeps serving; .*", Duration.ofSeconds(5)).group();
            if (breakage == Breakage.JAVA_MISSING)
            {
                // posix_spawnp itself fails: the reason names the program and the errno.
                assertTrue(failedLine.contains(java.toString()) && failedLine.contains(cause), "the reason names the missing program: " + failedLine);
            }
            else
            {
                // The JVM starts and exits at once: the reason is its exit; the JVM's own message, in the same log, names the cause.
                assertTrue(failedLine.matches(".*(closed the control socket before it was ready|exited before it was ready).*ended with .*1.*"),
                    "the reason names the child's exit: " + failedLine);
                process.awaitLog(Pattern.quote(cause), Duration.ofSeconds(1));
            }
            assertEquals(parent.pid(), after.pid(), "the parent still serves: " + after.json());
            assertEquals(parent.uuid(), Faults.uuidOf(port), "same uuid");
            assertTrue(Procs.childrenOf(parent.pid()).isEmpty(), "nothing left of the failed replacement: " + Procs.childrenOf(parent.pid()));
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after the failure");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] broken replacement (" + breakage + "): " + failedLine.replaceFirst(".*Restart failed", "Restart failed") + " | " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(parent.uuid()), summary.answeredBy().keySet(), summary.toString());
        }
    }

    /**
     * The parent has no fd left (its soft RLIMIT_NOFILE lowered below its open fds with prlimit): the restart fails,
     * saying so, and succeeds once the limit is back. While no fd can be opened the parent cannot accept either: new
     * connections wait in the accept queue and are served when the limit is restored, so the load still sees no
     * failure.
     *
     * <p>"Too few fds for the child but enough for the parent" cannot be set up: a child inherits the parent's limit
     * and needs about as many fds as the parent holds when idle (measured: the example serves with 12-13 fds and fails
     * at 10), so no limit lets the parent spawn and the child not start.</p>
     */
    @Test
    void noFdsLeftFailsTheRestartWithTheReasonAndTheParentServesOn() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-emfile"), port);
        ExampleProcess process = processes.started().get(0);
        String pid = String.valueOf(parent.pid());
        String original = Faults.run("prlimit", "--pid", pid, "--nofile", "--noheadings", "--output", "SOFT").trim();
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(15)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows");
            Faults.run("prlimit", "--pid", pid, "--nofile=4:");
            try
            {
                Faults.hup(parent.pid());
                process.awaitLog("Restart requested by SIGHUP", Duration.ofSeconds(10));
                String failedLine = process.awaitLog("Restart failed: pid " + parent.pid() + " keeps serving; .*", Duration.ofSeconds(10)).group();
                assertTrue(failedLine.contains("Too many open files"), "the reason names the cause: " + failedLine);
                System.out.println("[it] no fds left: " + failedLine.replaceFirst(".*Restart failed", "Restart failed"));
            }
            finally
            {
                Faults.run("prlimit", "--pid", pid, "--nofile=" + original + ":");
            }
            ExampleStatus after = Faults.awaitRestartsFailed(port, 1, Duration.ofSeconds(20));
            assertEquals(parent.pid(), after.pid());
            assertTrue(after.json().contains("Too many open files"), "lastResult names the cause: " + after.json());
            assertEquals(parent.uuid(), Faults.uuidOf(port));
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after the limit is restored");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] no fds left, under load: " + summary);
            assertEquals(0, summary.failed(), summary.toString());
        }
        ExampleStatus second = Faults.restart(processes, port, processes.status(port));
        assertEquals(2, second.generation(), "with fds again, the restart succeeds");
    }

    /**
     * The replacement starts but its readiness check throws: it reports FAILED with the check's message and exits 1
     * by itself (not a status forced by the parent's SIGTERM); the parent names the reason, reaps it and serves on.
     */
    @Test
    void failingReadinessCheckIsReportedWithItsMessageAndTheReplacementExitsOne() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-readiness"), port, "--fail-readiness");
        ExampleProcess process = processes.started().get(0);
        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows");
            long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
            String failedLine = process.awaitLog("Restart failed: pid " + parent.pid() + " keeps serving; .*", Duration.ofSeconds(30)).group();
            assertTrue(failedLine.contains("the replacement failed to start: readiness check failed: java.lang.IllegalStateException: --fail-readiness was given"),
                "the reason carries the check's message: " + failedLine);
            assertTrue(failedLine.endsWith("replacement pid " + child + " ended with exit code 1"), "its own exit status: " + failedLine);
            ExampleStatus after = Faults.awaitRestartsFailed(port, 1, Duration.ofSeconds(10));
            assertEquals(parent.pid(), after.pid());
            assertEquals(parent.uuid(), Faults.uuidOf(port));
            assertTrue(Procs.childrenOf(parent.pid()).isEmpty(), "nothing left of the failed replacement");
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after the failure");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] failing readiness check: " + failedLine.replaceFirst(".*Restart failed", "Restart failed") + " | " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertEquals(Set.of(parent.uuid()), summary.answeredBy().keySet(), summary.toString());
        }
    }
}
