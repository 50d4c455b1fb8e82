package io.jettygraceful.it;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import io.jettygraceful.internal.os.Os;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bad inherited sockets aimed at this process: the example must refuse to start, with exit code 2 and a message that
 * names the variable or fd and says how to fix it. Never adopt whatever sits at fd 3, never start half-configured.
 */
class InheritedSocketErrorsTest
{
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private ExampleProcess run(String name, int jdk, List<String> wrapper)
    {
        return processes.start(ExampleProcess.builder().name(name + "-jdk" + jdk).jdk(jdk).wrapper(wrapper)
            .args("--host", "127.0.0.1", "--port", String.valueOf(FreePorts.ipv4())));
    }

    private static void assertRefused(ExampleProcess process, String messageRegex)
    {
        assertEquals(2, process.exitCode(EXIT), process.describe());
        process.awaitLog("ERROR .*Cannot start: " + messageRegex, Duration.ofSeconds(1));
        SocketActivationTest.assertNoJdkWarnings(process);
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void listenFdsNotANumber(int jdk)
    {
        ExampleProcess process = run("listen-fds-abc", jdk, ExampleProcess.shell("export LISTEN_PID=$$ LISTEN_FDS=abc"));
        assertRefused(process, Pattern.quote("LISTEN_FDS=abc is not a positive number") + ".*Fix: ");
    }

    @Test
    void listenFdsZero()
    {
        ExampleProcess process = run("listen-fds-0", 17, ExampleProcess.shell("export LISTEN_PID=$$ LISTEN_FDS=0"));
        assertRefused(process, Pattern.quote("LISTEN_FDS=0 is not a positive number"));
    }

    @Test
    void listenFdnamesCountMismatch()
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("fdnames-mismatch").jdk(17)
            .wrapper(ExampleProcess.systemdSocketActivate(List.of("127.0.0.1:" + port), List.of("http", "admin"))));
        process.awaitLog("Listening on 127\\.0\\.0\\.1:" + port, EXIT);
        trigger(port);
        assertRefused(process, Pattern.quote("LISTEN_FDNAMES='http:admin' has 2 name(s) but LISTEN_FDS=1"));
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void regularFileAtFd3(int jdk)
    {
        ExampleProcess process = run("file-at-fd3", jdk, ExampleProcess.shell("exec 3</etc/hostname; export LISTEN_PID=$$ LISTEN_FDS=1"));
        assertRefused(process, Pattern.quote("fd 3, inherited socket 1 of LISTEN_FDS=1, is a file or device (/etc/hostname), not a socket.") + " Fix: ");
    }

    @Test
    void udpSocket() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("udp-at-fd3").jdk(17)
            .wrapper(ExampleProcess.systemdSocketActivate(List.of("127.0.0.1:" + port), List.of("http"), "--datagram")));
        process.awaitLog("Listening on 127\\.0\\.0\\.1:" + port, EXIT);
        try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            byte[] hello = {1};
            udp.send(new DatagramPacket(hello, 1, InetAddress.getLoopbackAddress(), port)); // the datagram execs the JVM
        }
        assertRefused(process, Pattern.quote("fd 3 ('http'), inherited socket 1 of LISTEN_FDS=1, is ") + ".*" + Pattern.quote("IPv4 datagram (UDP) socket on 127.0.0.1:" + port + ", not a stream socket."));
    }

    @Test
    void connectedTcpSocketThatIsNotListening() throws Exception
    {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            ExampleProcess process = run("connected-at-fd3", 17,
                ExampleProcess.bash("exec 3<>/dev/tcp/127.0.0.1/" + peer.getLocalPort() + "; export LISTEN_PID=$$ LISTEN_FDS=1"));
            assertRefused(process, Pattern.quote("fd 3, inherited socket 1 of LISTEN_FDS=1, is ") + ".*" + Pattern.quote("that is not listening"));
        }
    }

    /** A Unix-domain datagram socket is refused, and described as what it is (no "TCP" in its description). */
    @Test
    void unixDatagramSocket(@TempDir Path dir) throws Exception
    {
        Path socket = dir.resolve("http.sock");
        ExampleProcess process = processes.start(ExampleProcess.builder().name("unix-dgram-at-fd3").jdk(17)
            .wrapper(ExampleProcess.systemdSocketActivate(List.of(socket.toString()), List.of("http"), "--datagram")));
        process.awaitLog("Listening on " + Pattern.quote(socket.toString()), EXIT);
        // The JDK has no Unix datagram channel on 17: the library's OS seam sends one (as for sd_notify); it execs the JVM.
        io.jettygraceful.internal.os.Os.current().sendDatagram(socket.toString(), new byte[] {1});
        assertRefused(process, Pattern.quote("fd 3 ('http'), inherited socket 1 of LISTEN_FDS=1, is a Unix-domain datagram socket on " + socket + ", not a stream socket."));
        Files.deleteIfExists(socket);
    }

    /** Connects once, so that systemd-socket-activate execs the JVM. */
    private static void trigger(int port)
    {
        try (java.net.Socket socket = new java.net.Socket())
        {
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        }
        catch (java.io.IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }
}
