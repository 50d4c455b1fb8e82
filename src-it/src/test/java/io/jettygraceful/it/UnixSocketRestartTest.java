package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unix-domain listeners handed over: the example serving on a Unix socket it bound itself ({@code --unix-socket}) or
 * that {@code systemd-socket-activate -l PATH} made, restarted under HTTP load over that socket; and a mixed server
 * (one TCP and one Unix-domain listener) handing over both. The socket file must exist the whole time; a real stop
 * removes it only when the service bound it.
 */
class UnixSocketRestartTest
{
    static final Duration START = Duration.ofSeconds(30);
    static final Duration HANDOFF = Duration.ofSeconds(60);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    static List<Arguments> modes()
    {
        return Jdks.TESTED.stream().flatMap(jdk -> List.of(Arguments.of("bound by the example", jdk), Arguments.of("systemd-socket-activate", jdk)).stream()).toList();
    }

    @ParameterizedTest(name = "{0}, JDK {1}")
    @MethodSource("modes")
    void tenRestartsUnderLoadOverTheUnixSocketFailNoRequest(String mode, int jdk) throws Exception
    {
        Path socket = dir.resolve("app.sock");
        boolean systemd = mode.startsWith("systemd");
        ExampleProcess first;
        if (systemd)
            first = SocketActivationTest.activate(processes, jdk, List.of(socket.toString()), List.of("app"), "--drain-timeout", "10s");
        else
            first = processes.start(ExampleProcess.builder().name("unix-bound-jdk" + jdk).jdk(jdk).outputOutlivesProcess()
                .args("--unix-socket", socket.toString(), "--drain-timeout", "10s"));
        if (!systemd)
            first.awaitLog("Serving pid=", START); // the socket file exists from then on
        Supplier<ExampleStatus> statusSource = () -> processes.statusUnix(socket);
        ExampleStatus status = awaitFirstUnix(socket); // under the activator, this connection execs the JVM
        ExampleStatus firstStatus = status;
        assertEquals(List.of(new ExampleStatus.Listener("unix:" + socket, systemd)), status.listeners(), status.json());
        first.awaitLog("Serving pid=" + status.pid() + " .* listeners=\\[" + (systemd ? "inherited fd 3 'app' " : "bound ") + Pattern.quote("unix:" + socket) + "]", START);

        try (SocketFileWatch watch = new SocketFileWatch(socket);
             LoadGenerator load = LoadGenerator.builder(0).unixSocket(socket).path("/uuid").keepAliveClients(3).newConnectionClients(2)
                 .maxRequests(2_000_000).maxDuration(Duration.ofSeconds(150)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(500, Duration.ofSeconds(20)), "load is flowing before the first restart");
            for (int i = 0; i < 10; i++)
            {
                long before = load.completed();
                ExampleStatus previous = status;
                status = Restarts.restart(statusSource, "unix:" + socket, status, HANDOFF);
                assertEquals(List.of(new ExampleStatus.Listener("unix:" + socket, true)), status.listeners(), status.json());
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after restart " + (i + 1));
                Restarts.awaitExit(previous.pid(), Duration.ofSeconds(30));
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] " + mode + ", JDK " + jdk + ", 10 restarts under load over " + socket + ": " + summary +
                "; socket file checked " + watch.checks() + " times");
            assertEquals(0, summary.failed(), "failed requests across 10 restarts: " + summary);
            assertEquals(0, summary.idleResets(), "idle connections reset instead of closed: " + summary);
            assertEquals(11, summary.answeredBy().size(), "every generation answered some requests: " + summary.answeredBy());
            assertTrue(summary.answeredBy().containsKey(firstStatus.uuid()) && summary.answeredBy().containsKey(status.uuid()), summary.answeredBy().toString());
            assertEquals(0, watch.missing(), "the socket file was missing at " + watch.missing() + " of " + watch.checks() + " checks during the restarts");
        }
        assertEquals(11, status.generation());
        assertTrue(isSocketFile(socket), "the socket file exists after the restarts");
        String log = first.output();
        assertFalse(log.contains(" WARN ") || log.contains("Exception"), "no generation logged a warning or an exception:\n" + log);

        // A real stop: the file goes only if this service bound it; systemd's socket is systemd's to remove.
        assertTrue(Subreaper.signal(status.pid(), 15));
        Restarts.awaitExit(status.pid(), Duration.ofSeconds(30));
        if (systemd)
            assertTrue(isSocketFile(socket), "a socket file systemd made is left to systemd (RemoveOnStop=)");
        else
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "a real stop removes the socket file the service bound");
    }

    /** One TCP and one Unix-domain listener: both handed over, load on both, no request fails. */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void aMixedServerHandsOverBoth(int jdk) throws Exception
    {
        Path socket = dir.resolve("mixed.sock");
        int port = FreePorts.ipv4();
        processes.start(ExampleProcess.builder().name("unix-mixed-jdk" + jdk).jdk(jdk).outputOutlivesProcess()
            .args("--host", Http.IPV4, "--port", String.valueOf(port), "--unix-socket", socket.toString(), "--drain-timeout", "10s"));
        ExampleStatus status = awaitFirst(port);
        assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + port, false), new ExampleStatus.Listener("unix:" + socket, false)), status.listeners(), status.json());

        try (SocketFileWatch watch = new SocketFileWatch(socket);
             LoadGenerator tcp = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(1)
                 .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(120)).start();
             LoadGenerator unix = LoadGenerator.builder(0).unixSocket(socket).path("/uuid").keepAliveClients(2).newConnectionClients(1)
                 .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(120)).start())
        {
            assertTrue(tcp.awaitCompleted(200, Duration.ofSeconds(20)) && unix.awaitCompleted(200, Duration.ofSeconds(20)), "load is flowing on both");
            for (int i = 0; i < 3; i++)
            {
                long tcpBefore = tcp.completed();
                long unixBefore = unix.completed();
                ExampleStatus previous = status;
                status = Restarts.restart(processes, port, status, HANDOFF);
                assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + port, true), new ExampleStatus.Listener("unix:" + socket, true)),
                    status.listeners(), "both listeners inherited: " + status.json());
                Restarts.awaitNoLongerAccepting(processes.started().get(0), previous.pid(), HANDOFF); // both accept during the overlap
                assertEquals(status.pid(), processes.statusUnix(socket).pid(), "the new process answers on the Unix socket too");
                assertTrue(tcp.awaitCompleted(tcpBefore + 100, Duration.ofSeconds(20)) && unix.awaitCompleted(unixBefore + 100, Duration.ofSeconds(20)),
                    "load flows on both after restart " + (i + 1));
                Restarts.awaitExit(previous.pid(), Duration.ofSeconds(30));
            }
            LoadGenerator.Summary tcpSummary = tcp.stop();
            LoadGenerator.Summary unixSummary = unix.stop();
            System.out.println("[it] mixed, JDK " + jdk + ", 3 restarts: TCP " + tcpSummary + "; Unix " + unixSummary);
            assertEquals(0, tcpSummary.failed(), "TCP: " + tcpSummary);
            assertEquals(0, unixSummary.failed(), "Unix: " + unixSummary);
            assertEquals(4, unixSummary.answeredBy().size(), "every generation answered on the Unix socket: " + unixSummary.answeredBy());
            assertEquals(4, tcpSummary.answeredBy().size(), "every generation answered on TCP: " + tcpSummary.answeredBy());
            assertEquals(0, watch.missing(), "the socket file was missing during the restarts");
        }
        assertTrue(Subreaper.signal(status.pid(), 15));
        Restarts.awaitExit(status.pid(), Duration.ofSeconds(30));
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "a real stop removes the socket file the service bound");
    }

    private ExampleStatus awaitFirst(int port)
    {
        long deadline = System.nanoTime() + START.toNanos();
        while (true)
        {
            try
            {
                return processes.status(port);
            }
            catch (IOException x)
            {
                if (System.nanoTime() - deadline > 0)
                    throw new AssertionError("the example did not answer on port " + port + " within " + START.toMillis() + " ms: " + processes.started().get(0).describe(), x);
                Restarts.pause(Duration.ofMillis(50));
            }
        }
    }

    /** GET /status over the socket once the first JVM answers: until the file exists, then with the start timeout to read. */
    private ExampleStatus awaitFirstUnix(Path socket) throws IOException
    {
        long deadline = System.nanoTime() + START.toNanos();
        while (true)
        {
            try (Http.Connection connection = Http.Connection.openUnix(socket, START))
            {
                Http.Response response = connection.get("/status");
                assertEquals(200, response.status(), response.toString());
                ExampleStatus status = ExampleStatus.parse(response.body());
                processes.saw(status.pid());
                return status;
            }
            catch (java.net.ConnectException | java.nio.file.NoSuchFileException x)
            {
                if (System.nanoTime() - deadline > 0)
                    throw new AssertionError("nothing listened on " + socket + " within " + START.toMillis() + " ms: " + processes.started().get(0).describe(), x);
                Restarts.pause(Duration.ofMillis(50));
            }
        }
    }

    static boolean isSocketFile(Path path)
    {
        try
        {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        }
        catch (IOException x)
        {
            return false;
        }
    }

    /** Checks every 2 ms, on its own thread, that the socket file exists; bounded by its close. */
    static final class SocketFileWatch implements AutoCloseable
    {
        private final AtomicLong checks = new AtomicLong();
        private final AtomicLong missing = new AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        SocketFileWatch(Path path)
        {
            thread = new Thread(() ->
            {
                while (running)
                {
                    checks.incrementAndGet();
                    if (!isSocketFile(path))
                        missing.incrementAndGet();
                    try
                    {
                        Thread.sleep(2);
                    }
                    catch (InterruptedException x)
                    {
                        return;
                    }
                }
            }, "socket-file-watch");
            thread.setDaemon(true);
            thread.start();
        }

        long checks()
        {
            return checks.get();
        }

        long missing()
        {
            return missing.get();
        }

        @Override
        public void close() throws InterruptedException
        {
            running = false;
            thread.join(1000);
        }
    }
}
