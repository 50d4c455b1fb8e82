package io.jettygraceful.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handover's overlap ({@code --handover-spread}), with real JVMs on loopback: once the replacement serves, both
 * processes accept new connections for the window while the old one moves its keep-alive connections over one by
 * one (here by {@code Connection: close}, as for TLS and HTTP/2 or with moving connections off; see ConnectionMoveTest
 * for the move with sockets open); then the old one stops accepting, drains and exits 0, with no failed request. An idle keep-alive connection
 * is closed cleanly (end of stream), not held until the drain timeout. A real stop during the overlap ends it: the old
 * process drains (a slow request is answered) and the replacement serves on.
 */
class GradualHandoverTest
{
    private static final Duration SPREAD = Duration.ofSeconds(4);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void bothProcessesAcceptDuringTheOverlapThenTheOldOneMovesItsConnectionsAndEnds(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        // A drain timeout far beyond the test's waits: the old process must end because its connections are gone.
        ExampleProcess first = processes.start(ExampleProcess.builder().name("gradual-" + jdk).java(Jdks.java(jdk)).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--handover-spread", SPREAD.toMillis() + "ms", "--drain-timeout", "5m",
                "--move-connections", "false")); // the move by Connection: close (TLS, HTTP/2, or moving off); ConnectionMoveTest has the move with sockets open
        first.servingPid(Duration.ofSeconds(60));
        ExampleStatus old = processes.status(port);

        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(4).newConnectionClients(2)
            .maxRequests(2_000_000).maxDuration(Duration.ofSeconds(120)).timeout(Duration.ofSeconds(15)).start();
             Socket idle = idleKeepAliveConnection(port))
        {
            assertTrue(load.awaitCompleted(300, Duration.ofSeconds(30)), "load flows");
            assertTrue(Subreaper.signal(old.pid(), Restarts.SIGHUP), "SIGHUP the serving process");
            long newPid = Long.parseLong(first.awaitLog("Restart: pid (\\d+) took over after", Duration.ofSeconds(60)).group(1));
            processes.saw(newPid);

            // New connections during the overlap: some are accepted by each process.
            Set<Long> answered = new HashSet<>();
            long until = System.nanoTime() + SPREAD.toNanos() / 2;
            for (int i = 0; i < 2_000 && System.nanoTime() - until < 0 && answered.size() < 2; i++)
                answered.add(ExampleStatus.parse(Http.get(port, "/status").body()).pid());
            assertEquals(Set.of(old.pid(), newPid), answered, "both processes accept new connections during the overlap");

            Matcher overlap = first.awaitLog("Restart: pid " + old.pid() + " no longer accepts, after an overlap of (\\d+) ms; (\\d+) connection\\(s\\) moved over",
                SPREAD.plusSeconds(30));
            assertTrue(Long.parseLong(overlap.group(1)) >= SPREAD.toMillis(), "the old process accepted for the whole window: " + overlap.group());
            assertTrue(Long.parseLong(overlap.group(2)) >= 1, "keep-alive connections were moved during the overlap: " + overlap.group());
            assertEquals(0, first.exitCode(Duration.ofSeconds(60)), "the old process drained and exited 0 long before its 5 min drain timeout:\n" + first.tail(40));
            assertEquals(-1, readQuietly(idle), "the idle keep-alive connection was closed cleanly by the old process");

            for (int i = 0; i < 20; i++)
                assertEquals(newPid, ExampleStatus.parse(Http.get(port, "/status").body()).pid(), "after the overlap only the replacement accepts");
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 300, Duration.ofSeconds(20)), "the replacement serves the load");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] gradual handover, JDK " + jdk + ": " + summary);
            assertEquals(0, summary.failed(), summary.toString());
            assertTrue(summary.answeredBy().containsKey(old.uuid()) && summary.answeredBy().size() == 2, "both processes answered the load: " + summary);
        }
    }

    @Test
    void aStopDuringTheOverlapEndsItTheOldProcessDrainsAndTheReplacementServesOn() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("gradual-stop").outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--handover-spread", "60s", "--drain-timeout", "30s"));
        first.servingPid(Duration.ofSeconds(60));
        ExampleStatus old = processes.status(port);
        ExecutorService clients = Executors.newCachedThreadPool();
        try
        {
            assertTrue(Subreaper.signal(old.pid(), Restarts.SIGHUP), "SIGHUP the serving process");
            long newPid = Long.parseLong(first.awaitLog("Restart: pid (\\d+) took over after", Duration.ofSeconds(60)).group(1));
            processes.saw(newPid);
            // A slow request in the old process's hands: a connection it accepted during the overlap.
            Future<Http.Response> slow = null;
            for (int i = 0; i < 200 && slow == null; i++)
            {
                Http.Connection connection = Http.Connection.open(Http.IPV4, port, Duration.ofSeconds(5), Duration.ofSeconds(30));
                if (ExampleStatus.parse(connection.get("/status").body()).pid() == old.pid())
                    slow = clients.submit(() -> connection.get("/delayed?ms=3000"));
                else
                    connection.close();
            }
            assertTrue(slow != null, "the old process still accepts during the 60 s overlap");
            Restarts.pause(Duration.ofMillis(300));
            assertTrue(Subreaper.signal(old.pid(), 15), "SIGTERM the old process");

            Http.Response response = slow.get(30, TimeUnit.SECONDS);
            assertEquals(200, response.status(), "the slow request in flight at the stop is answered: " + response);
            first.awaitLog("Restart: pid " + old.pid() + " no longer accepts, after an overlap of \\d+ ms \\(cut short by a stop\\)", Duration.ofSeconds(10));
            int exit = first.exitCode(Duration.ofSeconds(40));
            assertTrue(exit == 0 || exit == 143, "the old process ends as a stopped server does: " + exit + "\n" + first.tail(30));
            for (int i = 0; i < 20; i++)
                assertEquals(newPid, ExampleStatus.parse(Http.get(port, "/status").body()).pid(), "the replacement serves on, alone");
        }
        finally
        {
            clients.shutdownNow();
        }
    }

    /**
     * The replacement killed during the overlap: the old process, which never stopped accepting, stops moving its
     * connections, counts the restart as failed and serves on alone; its own connections never noticed (no failed
     * request among those it answered), and it can restart again.
     */
    @Test
    void aReplacementKilledDuringTheOverlapLeavesTheOldProcessServingWithoutAPause() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("gradual-kill").outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--handover-spread", "60s",
                // A connection moved with its socket belongs to the replacement and dies with it (as one it accepted):
                // this is about the connections the old process still holds. ConnectionMoveTest kills one mid-move.
                "--move-connections", "false"));
        first.servingPid(Duration.ofSeconds(60));
        ExampleStatus old = processes.status(port);
        assertTrue(Subreaper.signal(old.pid(), Restarts.SIGHUP));
        long newPid = Long.parseLong(first.awaitLog("Restart: pid (\\d+) took over after", Duration.ofSeconds(60)).group(1));
        processes.saw(newPid);
        // A keep-alive connection the old process holds (accepted by it during the overlap, not yet moved).
        Http.Connection connection = null;
        for (int i = 0; i < 200 && connection == null; i++)
        {
            Http.Connection candidate = Http.Connection.open(Http.IPV4, port, Duration.ofSeconds(5), Duration.ofSeconds(30));
            Http.Response response = candidate.get("/status");
            if (ExampleStatus.parse(response.body()).pid() == old.pid() && !response.connectionClose())
                connection = candidate;
            else
                candidate.close();
        }
        assertTrue(connection != null, "the old process accepts during the overlap");
        try
        {
            assertTrue(Subreaper.signal(newPid, 9), "SIGKILL the replacement during the 60 s overlap");
            first.awaitLog("Restart: overlap of 60000 ms ended: replacement pid " + newPid + " ended with .*9", Duration.ofSeconds(20));
            first.awaitLog("took the sockets back and keeps serving", Duration.ofSeconds(5));
            for (int i = 0; i < 20; i++)
            {
                Http.Response response = connection.get("/status");
                assertEquals(old.pid(), ExampleStatus.parse(response.body()).pid());
                assertTrue(!response.connectionClose(), "the old connection is served on and kept alive: nothing moves any more");
            }
        }
        finally
        {
            connection.close();
        }
        for (int i = 0; i < 20; i++)
            assertEquals(old.pid(), ExampleStatus.parse(Http.get(port, "/status").body()).pid(), "new connections reach the old process alone");
        assertTrue(processes.status(port).json().contains("\"restartsFailed\":1"), processes.status(port).json());
        assertTrue(Procs.zombieChildrenOf(old.pid()).isEmpty(), "the killed replacement was reaped");
        ExampleStatus next = Restarts.restart(processes, port, processes.status(port), Duration.ofSeconds(60));
        assertEquals(2, next.generation(), "and the next restart succeeds");
    }

    /** A keep-alive connection with one request answered, then left idle. */
    private static Socket idleKeepAliveConnection(int port) throws IOException
    {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(Http.IPV4, port), 5_000);
        socket.setSoTimeout(60_000);
        socket.getOutputStream().write("GET /uuid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        int read = in.read(buffer);
        String response = new String(buffer, 0, Math.max(read, 0), StandardCharsets.US_ASCII);
        assertTrue(response.startsWith("HTTP/1.1 200") && !response.toLowerCase().contains("connection: close"), "a keep-alive response: " + response);
        return socket;
    }

    /** @return the next byte, -1 at end of stream; a reset fails the test */
    private static int readQuietly(Socket socket) throws IOException
    {
        return socket.getInputStream().read();
    }
}
