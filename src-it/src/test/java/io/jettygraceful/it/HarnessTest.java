package io.jettygraceful.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of the harness itself: HTTP parsing and failure classification against a scripted in-JVM server, the
 * subreaper with real orphans, the listening-socket reader.
 */
class HarnessTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private FakeServer server;

    @AfterEach
    void stopServer() throws Exception
    {
        if (server != null)
            server.close();
    }

    @Test
    void parsesContentLengthAndChunkedOnOneKeepAliveConnection() throws Exception
    {
        server = new FakeServer(socket -> {
            readRequest(socket);
            write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello");
            readRequest(socket);
            write(socket, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n");
            readRequest(socket);
            write(socket, "HTTP/1.1 204 No Content\r\n\r\n");
        });
        try (Http.Connection connection = Http.Connection.open(Http.IPV4, server.port(), Duration.ofSeconds(5), Duration.ofSeconds(5)))
        {
            Http.Response first = connection.get("/a");
            assertEquals(200, first.status());
            assertEquals("hello", first.body());
            assertEquals("1", first.header("x-a"));
            assertFalse(first.connectionClose());
            Http.Response second = connection.get("/b");
            assertEquals(201, second.status());
            assertEquals("abcdefg", second.body());
            assertEquals(204, connection.get("/c").status());
            assertTrue(connection.isReusable());
        }
    }

    @Test
    void seesAnIdleConnectionClosedByTheServer() throws Exception
    {
        CountDownLatch closed = new CountDownLatch(1);
        server = new FakeServer(socket -> {
            readRequest(socket);
            write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            close(socket);
            closed.countDown();
        });
        try (Http.Connection connection = Http.Connection.open(Http.IPV4, server.port(), Duration.ofSeconds(5), Duration.ofSeconds(5)))
        {
            assertEquals("ok", connection.get("/").body());
            assertTrue(closed.await(5, TimeUnit.SECONDS));
            // The FIN may still be on its way after close() returned: poll, bounded.
            boolean seen = false;
            for (int i = 0; i < 500 && !seen; i++)
            {
                seen = connection.closedByServer();
                if (!seen)
                    Restarts.pause(Duration.ofMillis(10));
            }
            assertTrue(seen, "EOF of an idle connection must be seen before writing");
            assertFalse(connection.isReusable());
        }
    }

    @Test
    void classifiesClosedEarlyResetAndTimeout() throws Exception
    {
        server = new FakeServer(socket -> {
            String request = readRequest(socket);
            if (request.startsWith("GET /nothing"))
                close(socket);
            else if (request.startsWith("GET /half"))
            {
                write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
                close(socket);
            }
            else if (request.startsWith("GET /reset"))
            {
                try
                {
                    socket.setSoLinger(true, 0);
                }
                catch (SocketException x)
                {
                    throw new IllegalStateException(x);
                }
                close(socket);
            }
            else
                readRequest(socket); // /hang: never answers; returns when the client gives up
        });
        Duration timeout = Duration.ofMillis(500);
        assertThrows(Http.ClosedEarlyException.class, () -> Http.get(Http.IPV4, server.port(), "/nothing", timeout));
        assertThrows(Http.ClosedEarlyException.class, () -> Http.get(Http.IPV4, server.port(), "/half", timeout));
        SocketException reset = assertThrows(SocketException.class, () -> Http.get(Http.IPV4, server.port(), "/reset", timeout));
        assertTrue(reset.getMessage().contains("Connection reset"), reset.toString());
        assertThrows(SocketTimeoutException.class, () -> Http.get(Http.IPV4, server.port(), "/hang", timeout));
    }

    @Test
    void loadGeneratorTreatsConnectionCloseAsNoFailure() throws Exception
    {
        server = new FakeServer(socket -> {
            for (int i = 0; i < 3; i++)
            {
                readRequest(socket);
                boolean last = i == 2;
                write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 37\r\n" + (last ? "Connection: close\r\n" : "") +
                    "\r\n0e0c1fd4-7c3f-4b8e-9a51-2f1b0c9d8e7a\n");
            }
            close(socket);
        });
        LoadGenerator.Summary summary = LoadGenerator.builder(server.port()).keepAliveClients(2).newConnectionClients(0)
            .maxRequests(60).maxDuration(Duration.ofSeconds(20)).timeout(Duration.ofSeconds(5)).start().awaitFinished(Duration.ofSeconds(30));
        assertEquals(60, summary.ok(), summary.toString());
        assertEquals(0, summary.failed(), summary.toString());
        // 3 requests per connection, but the 60 are shared unevenly by the two clients: up to 2 connections end early.
        assertTrue(summary.connectionCloses() >= 18 && summary.connectionCloses() <= 20, summary.toString());
        assertEquals(Map.of("0e0c1fd4-7c3f-4b8e-9a51-2f1b0c9d8e7a", 60L), summary.answeredBy());
    }

    @Test
    void loadGeneratorCountsClosedEarlyAndRefused() throws Exception
    {
        server = new FakeServer(socket -> {
            readRequest(socket);
            close(socket);
        });
        LoadGenerator.Summary closed = LoadGenerator.builder(server.port()).keepAliveClients(1).newConnectionClients(1)
            .maxRequests(10).timeout(Duration.ofSeconds(5)).start().awaitFinished(Duration.ofSeconds(30));
        assertEquals(10, closed.closedEarly(), closed.toString());
        assertEquals(10, closed.total(), closed.toString());

        int nobody = FreePorts.ipv4();
        LoadGenerator.Summary refused = LoadGenerator.builder(nobody).keepAliveClients(1).newConnectionClients(1)
            .maxRequests(10).timeout(Duration.ofSeconds(5)).start().awaitFinished(Duration.ofSeconds(30));
        assertEquals(10, refused.refused(), refused.toString());
        assertEquals(0, refused.ok());
    }

    @Test
    void loadGeneratorStopsAtItsWallTimeCap() throws Exception
    {
        server = new FakeServer(socket -> {
            for (int i = 0; i < 1_000_000; i++)
            {
                if (readRequest(socket).isEmpty())
                    return;
                write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        LoadGenerator load = LoadGenerator.builder(server.port()).keepAliveClients(1).newConnectionClients(0)
            .maxRequests(Long.MAX_VALUE).maxDuration(Duration.ofMillis(300)).start();
        LoadGenerator.Summary summary = load.awaitFinished(Duration.ofSeconds(20));
        assertFalse(load.isRunning());
        assertTrue(summary.ok() > 0 && summary.failed() == 0, summary.toString());
        assertTrue(summary.elapsed().toMillis() < 10_000, summary.toString());
    }

    @Test
    void subreaperAdoptsAndReapsOrphans() throws Exception
    {
        Subreaper.enable();
        assertTrue(Subreaper.isEnabled());
        Process shell = new ProcessBuilder("/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!").redirectErrorStream(true).start();
        long orphan;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.US_ASCII)))
        {
            orphan = Long.parseLong(out.readLine().trim());
        }
        assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, shell.exitValue(), "the JDK still gets its own child's exit status");
        try
        {
            assertEquals(ProcessHandle.current().pid(), Procs.parentPid(orphan).orElseThrow(), "the orphan is re-parented to the subreaper");
            assertEquals(Subreaper.Reaped.RUNNING, Subreaper.reap(orphan));
            assertTrue(Subreaper.signal(orphan, 15));
            awaitTrue(() -> Procs.isZombie(orphan), "orphan becomes a zombie of ours");
            assertTrue(Procs.zombieChildrenOf(ProcessHandle.current().pid()).contains(orphan));
            assertEquals(Subreaper.Reaped.REAPED, Subreaper.reap(orphan));
            assertFalse(Procs.exists(orphan));
            assertEquals(Subreaper.Reaped.NOT_OUR_CHILD, Subreaper.reap(orphan));
        }
        finally
        {
            if (Procs.exists(orphan) && Procs.cmdline(orphan).startsWith("sleep"))
            {
                Subreaper.signal(orphan, 9);
                awaitTrue(() -> Subreaper.reap(orphan) != Subreaper.Reaped.RUNNING, "killed orphan reaped");
            }
        }
    }

    @Test
    void trackerEndsAndReapsAnOrphanedExample() throws Exception
    {
        int port = FreePorts.ipv4();
        // Like a generation that spawned its successor and exited: the shell starts the JVM in the background and exits.
        ExampleProcess shell = processes.start(ExampleProcess.builder().name("orphaned").jdk(17).outputOutlivesProcess()
            .wrapper(List.of("/bin/sh", "-c", "\"$@\" & exit 0", "sh")).args("--host", "127.0.0.1", "--port", String.valueOf(port)));
        assertEquals(0, shell.exitCode(Duration.ofSeconds(10)));
        String serving = shell.awaitLog("Serving pid=(\\d+)", Duration.ofSeconds(30)).group(1);
        long pid = Long.parseLong(serving);
        ExampleStatus status = processes.status(port);
        assertEquals(pid, status.pid());
        assertEquals(ProcessHandle.current().pid(), Procs.parentPid(pid).orElseThrow(), "orphan adopted by the test JVM");
        assertTrue(Procs.fdCount(pid) > 3);

        assertEquals(List.of(), processes.cleanUp());
        assertFalse(Procs.exists(pid), "ended and reaped");
        assertFalse(Procs.zombieChildrenOf(ProcessHandle.current().pid()).contains(pid));
    }

    @Test
    void trackerEndsAnAdoptedOrphanItNeverAskedAbout() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess shell = processes.start(ExampleProcess.builder().name("orphaned-unasked").jdk(17).outputOutlivesProcess()
            .wrapper(List.of("/bin/sh", "-c", "\"$@\" & exit 0", "sh")).args("--host", "127.0.0.1", "--port", String.valueOf(port)));
        assertEquals(0, shell.exitCode(Duration.ofSeconds(10)));
        long pid = Long.parseLong(shell.awaitLog("Serving pid=(\\d+)", Duration.ofSeconds(30)).group(1)); // not passed to saw()

        assertEquals(List.of(), processes.cleanUp());
        assertFalse(Procs.exists(pid), "ended and reaped");
    }

    @Test
    void readsListeningSocketsOfAProcess() throws Exception
    {
        long self = ProcessHandle.current().pid();
        try (ServerSocket v4 = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             ServerSocket v6 = new ServerSocket(0, 1, InetAddress.getByName("::1"));
             Socket client = new Socket())
        {
            client.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), v4.getLocalPort()), 5000);
            List<String> listening = ListeningSockets.describe(self);
            assertTrue(listening.contains("127.0.0.1:" + v4.getLocalPort()), listening.toString());
            assertTrue(listening.contains("[::1]:" + v6.getLocalPort()), listening.toString());
            assertFalse(listening.stream().anyMatch(a -> a.endsWith(":" + client.getLocalPort())), "a connected socket is not listening");
        }
    }

    @Test
    void findsBothJdks()
    {
        assertTrue(Jdks.java(17).toString().endsWith("bin/java"));
        assertTrue(Jdks.java(25).toString().endsWith("bin/java"));
    }

    // ---- a scripted server: one handler run per accepted connection, on its own thread ----

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
                throw new AssertionError("not within 10 s: " + what);
            Restarts.pause(Duration.ofMillis(10));
        }
    }

    /** Reads one request head; @return its request line, or "" at EOF. */
    static String readRequest(Socket socket)
    {
        try
        {
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.length() < 65536 && !head.toString().endsWith("\r\n\r\n"))
            {
                int b = in.read();
                if (b < 0)
                    return "";
                head.append((char)b);
            }
            return head.toString();
        }
        catch (IOException x)
        {
            return "";
        }
    }

    static void write(Socket socket, String text)
    {
        try
        {
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }

    static void close(Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (IOException ignored)
        {
            // gone
        }
    }

    static final class FakeServer implements AutoCloseable
    {
        private final ServerSocket listener;
        private final Thread acceptor;

        FakeServer(Consumer<Socket> handler) throws IOException
        {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!listener.isClosed())
                {
                    try
                    {
                        Socket socket = listener.accept();
                        Thread connection = new Thread(() -> {
                            try (socket)
                            {
                                handler.accept(socket);
                            }
                            catch (IOException | RuntimeException ignored)
                            {
                                // the client went away
                            }
                        }, "fake-connection");
                        connection.setDaemon(true);
                        connection.start();
                    }
                    catch (IOException x)
                    {
                        return;
                    }
                }
            }, "fake-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port()
        {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws Exception
        {
            listener.close();
            acceptor.join(5000);
        }
    }
}
