package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.tools.attach.VirtualMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What supervisors see through restarts: systemd notifications (received on a real Unix datagram socket, with the
 * sender's pid as systemd would see it), the PID file, /status and JMX.
 */
class SupervisorTest
{
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration HANDOFF = Duration.ofSeconds(30);
    private static final Duration NOTIFY = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private ExampleProcess start(int port, ExampleProcess.Builder builder, String... args)
    {
        ExampleProcess process = processes.start(builder.name("supervisor-" + port).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port)).args(args));
        process.servingPid(START);
        return process;
    }

    /**
     * Start, a successful restart and a stop, as systemd with NotifyAccess=main would receive them: every message comes
     * from the process that is the main pid at that moment, and the handover goes through the PID file, never MAINPID=
     * (what systemd itself makes of this is in the systemd suite: it.systemd).
     */
    @Test
    void notificationsComeFromTheMainPidOnlyAndTheHandoverFollowsThePidFile() throws Exception
    {
        Path dir = Files.createTempDirectory("jg-notify");
        try (NotifySocket notify = NotifySocket.bind(dir.resolve("notify.sock").toString()))
        {
            int port = FreePorts.ipv4();
            Path pidFile = dir.resolve("app.pid");
            start(port, ExampleProcess.builder().env("NOTIFY_SOCKET", notify.address()), "--pid-file", pidFile.toString(), "--fd-store");
            ExampleStatus first = processes.status(port);

            NotifySocket.Message ready = notify.expect("READY", NOTIFY);
            assertEquals(first.pid(), ready.senderPid(), ready.toString());
            assertEquals("1", ready.get("READY"));
            assertNull(ready.get("MAINPID"), ready.toString());
            NotifySocket.Message stored = notify.expect("FDSTORE", NOTIFY);
            assertEquals(first.pid(), stored.senderPid());
            assertEquals("port-" + port, stored.get("FDNAME"), stored.toString());
            assertEquals(1, stored.fds(), "the listening socket travels with FDSTORE=1 (SCM_RIGHTS): " + stored);

            long beforeHup = System.nanoTime() / 1000;
            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            NotifySocket.Message reloading = notify.expect("RELOADING", NOTIFY);
            assertEquals(first.pid(), reloading.senderPid());
            long monotonic = Long.parseLong(reloading.get("MONOTONIC_USEC"));
            assertTrue(monotonic >= beforeHup && monotonic <= System.nanoTime() / 1000, "MONOTONIC_USEC on CLOCK_MONOTONIC: " + reloading);

            NotifySocket.Message reloaded = notify.expect("READY", NOTIFY);
            assertEquals(first.pid(), reloaded.senderPid(), "the old main ends the reload once the replacement serves: " + reloaded);
            assertNull(reloaded.get("MAINPID"), reloaded.toString());
            assertTrue(reloaded.get("STATUS").startsWith("Restart 1 of pid " + first.pid() + " succeeded: pid "), reloaded.toString());
            ExampleStatus second = Restarts.awaitGeneration(processes, port, first, HANDOFF);
            assertTrue(reloaded.get("STATUS").contains("pid " + second.pid() + " serves"), reloaded.toString());
            assertEquals(second.pid(), readPid(pidFile), "systemd re-reads PIDFile= when the old main exits");

            Restarts.awaitExit(first.pid(), Duration.ofSeconds(40));
            assertNull(notify.receive(Duration.ofMillis(300)), "neither the drained process nor the replacement sends anything more " +
                "(no STOPPING=1 from the drained one, no second READY=1, no FDSTORE from the replacement)");

            assertTrue(Subreaper.signal(second.pid(), 15));
            NotifySocket.Message stopping = notify.expect("STOPPING", NOTIFY);
            assertEquals(second.pid(), stopping.senderPid(), "once its parent has exited, the replacement speaks for the service");
        }
    }

    /** A failed restart: RELOADING=1, then READY=1 with the reason, from the old main; nothing from the failed child. */
    @Test
    void failedRestartReportsReadyAgainWithTheReasonOnAnAbstractSocket() throws Exception
    {
        Path dir = Files.createTempDirectory("jg-notify");
        try (NotifySocket notify = NotifySocket.bind("@jetty-graceful-test-" + System.nanoTime()))
        {
            int port = FreePorts.ipv4();
            start(port, ExampleProcess.builder().env("NOTIFY_SOCKET", notify.address()), "--ready-timeout", "1s", "--ready-delay", "10m",
                "--pid-file", dir.resolve("app.pid").toString());
            ExampleStatus first = processes.status(port);
            assertEquals(first.pid(), notify.expect("READY", NOTIFY).senderPid());

            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            assertEquals(first.pid(), notify.expect("RELOADING", NOTIFY).senderPid());
            NotifySocket.Message failed = notify.expect("READY", NOTIFY);
            assertEquals(first.pid(), failed.senderPid(), failed.toString());
            assertTrue(failed.get("STATUS").startsWith("Restart 1 of pid " + first.pid() + " failed: the replacement was not ready within the ready timeout of 1000 ms"),
                failed.toString());
            assertNull(notify.receive(Duration.ofMillis(500)), "the stopped replacement sends nothing (no STOPPING=1)");

            assertTrue(Subreaper.signal(first.pid(), 15));
            assertEquals(first.pid(), notify.expect("STOPPING", NOTIFY).senderPid());
        }
    }

    /** Under systemd without a PID file the handover would end the service: refused, and said so to systemd. */
    @Test
    void underSystemdWithoutAPidFileARestartIsRefusedWithTheFix() throws Exception
    {
        try (NotifySocket notify = NotifySocket.bind("@jetty-graceful-test-" + System.nanoTime()))
        {
            int port = FreePorts.ipv4();
            ExampleProcess process = processes.start(ExampleProcess.builder().name("supervisor-" + port).outputOutlivesProcess()
                .env("NOTIFY_SOCKET", notify.address()).args("--host", "127.0.0.1", "--port", String.valueOf(port)));
            process.servingPid(START);
            ExampleStatus first = processes.status(port);
            notify.expect("READY", NOTIFY);

            assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
            NotifySocket.Message refused = notify.expect("RELOADING", NOTIFY);
            assertEquals("1", refused.get("READY"), "a refusal ends the reload job at once: " + refused);
            assertTrue(refused.get("STATUS").contains("refused: running under systemd (NOTIFY_SOCKET is set) without a PID file"), refused.toString());
            assertTrue(refused.get("STATUS").contains("PIDFile="), refused.toString());
            assertTrue(process.output().contains("without a PID file: restarts will be refused"), process.output());
            assertEquals(first.pid(), processes.status(port).pid(), "still serving");
        }
    }

    /** The PID file names the serving process after each of three restarts and after a failed one; a stop removes it. */
    @Test
    void pidFileFollowsTheServingProcess() throws Exception
    {
        Path dir = Files.createDirectories(Path.of("target", "it-work", "pidfile-" + System.nanoTime())).toAbsolutePath();
        Path jar = dir.resolve(Jdks.exampleJar().getFileName());
        Files.copy(Jdks.exampleJar(), jar);
        Path pidFile = dir.resolve("example.pid");
        int port = FreePorts.ipv4();
        start(port, ExampleProcess.builder().jar(jar), "--pid-file", pidFile.toString(), "--drain-timeout", "5s");
        ExampleStatus status = processes.status(port);
        assertEquals(status.pid(), readPid(pidFile));

        long replaced = 0;
        for (int i = 0; i < 3; i++)
        {
            replaced = status.pid();
            status = Restarts.restart(processes, port, status, HANDOFF);
            assertEquals(status.pid(), readPid(pidFile), "after restart " + (i + 1));
        }
        // From here on every /status must come from the serving process, not from the last one replaced in its overlap.
        Restarts.awaitNoLongerAccepting(processes.started().get(0), replaced, HANDOFF);

        deploy(jar, "not a jar".getBytes());
        ExampleStatus serving = status;
        assertTrue(Subreaper.signal(serving.pid(), Restarts.SIGHUP));
        Restarts.await(() -> processes.statusQuietly(port).json().contains("\"restartsFailed\":1"), HANDOFF, "the restart with a broken jar to fail");
        assertEquals(serving.pid(), readPid(pidFile), "a failed restart leaves the PID file on the serving process");
        assertEquals(serving.pid(), processes.status(port).pid());

        assertTrue(Subreaper.signal(serving.pid(), 15));
        Restarts.awaitExit(serving.pid(), Duration.ofSeconds(20));
        assertFalse(Files.exists(pidFile), "a real stop removes the PID file");
    }

    @Test
    void unwritablePidFileIsAClearStartupError() throws Exception
    {
        for (String path : new String[] {"/proc/jetty-graceful-test.pid", "/nonexistent-" + System.nanoTime() + "/example.pid"})
        {
            ExampleProcess process = processes.start(ExampleProcess.builder().name("pidfile-error")
                .args("--host", "127.0.0.1", "--port", String.valueOf(FreePorts.ipv4()), "--pid-file", path));
            assertEquals(2, process.exitCode(START), process.output());
            assertTrue(process.output().contains("Cannot start: Invalid jetty-graceful setting pidFile = " + path), process.output());
            assertTrue(process.output().contains("Fix: "), process.output());
        }
    }

    /** /status and JMX (read from the real process through the Attach API) agree on generation, parent and counts. */
    @Test
    void statusAndJmxReportGenerationParentAndOutcomes() throws Exception
    {
        Path dir = Files.createDirectories(Path.of("target", "it-work", "jmx-" + System.nanoTime())).toAbsolutePath();
        Path jar = dir.resolve(Jdks.exampleJar().getFileName());
        Files.copy(Jdks.exampleJar(), jar);
        int port = FreePorts.ipv4();
        start(port, ExampleProcess.builder().jar(jar));
        ExampleStatus first = processes.status(port);

        deploy(jar, "not a jar".getBytes());
        assertTrue(Subreaper.signal(first.pid(), Restarts.SIGHUP));
        Restarts.await(() -> processes.statusQuietly(port).json().contains("\"restartsFailed\":1"), HANDOFF, "the restart to fail");
        try (JMXConnector jmx = jmx(first.pid()))
        {
            MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            ObjectName restart = gracefulRestart(mbeans);
            assertEquals(1, mbeans.getAttribute(restart, "generation"));
            assertEquals(0, mbeans.getAttribute(restart, "parentPid"));
            assertEquals(1, mbeans.getAttribute(restart, "restartsFailed"));
            assertEquals(0, mbeans.getAttribute(restart, "restartsSucceeded"));
            assertTrue(((String)mbeans.getAttribute(restart, "lastResult")).startsWith("failed: "), String.valueOf(mbeans.getAttribute(restart, "lastResult")));
            // The settings are the configuration's, a bean of the GracefulRestart with its own MBean.
            Set<ObjectName> configurations = mbeans.queryNames(new ObjectName("io.jettygraceful:type=gracefulrestartconfiguration,*"), null);
            assertEquals(1, configurations.size(), "GracefulRestartConfiguration MBeans: " + configurations);
            assertEquals("HUP", mbeans.getAttribute(configurations.iterator().next(), "signal"));
        }

        deploy(jar, Files.readAllBytes(Jdks.exampleJar()));
        ExampleStatus second = Restarts.restart(processes, port, processes.status(port), HANDOFF);
        assertEquals(2, second.generation());
        assertEquals(first.pid(), second.parentPid());
        assertTrue(second.json().contains("\"restartsSucceeded\":0,\"restartsFailed\":0"), second.json());
        try (JMXConnector jmx = jmx(second.pid()))
        {
            MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            ObjectName restart = gracefulRestart(mbeans);
            assertEquals(2, mbeans.getAttribute(restart, "generation"));
            assertEquals((int)first.pid(), mbeans.getAttribute(restart, "parentPid"));
            assertEquals("none", mbeans.getAttribute(restart, "lastResult"));
            assertTrue((Long)mbeans.getAttribute(restart, "requestsInFlight") >= 0);
            Set<ObjectName> connectors = mbeans.queryNames(new ObjectName("io.jettygraceful:type=inheritedserverconnector,*"), null);
            assertEquals(1, connectors.size(), connectors.toString());
            ObjectName connector = connectors.iterator().next();
            assertEquals(true, mbeans.getAttribute(connector, "inherited"));
            assertEquals(3, mbeans.getAttribute(connector, "inheritedFd"));
        }
    }

    private static JMXConnector jmx(long pid) throws Exception
    {
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
        try
        {
            return JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
        }
        finally
        {
            vm.detach();
        }
    }

    private static ObjectName gracefulRestart(MBeanServerConnection mbeans) throws Exception
    {
        Set<ObjectName> names = mbeans.queryNames(new ObjectName("io.jettygraceful:type=gracefulrestart,*"), null);
        assertEquals(1, names.size(), "GracefulRestart MBeans: " + names);
        return names.iterator().next();
    }

    private static long readPid(Path pidFile) throws IOException
    {
        return Long.parseLong(Files.readString(pidFile).trim());
    }

    private static void deploy(Path jar, byte[] content) throws IOException
    {
        Path next = Files.write(jar.resolveSibling(jar.getFileName() + ".next"), content);
        Files.move(next, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
