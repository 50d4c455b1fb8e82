package io.jettygraceful.internal.inherit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.NetTesting;
import io.jettygraceful.internal.os.Os;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What {@link EndPointTransfer} relies on in Jetty's selector and endpoint internals, end to end in one JVM: a keep-alive
 * connection is taken out of one server's selector without its client seeing anything, its fd is found and
 * duplicated, Jetty's side is released, and a second server adopts the socket and answers the next request on it,
 * reporting the client's real address. Fails when a Jetty upgrade changes how keys, endpoints or connections behave.
 */
class EndPointTransferTest
{
    private Os os;
    private Server from;
    private Server to;
    private InheritedServerConnector fromConnector;
    private InheritedServerConnector toConnector;

    @BeforeEach
    void start() throws Exception
    {
        os = Os.current();
        assumeTrue(os != null, "needs the native seam: " + Os.unsupportedReason());
        from = new Server();
        fromConnector = connector(from, "from");
        to = new Server();
        toConnector = connector(to, "to");
        from.start();
        to.start();
    }

    private static InheritedServerConnector connector(Server server, String name)
    {
        InheritedServerConnector connector = new InheritedServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String body = name + " " + Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request) + " " +
                    Request.getLocalPort(request);
                response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        });
        return connector;
    }

    @AfterEach
    void stop() throws Exception
    {
        if (from != null)
            from.stop();
        if (to != null)
            to.stop();
    }

    @Test
    void idleConnectionMovesToAnotherServerWithoutTheClientNoticing() throws Exception
    {
        try (Socket client = new Socket("127.0.0.1", fromConnector.getLocalPort()))
        {
            client.setSoTimeout(NetTesting.TIMEOUT_MS);
            String mine = "127.0.0.1:" + client.getLocalPort();
            assertEquals("from " + mine + " " + fromConnector.getLocalPort(), exchange(client));
            EndPoint endPoint = awaitIdle(fromConnector);

            List<EndPointTransfer.Detached> detached = EndPointTransfer.detach(fromConnector, List.of(endPoint), 10);
            assertEquals(1, detached.size());
            assertFalse(detached.get(0).channel().isRegistered(), "deregistered once detach returns");
            assertTrue(detached.get(0).channel().isOpen());
            assertEquals(new InetSocketAddress("127.0.0.1", client.getLocalPort()), detached.get(0).addresses().remote());

            List<InetSocketAddress> key = List.of(detached.get(0).addresses().local(), detached.get(0).addresses().remote());
            Map<List<InetSocketAddress>, Integer> fds = ChannelAdopter.fdsOfConnected(os, List.of(key));
            assertNotNull(fds.get(key), "the fd of the detached connection is found by its addresses");
            int dup = os.duplicate(fds.get(key), 3);
            EndPointTransfer.release(detached.get(0));
            assertFalse(detached.get(0).channel().isOpen());
            awaitNoEndPoints(fromConnector);
            assertNoEof(client);

            List<SocketChannel> adopted = ChannelAdopter.adoptConnected(os, List.of(dup));
            assertNotNull(adopted.get(0));
            EndPointTransfer.adopt(toConnector, adopted.get(0), detached.get(0).addresses());
            os.close(dup);

            // The next request on the same client socket is answered by the other server, which sees the client's address.
            assertEquals("to " + mine + " " + fromConnector.getLocalPort(), exchange(client));
            assertEquals("to " + mine + " " + fromConnector.getLocalPort(), exchange(client));
            assertEquals(1, toConnector.getConnectedEndPoints().size());
        }
    }

    @Test
    void bytesSentWhileDetachedAreReadByTheAdopter() throws Exception
    {
        try (Socket client = new Socket("127.0.0.1", fromConnector.getLocalPort()))
        {
            client.setSoTimeout(NetTesting.TIMEOUT_MS);
            exchange(client);
            EndPoint endPoint = awaitIdle(fromConnector);
            List<EndPointTransfer.Detached> detached = EndPointTransfer.detach(fromConnector, List.of(endPoint), 10);
            assertEquals(1, detached.size());
            // The client writes now: nobody reads, the bytes wait in the kernel.
            client.getOutputStream().write(request().getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            Thread.sleep(100);
            List<InetSocketAddress> key = List.of(detached.get(0).addresses().local(), detached.get(0).addresses().remote());
            int dup = os.duplicate(ChannelAdopter.fdsOfConnected(os, List.of(key)).get(key), 3);
            EndPointTransfer.release(detached.get(0));
            List<SocketChannel> adopted = ChannelAdopter.adoptConnected(os, List.of(dup));
            EndPointTransfer.adopt(toConnector, adopted.get(0), detached.get(0).addresses());
            os.close(dup);
            assertTrue(readResponse(client.getInputStream()).startsWith("to "));
        }
    }

    @Test
    void halfSentRequestIsNotIdle() throws Exception
    {
        try (Socket client = new Socket("127.0.0.1", fromConnector.getLocalPort()))
        {
            client.setSoTimeout(NetTesting.TIMEOUT_MS);
            exchange(client);
            EndPoint endPoint = awaitIdle(fromConnector);
            OutputStream out = client.getOutputStream();
            out.write("GET /half HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (EndPointTransfer.isIdleHttp1(endPoint) && System.nanoTime() < deadline)
                Thread.sleep(5);
            assertFalse(EndPointTransfer.isIdleHttp1(endPoint), "headers parsed but not complete: not idle");
            assertTrue(EndPointTransfer.detach(fromConnector, List.of(endPoint), 10).isEmpty());
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(readResponse(client.getInputStream()).startsWith("from "), "the connection was left as it was");
        }
    }

    @Test
    void plainHttp1ConnectorMovesConnectionsTlsDoesNot() throws Exception
    {
        assertTrue(EndPointTransfer.movesConnections(fromConnector));
        Server tls = new Server();
        org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        assertFalse(EndPointTransfer.movesConnections(new InheritedServerConnector(tls, ssl)));
    }

    private static EndPoint awaitIdle(InheritedServerConnector connector) throws InterruptedException
    {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            List<EndPoint> endPoints = new ArrayList<>(connector.getConnectedEndPoints());
            if (endPoints.size() == 1 && EndPointTransfer.isIdleHttp1(endPoints.get(0)))
                return endPoints.get(0);
            Thread.sleep(5);
        }
        throw new AssertionError("no idle HTTP/1.1 endpoint in " + connector.getConnectedEndPoints());
    }

    private static void awaitNoEndPoints(InheritedServerConnector connector) throws InterruptedException
    {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!connector.getConnectedEndPoints().isEmpty() && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertTrue(connector.getConnectedEndPoints().isEmpty(), "Jetty forgot the released endpoint");
    }

    /** Neither a FIN nor a reset reached the client: a read waits. */
    private static void assertNoEof(Socket client) throws IOException
    {
        int timeout = client.getSoTimeout();
        client.setSoTimeout(300);
        try
        {
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read(), "the client saw no FIN, no reset, no byte");
        }
        finally
        {
            client.setSoTimeout(timeout);
        }
    }

    private static String request()
    {
        return "GET /where HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    private static String exchange(Socket client) throws IOException
    {
        client.getOutputStream().write(request().getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        return readResponse(client.getInputStream());
    }

    /** @return the body of one response with a Content-Length; fails on {@code Connection: close} */
    static String readResponse(InputStream in) throws IOException
    {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
        {
            int b = in.read();
            if (b < 0)
                throw new IOException("EOF after " + head.toString(StandardCharsets.US_ASCII));
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        assertFalse(headers.toLowerCase().contains("connection: close"), headers);
        int length = -1;
        for (String line : headers.split("\r\n"))
        {
            if (line.toLowerCase().startsWith("content-length:"))
                length = Integer.parseInt(line.substring(15).trim());
        }
        assertTrue(length >= 0, headers);
        byte[] body = in.readNBytes(length);
        return new String(body, StandardCharsets.US_ASCII);
    }
}
