package io.jettygraceful.internal.inherit;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.InheritedSocket;
import io.jettygraceful.NetTesting;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link ChannelAdopter} in-process: a listener of this JVM stands in for an inherited fd. */
class ChannelAdopterTest
{
    private static Os os;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void loadOs()
    {
        os = Os.current();
        assertNotNull(os, Os::unsupportedReason);
    }

    @AfterEach
    void close() throws Exception
    {
        for (AutoCloseable closeable : closeables)
            closeable.close();
    }

    private <T extends AutoCloseable> T closing(T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    @Test
    void adoptsAnIpv4Listener() throws Exception
    {
        adoptAcceptAndClose(StandardProtocolFamily.INET, "127.0.0.1");
    }

    @Test
    void adoptsAnIpv6Listener() throws Exception
    {
        assumeTrue(NetTesting.ipv6LoopbackAvailable(), "no IPv6 loopback on this machine");
        adoptAcceptAndClose(StandardProtocolFamily.INET6, "::1");
    }

    private void adoptAcceptAndClose(ProtocolFamily family, String host) throws Exception
    {
        ServerSocketChannel original = closing(ServerSocketChannel.open(family));
        original.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 50);
        InetSocketAddress address = (InetSocketAddress)original.getLocalAddress();
        int originalFd = ChannelAdopter.fdOf(os, original);
        FdDescription originalDescription = os.describe(originalFd);
        assertTrue(originalDescription.isSocket() && originalDescription.socket().listening(), originalDescription::describe);
        assertEquals(address, originalDescription.socket().local());
        InheritedSocket inherited = new InheritedSocket(originalFd, 0, "http", family == StandardProtocolFamily.INET6, address);

        ChannelAdopter.Adopted adopted = ChannelAdopter.adopt(os, inherited);
        ServerSocketChannel channel = closing(adopted.channel());
        InetSocketAddress placeholder = (InetSocketAddress)channel.getLocalAddress();
        assertNotEquals(originalFd, adopted.fd());
        FdDescription adoptedDescription = os.describe(adopted.fd());
        assertEquals(originalDescription.target(), adoptedDescription.target(), "the adopted fd refers to the same socket");
        assertEquals(address, adoptedDescription.socket().local());
        assertTrue(adoptedDescription.socket().listening());
        assertNotEquals(address, placeholder, "the channel's cached address is the placeholder's, not the socket's");
        assertThrows(ConnectException.class, () -> SocketChannel.open(placeholder).close(),
            "the placeholder's own socket must be gone once the inherited fd was dup2'd over it");

        // A connection to the inherited address is accepted through the adopted channel.
        SocketChannel client = closing(SocketChannel.open(address));
        SocketChannel served = closing(NetTesting.acceptWithin(channel));
        assertEquals(client.getLocalAddress(), served.getRemoteAddress());
        exchange(client, served);

        // Closing the adopted channel closes only its own fd: the original still listens and accepts.
        channel.close();
        FdDescription closed = os.describe(adopted.fd());
        assertFalse(closed.isOpen() && originalDescription.target().equals(closed.target()), "the adopted fd still refers to the socket after close");
        FdDescription stillThere = os.describe(originalFd);
        assertEquals(originalDescription.target(), stillThere.target());
        assertTrue(stillThere.socket().listening(), "the original socket stopped listening: " + stillThere.describe());

        SocketChannel secondClient = closing(SocketChannel.open(address));
        SocketChannel secondServed = closing(NetTesting.acceptWithin(original));
        assertEquals(secondClient.getLocalAddress(), secondServed.getRemoteAddress());
        exchange(secondClient, secondServed);
    }

    @Test
    void adoptingAClosedFdFailsNamingTheSocket() throws Exception
    {
        int[] pair = os.socketPair();
        int closedFd = os.duplicate(pair[0], 7000);
        os.close(pair[0]);
        os.close(pair[1]);
        os.close(closedFd);
        InheritedSocket gone = new InheritedSocket(closedFd, 0, "gone", false, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9));
        IOException x = assertThrows(IOException.class, () -> ChannelAdopter.adopt(os, gone));
        assertTrue(x.getMessage().contains("fd " + closedFd + " 'gone' 127.0.0.1:9"), x.getMessage());
    }

    private static void exchange(SocketChannel client, SocketChannel served) throws IOException
    {
        served.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
        served.shutdownOutput();
        client.socket().setSoTimeout(NetTesting.TIMEOUT_MS);
        byte[] received = client.socket().getInputStream().readAllBytes();
        assertEquals("pong", new String(received, StandardCharsets.US_ASCII));
    }
}
