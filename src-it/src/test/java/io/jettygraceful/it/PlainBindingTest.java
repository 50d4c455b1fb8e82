package io.jettygraceful.it;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Nothing inherited, or variables aimed at another process: the example binds --host/--port itself, like a plain
 * ServerConnector, and says in its log why it ignored the variables.
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
        return status;
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
