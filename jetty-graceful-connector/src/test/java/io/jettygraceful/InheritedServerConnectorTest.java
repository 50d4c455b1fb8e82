package io.jettygraceful;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.internal.os.FdDescription.SocketInfo;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link InheritedServerConnector} in this JVM, which inherited nothing: it must behave as a plain
 * {@code ServerConnector} and still know the fd it listens on.
 */
class InheritedServerConnectorTest
{
    private static Os os;
    private final List<Server> servers = new ArrayList<>();

    @BeforeAll
    static void nothingInherited() throws Exception
    {
        os = Os.current();
        assertNotNull(os, Os::unsupportedReason);
        assertEquals(InheritedSockets.Source.NONE, InheritedSockets.get().source(), "this test JVM must not have inherited sockets");
    }

    @AfterEach
    void stopServers() throws Exception
    {
        for (Server server : servers)
            server.stop();
    }

    private InheritedServerConnector start(String host, int acceptors, boolean inheritRequired) throws Exception
    {
        Server server = new Server();
        servers.add(server);
        InheritedServerConnector connector = new InheritedServerConnector(server, acceptors, 1);
        connector.setHost(host);
        connector.setPort(0);
        connector.setInheritRequired(inheritRequired);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.setStatus(200);
                Content.Sink.write(response, true, "hello " + Request.getPathInContext(request), callback);
                return true;
            }
        });
        server.start();
        return connector;
    }

    @ParameterizedTest(name = "acceptors={0}")
    @ValueSource(ints = {0, 1})
    void bindsAndServesWhenNothingIsInherited(int acceptors) throws Exception
    {
        InheritedServerConnector connector = start("127.0.0.1", acceptors, false);
        assertFalse(connector.isInherited());
        assertEquals(-1, connector.getInheritedFd());
        assertNull(connector.getInheritedSocket());
        int port = connector.getLocalPort();
        assertTrue(port > 0, "bound port " + port);
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), connector.getListenAddress());

        int fd = connector.getAcceptFd();
        assertTrue(fd > 2, "accept fd " + fd);
        FdDescription description = os.describe(fd);
        SocketInfo socket = description.socket();
        assertNotNull(socket, description::describe);
        assertTrue(socket.listening(), description::describe);
        assertEquals(SocketInfo.SOCK_STREAM, socket.type());
        // The JDK opens dual-stack IPv6 sockets by default; bound to 127.0.0.1 the kernel reports ::ffff:127.0.0.1.
        assertTrue(socket.family() == SocketInfo.AF_INET || socket.family() == SocketInfo.AF_INET6, description::describe);
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), socket.local());

        String response = NetTesting.httpGet(new InetSocketAddress("127.0.0.1", port), "/uuid");
        assertTrue(response.startsWith("HTTP/1.1 200 "), response);
        assertTrue(response.endsWith("hello /uuid"), response);

        String target = description.target();
        connector.stop();
        assertEquals(-1, connector.getAcceptFd());
        assertNull(connector.getListenAddress());
        FdDescription after = os.describe(fd);
        assertFalse(after.isOpen() && target.equals(after.target()), "the accept fd still refers to the socket after stop");
    }

    @Test
    void bindsIpv6Loopback() throws Exception
    {
        assumeTrue(NetTesting.ipv6LoopbackAvailable(), "no IPv6 loopback on this machine");
        InheritedServerConnector connector = start("::1", 1, false);
        int port = connector.getLocalPort();
        SocketInfo socket = os.describe(connector.getAcceptFd()).socket();
        assertEquals(SocketInfo.AF_INET6, socket.family());
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), port), socket.local());
        String response = NetTesting.httpGet(new InetSocketAddress(InetAddress.getByName("::1"), port), "/v6");
        assertTrue(response.endsWith("hello /v6"), response);
    }

    @Test
    void restartsOnAFreshChannel() throws Exception
    {
        InheritedServerConnector connector = start("127.0.0.1", 1, false);
        connector.stop();
        connector.start();
        int port = connector.getLocalPort();
        int fd = connector.getAcceptFd();
        assertTrue(fd > 2, "accept fd after restart " + fd);
        assertEquals(port, os.describe(fd).socket().local().getPort());
        assertTrue(NetTesting.httpGet(new InetSocketAddress("127.0.0.1", port), "/again").endsWith("hello /again"));
    }

    @Test
    void inheritRequiredWithNothingInheritedFailsTheStart()
    {
        Exception x = assertThrows(Exception.class, () -> start("127.0.0.1", 1, true));
        InheritedSocketException cause = find(x);
        assertNotNull(cause, () -> "no InheritedSocketException in " + x);
        assertTrue(cause.getMessage().contains("no inherited socket"), cause.getMessage());
        assertTrue(cause.getMessage().contains("inheritRequired"), cause.getMessage());
    }

    private static InheritedSocketException find(Throwable x)
    {
        if (x == null)
            return null;
        if (x instanceof InheritedSocketException found)
            return found;
        for (Throwable suppressed : x.getSuppressed())
        {
            InheritedSocketException found = find(suppressed);
            if (found != null)
                return found;
        }
        return x.getCause() == x ? null : find(x.getCause());
    }
}
