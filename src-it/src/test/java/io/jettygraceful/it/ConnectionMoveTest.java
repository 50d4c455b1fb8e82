package io.jettygraceful.it;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Keep-alive connections move to the replacement with their sockets open (the default): raw-socket clients that
 * connect once keep talking across restarts, each of their requests answered on the same socket, by the new process
 * once the old one has gone, which sees the client's real address; no client ever reads an EOF, a reset or
 * {@code Connection: close}. Requests keep flowing on every socket during the restarts (some pipelined), a request
 * half sent when the restart begins is finished, and a replacement killed while connections are on their way to it
 * leaves them with the old process, which answers them. No fd is left behind in the serving process.
 */
class ConnectionMoveTest
{
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration HANDOFF = Duration.ofSeconds(60);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    private final AtomicInteger connects = new AtomicInteger();

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void keepAliveClientsConnectOnceAcrossRestarts(int jdk) throws Exception
    {
        int clients = 12;
        int restarts = 3;
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("move-" + jdk).java(Jdks.java(jdk)).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "30s"));
        first.servingPid(START);
        ExampleStatus status = processes.status(port);

        List<RawClient> sockets = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try
        {
            for (int i = 0; i < clients; i++)
                sockets.add(connect(port));
            for (RawClient client : sockets)
                assertEquals(status.pid(), client.peer().pid(), "answered by the first process");
            List<String> profile = null;
            for (int r = 1; r <= restarts; r++)
            {
                ExampleStatus old = status;
                AtomicBoolean stop = new AtomicBoolean();
                List<Future<Set<Long>>> loops = new ArrayList<>();
                for (int i = 0; i < clients; i++)
                {
                    RawClient client = sockets.get(i);
                    boolean pipelined = i % 3 == 0;
                    loops.add(pool.submit(() -> requestLoop(client, pipelined, stop)));
                }
                status = Restarts.restart(processes, port, old, HANDOFF);
                processes.saw(status.pid());
                Restarts.awaitExit(old.pid(), Duration.ofSeconds(60));
                stop.set(true);
                Set<Long> pids = new HashSet<>();
                for (Future<Set<Long>> loop : loops)
                    pids.addAll(loop.get(60, TimeUnit.SECONDS));
                assertTrue(pids.contains(old.pid()) && pids.contains(status.pid()), "the loops were answered by both processes: " + pids);
                for (RawClient client : sockets)
                    assertEquals(status.pid(), client.peer().pid(), "after restart " + r + " every socket is answered by the new process");

                Matcher counts = first.awaitLog("Restart: pid " + old.pid() + " moved (\\d+) connection\\(s\\) to pid " + status.pid() + " and closed (\\d+)", Duration.ofSeconds(5));
                System.out.println("[it] connection move, JDK " + jdk + ", restart " + r + ": " + counts.group());
                assertTrue(Long.parseLong(counts.group(1)) >= clients, counts.group());

                long serving = status.pid();
                Restarts.await(() -> tcpConnectionFds(port, serving) == clients, Duration.ofSeconds(10),
                    "the new process to hold exactly one fd per client connection");
                List<String> fds = Procs.fdProfile(status.pid());
                if (profile == null)
                    profile = fds;
                else
                    assertEquals(profile, fds, "fds of generation " + status.generation() + " vs generation 2 (TCP connections left out)");
            }
            assertEquals(clients, connects.get(), "every client connected once");
            for (RawClient client : sockets)
                client.assertNothingPending();
        }
        finally
        {
            pool.shutdownNow();
            for (RawClient client : sockets)
                client.close();
        }
    }

    @Test
    void halfSentRequestIsFinishedAndTheConnectionMovesAfterIt() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("move-half").outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--handover-spread", "5s"));
        first.servingPid(START);
        ExampleStatus old = processes.status(port);
        try (RawClient client = connect(port))
        {
            assertEquals(old.pid(), client.peer().pid());
            client.write("GET /peer HTTP/1.1\r\nHost: localhost\r\n");
            assertTrue(Subreaper.signal(old.pid(), Restarts.SIGHUP));
            long newPid = Long.parseLong(first.awaitLog("Restart: pid (\\d+) took over after", HANDOFF).group(1));
            processes.saw(newPid);
            Restarts.pause(Duration.ofMillis(300)); // in the overlap: the half-sent request keeps the connection here
            client.write("\r\n");
            assertEquals(old.pid(), client.read().pid(), "the process that read the first half answers");
            Restarts.awaitExit(old.pid(), Duration.ofSeconds(60));
            assertEquals(newPid, client.peer().pid(), "then the connection moved");
            assertEquals(1, connects.get());
        }
    }

    /**
     * The replacement is stopped (SIGSTOP) while the connections are busy, so that the old process's move reaches a
     * process that never answers; then it is killed. The old process takes the connections back and answers them,
     * also a request written while their fds were in flight.
     */
    @Test
    void replacementKilledMidMigrationLosesNoRequest() throws Exception
    {
        int clients = 4;
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("move-killed").outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--handover-spread", "0s", "--take-back-window", "60s",
                "--drain-timeout", "90s")); // no overlap: the drain moves each connection as soon as it is idle, and may take back for 60 s
        first.servingPid(START);
        ExampleStatus old = processes.status(port);
        List<RawClient> sockets = new ArrayList<>();
        try
        {
            for (int i = 0; i < clients; i++)
                sockets.add(connect(port));
            for (RawClient client : sockets)
                assertEquals(old.pid(), client.peer().pid());
            List<String> profileBefore = Procs.fdProfile(old.pid());
            for (RawClient client : sockets)
                client.write("GET /delayed?ms=25000 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertTrue(Subreaper.signal(old.pid(), Restarts.SIGHUP));
            long child = Long.parseLong(first.awaitLog("Restart: pid (\\d+) took over after", HANDOFF).group(1));
            processes.saw(child);
            assertTrue(Subreaper.signal(child, 19), "SIGSTOP the replacement");
            for (RawClient client : sockets)
                assertEquals(200, client.readResponse().status(), "the delayed request is answered by the old process");
            // Now idle: the old process moves them to a replacement that cannot answer. A request meanwhile waits in the kernel.
            Restarts.pause(Duration.ofSeconds(1));
            sockets.get(0).write("GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n");
            Restarts.pause(Duration.ofMillis(500));
            assertTrue(Subreaper.signal(child, 9), "SIGKILL the replacement");
            // The first connection to go idle went alone (the mover waits for each answer): 1 to 4 were in flight.
            first.awaitLog("Moving connections: pid " + old.pid() + " took back [1-" + clients + "] of [1-" + clients + "]", Duration.ofSeconds(20));
            first.awaitLog("Restart failed: replacement pid " + child + " died after it took over", Duration.ofSeconds(20));
            assertEquals(old.pid(), sockets.get(0).read().pid(), "the request written while the fds were in flight is answered");
            for (RawClient client : sockets)
                assertEquals(old.pid(), client.peer().pid(), "the old process serves the connections it took back");
            assertEquals(clients, connects.get());
            Restarts.await(() -> tcpConnectionFds(port, old.pid()) == clients, Duration.ofSeconds(10),
                "the old process to hold exactly one fd per connection it took back (no dup left)");
            assertEquals(profileBefore, Procs.fdProfile(old.pid()), "no fd left from the restart (connections channel, control socket, placeholders)");
        }
        finally
        {
            for (RawClient client : sockets)
                client.close();
        }
    }

    private Set<Long> requestLoop(RawClient client, boolean pipelined, AtomicBoolean stop) throws IOException
    {
        Set<Long> pids = new HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int i = 0; i < 1_000_000 && !stop.get() && System.nanoTime() - deadline < 0; i++)
        {
            if (pipelined)
            {
                client.write("GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\nGET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n");
                pids.add(client.read().pid());
                pids.add(client.read().pid());
            }
            else
                pids.add(client.peer().pid());
            Restarts.pause(Duration.ofMillis(3));
        }
        return pids;
    }

    /** @return how many fds of {@code pid} are TCP connections to {@code port} (not the listener) */
    private static int tcpConnectionFds(int port, long pid)
    {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("tcp", "tcp6"))
        {
            try
            {
                List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", table));
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size()))
                {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length >= 10 && !fields[3].equals("0A") && fields[1].endsWith(String.format(":%04X", port)))
                        inodes.add(fields[9]);
                }
            }
            catch (IOException x)
            {
                return -1;
            }
        }
        int count = 0;
        for (String target : Procs.fdTargets(pid))
        {
            if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1)))
                count++;
        }
        return count;
    }

    private RawClient connect(int port) throws IOException
    {
        connects.incrementAndGet();
        return new RawClient(new Socket("127.0.0.1", port));
    }

    record Reply(int status, String headers, String body)
    {
        long pid()
        {
            assertEquals(200, status, headers + body);
            return Long.parseLong(body.trim().split(" ")[0]);
        }
    }

    /** One client socket, written and read by hand: every response must keep the connection (no EOF, no close). */
    final class RawClient implements Closeable
    {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String address;

        RawClient(Socket socket) throws IOException
        {
            this.socket = socket;
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.address = "127.0.0.1:" + socket.getLocalPort();
        }

        /** GET /peer: the answering pid; the server must see this socket's own address. */
        Reply peer() throws IOException
        {
            write("GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n");
            return read();
        }

        /** Reads a /peer response and checks the address the server saw. */
        Reply read() throws IOException
        {
            Reply reply = readResponse();
            String[] words = reply.body().trim().split(" ");
            assertEquals(address, words.length == 2 ? words[1] : reply.body(), "the server sees the client's real address and port");
            return reply;
        }

        void write(String text) throws IOException
        {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        Reply readResponse() throws IOException
        {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
            {
                int b = in.read();
                if (b < 0)
                    fail("EOF on the client socket " + address + " after '" + head.toString(StandardCharsets.US_ASCII) + "'");
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.US_ASCII);
            assertFalse(headers.toLowerCase(Locale.ROOT).contains("connection: close"), "no Connection: close on " + address + ": " + headers);
            int status = Integer.parseInt(headers.substring(9, 12));
            int length = -1;
            for (String line : headers.split("\r\n"))
            {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                    length = Integer.parseInt(line.substring(15).trim());
            }
            assertTrue(length >= 0, "a Content-Length: " + headers);
            byte[] body = in.readNBytes(length);
            if (body.length < length)
                fail("EOF in a response body on " + address);
            return new Reply(status, headers, new String(body, StandardCharsets.US_ASCII));
        }

        /** Nothing unread, and the connection still open: a read waits. */
        void assertNothingPending() throws IOException
        {
            socket.setSoTimeout(200);
            try
            {
                int b = in.read();
                fail(b < 0 ? "EOF on " + address : "an unexpected byte on " + address);
            }
            catch (SocketTimeoutException expected)
            {
                // open and quiet
            }
            finally
            {
                socket.setSoTimeout(30_000);
            }
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
