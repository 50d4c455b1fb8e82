package io.jettygraceful.it;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing inherited, or variables aimed at another process: the example binds --host/--port itself, like a plain
 * ServerConnector (on 127.0.0.1 unless --host says otherwise), and says in its log why it ignored the variables; a port
 * it cannot bind is one line and exit code 2; every log line names its pid.
 */
class PlainBindingTest
{
    static final Duration START = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private ExampleStatus assertBoundItself(ExampleProcess process, int port) throws Exception
    {
        process.awaitLog("Serving pid=" + process.pid() + " .*listeners=\\[bound ", START);
        ExampleStatus status = processes.status(port);
        assertEquals(process.pid(), status.pid());
        assertEquals(0, status.inherited(), status.json());
        assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + port, false)), status.listeners(), status.json());
        assertEquals(List.of("127.0.0.1:" + port), ListeningSockets.describe(process.pid()));
        Http.Response uuid = Http.get(port, "/uuid");
        assertEquals(200, uuid.status());
        assertEquals(status.uuid(), uuid.body().trim());
        SocketActivationTest.assertNoJdkWarnings(process);
        assertEveryLineNamesItsPid(process);
        return status;
    }

    /** Two generations write to one stdout during a restart: each log line names its process. */
    static void assertEveryLineNamesItsPid(ExampleProcess process)
    {
        List<String> logLines = process.output().lines().filter(line -> line.matches("\\d{4}-\\d\\d-\\d\\dT.*")).toList();
        assertFalse(logLines.isEmpty(), process.describe());
        for (String line : logLines)
            assertTrue(line.matches("\\S+ pid=" + process.pid() + " (INFO|WARN|ERROR|DEBUG|TRACE) .*"), "a log line without its pid: " + line);
    }

    private ExampleProcess start(String name, int jdk, int port, List<String> wrapper)
    {
        return processes.start(ExampleProcess.builder().name(name + "-jdk" + jdk).jdk(jdk).wrapper(wrapper)
            .args("--host", "127.0.0.1", "--port", String.valueOf(port)));
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void bindsWhenNothingIsInherited(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = start("plain", jdk, port, List.of());
        assertBoundItself(process, port);
        process.terminate();
        assertEquals(143, process.exitCode(START), "SIGTERM: the JVM runs its shutdown hooks and exits 128+15: " + process.describe());
    }

    /** Without --host the example listens on loopback only: trying it exposes nothing. */
    @Test
    void bindsLoopbackByDefault() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("default-host").jdk(17).args("--port", String.valueOf(port)));
        assertBoundItself(process, port);
    }

    /** A port already in use: one line that names the address and the fix, exit code 2, no stack trace. */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void aPortInUseIsOneLineAndExitCode2(int jdk) throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(Http.IPV4)))
        {
            int port = taken.getLocalPort();
            ExampleProcess process = processes.start(ExampleProcess.builder().name("port-in-use-jdk" + jdk).jdk(jdk).args("--port", String.valueOf(port)));
            assertEquals(2, process.exitCode(START), process.describe());
            String output = process.output();
            List<String> errors = output.lines().filter(line -> line.contains(" ERROR ")).toList();
            assertEquals(1, errors.size(), output);
            assertTrue(errors.get(0).matches(".* pid=" + process.pid() + " ERROR ExampleServer - Cannot start: cannot listen on 127\\.0\\.0\\.1:" + port +
                ": the address is already in use .*Fix: stop the process that listens there.*or give another --port.*"), errors.get(0));
            assertFalse(output.contains("\tat ") || output.contains("Exception:"), "no stack trace:\n" + output);
            assertTrue(output.lines().count() <= 3, "a few lines at most:\n" + output);
        }
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void ignoresListenFdsWithoutListenPid(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        // fd 3 is a file: adopting it would fail the start, so serving proves the variables were ignored.
        ExampleProcess process = start("listen-fds-no-pid", jdk, port, ExampleProcess.shell("exec 3</etc/hostname; export LISTEN_FDS=1"));
        assertBoundItself(process, port);
        process.awaitLog("Inherited sockets: none \\(LISTEN_FDS is set without LISTEN_PID", START);
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void ignoresListenPidOfAnotherProcess(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        // $PPID is the test JVM: a live process that is certainly not the example.
        ExampleProcess process = start("listen-pid-other", jdk, port, ExampleProcess.shell("exec 3</etc/hostname; export LISTEN_PID=$PPID LISTEN_FDS=1"));
        assertBoundItself(process, port);
        process.awaitLog("Inherited sockets: none \\(LISTEN_PID=" + ProcessHandle.current().pid() + " names another process \\(this is " + process.pid() + "\\)", START);
    }
}
