package io.jettygraceful;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.internal.drain.ConnectionDrain;
import io.jettygraceful.internal.drain.DrainCustomizer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overlap's gradual move, against a real Jetty server on loopback: each connection keeps its keep-alive responses
 * until its own moment in the spread window, and from then on its next response says {@code Connection: close};
 * the moments are spread evenly over connections; an idle connection is closed, one with a request in progress is not.
 */
class GradualHandoverTest
{
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(100);

    private final DrainCustomizer customizer = new DrainCustomizer();
    private final CountDownLatch release = new CountDownLatch(1);
    private Server server;
    private InheritedServerConnector connector;

    @AfterEach
    void stop() throws Exception
    {
        release.countDown();
        if (server != null)
            server.stop();
    }

    @Test
    void momentsAreSpreadEvenlyOverConnections()
    {
        int[] buckets = new int[10];
        for (int i = 0; i < 20_000; i++)
        {
            double share = DrainCustomizer.share(new Object());
            assertTrue(share >= 0 && share < 1, "share " + share);
            buckets[(int)(share * buckets.length)]++;
        }
        for (int count : buckets)
            assertTrue(count > 1_600 && count < 2_400, "each tenth of the window gets about a tenth of the connections: " + java.util.Arrays.toString(buckets));
    }

    @Test
    void aConnectionKeepsAliveUntilItsMomentThenItsNextResponseSaysClose() throws Exception
    {
        start();
        try (Client client = new Client(connector.getLocalPort()))
        {
            Map<String, String> first = client.get("/");
            assertNull(first.get("connection"), "no spread yet: keep-alive");
            double share = Double.parseDouble(first.get("x-share"));

            // The spread began so that this connection's moment is 50 s away: it stays.
            customizer.startSpreading(System.nanoTime() - (long)(share * WINDOW_NANOS) + TimeUnit.SECONDS.toNanos(50), WINDOW_NANOS);
            assertNull(client.get("/").get("connection"), "before its moment the connection is kept");
            assertEquals(0, customizer.movedDuringSpread());

            // The spread began so that this connection's moment has just passed: the next response moves it.
            customizer.startSpreading(System.nanoTime() - (long)(share * WINDOW_NANOS) - TimeUnit.MILLISECONDS.toNanos(1), WINDOW_NANOS);
            assertEquals("close", client.get("/").get("connection"), "after its moment, the next response says close");
            assertEquals(1, customizer.movedDuringSpread());
            assertEquals(-1, client.read(), "and the server closes the connection after it");
        }
    }

    @Test
    void stoppingTheSpreadKeepsConnectionsAndDrainingClosesEveryOne() throws Exception
    {
        start();
        customizer.startSpreading(System.nanoTime() - WINDOW_NANOS, WINDOW_NANOS); // every moment has passed
        customizer.stopSpreading(); // the replacement died: this process serves on
        try (Client client = new Client(connector.getLocalPort()))
        {
            assertNull(client.get("/").get("connection"), "after stopSpreading nothing is moved");
            customizer.startDraining();
            assertEquals("close", client.get("/").get("connection"), "draining closes every connection on its next response");
        }
    }

    @Test
    void anIdleConnectionIsClosedButNotOneWithARequestInProgress() throws Exception
    {
        start();
        try (Client idle = new Client(connector.getLocalPort()); Client busy = new Client(connector.getLocalPort()))
        {
            idle.get("/");
            busy.send("/block");
            awaitOpen(2);
            assertEquals(0, ConnectionDrain.closeIdle(connector), "none idle long enough yet: none closed");
            Thread.sleep(ConnectionDrain.IDLE_CLOSE_MILLIS + 100);
            assertEquals(1, ConnectionDrain.closeIdle(connector), "the idle one only");
            assertEquals(-1, idle.read(), "the idle client sees the connection closed (end of stream), not a response");
            release.countDown();
            assertEquals("blocked", busy.response().get("body"), "the request in progress is answered");
        }
    }

    private void awaitOpen(int count) throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.getConnectedEndPoints().size() < count && System.nanoTime() - deadline < 0)
            Thread.sleep(10);
        assertEquals(count, connector.getConnectedEndPoints().size());
    }

    private void start() throws Exception
    {
        server = new Server();
        HttpConfiguration configuration = new HttpConfiguration();
        configuration.addCustomizer(customizer);
        connector = new InheritedServerConnector(server, new HttpConnectionFactory(configuration));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                String body = "ok";
                if (request.getHttpURI().getPath().equals("/block"))
                {
                    release.await(30, TimeUnit.SECONDS);
                    body = "blocked";
                }
                response.getHeaders().put("X-Share", String.valueOf(DrainCustomizer.share(request.getConnectionMetaData().getConnection())));
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length());
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        });
        server.start();
    }

    /** A keep-alive HTTP/1.1 client on one connection; headers lower-cased, the body under "body". */
    private static final class Client implements AutoCloseable
    {
        private final Socket socket = new Socket();
        private final BufferedReader in;

        Client(int port) throws IOException
        {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        }

        void send(String path) throws IOException
        {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        Map<String, String> get(String path) throws IOException
        {
            send(path);
            return response();
        }

        Map<String, String> response() throws IOException
        {
            Map<String, String> headers = new LinkedHashMap<>();
            String status = in.readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 200"), "status line: " + status);
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine())
            {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim().toLowerCase(Locale.ROOT));
            }
            char[] body = new char[Integer.parseInt(headers.get("content-length"))];
            int read = 0;
            while (read < body.length)
            {
                int n = in.read(body, read, body.length - read);
                assertFalse(n < 0, "end of stream in a body");
                read += n;
            }
            headers.put("body", new String(body));
            return headers;
        }

        int read() throws IOException
        {
            return in.read();
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
