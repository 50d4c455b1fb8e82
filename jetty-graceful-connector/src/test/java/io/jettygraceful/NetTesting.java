package io.jettygraceful;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.fail;

/** Small network helpers shared by the connector tests. */
public final class NetTesting
{
    public static final int TIMEOUT_MS = 10_000;

    private NetTesting()
    {
    }

    /** @return whether this machine can bind a TCP socket on ::1 */
    public static boolean ipv6LoopbackAvailable()
    {
        try (ServerSocketChannel probe = ServerSocketChannel.open(StandardProtocolFamily.INET6))
        {
            probe.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        }
        catch (IOException | UnsupportedOperationException x)
        {
            return false;
        }
    }

    /** Accepts one connection, waiting for it with a selector; fails the test after {@link #TIMEOUT_MS}. */
    public static SocketChannel acceptWithin(ServerSocketChannel channel) throws IOException
    {
        boolean blocking = channel.isBlocking();
        channel.configureBlocking(false);
        try (Selector selector = Selector.open())
        {
            SelectionKey key = channel.register(selector, SelectionKey.OP_ACCEPT);
            long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            while (true)
            {
                SocketChannel accepted = channel.accept();
                if (accepted != null)
                {
                    key.cancel();
                    accepted.configureBlocking(true);
                    return accepted;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0)
                    fail("no connection accepted within " + TIMEOUT_MS + " ms on " + channel);
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
        finally
        {
            if (channel.isOpen())
            {
                awaitDeregistered(channel);
                channel.configureBlocking(blocking);
            }
        }
    }

    /** Waits until the closed selector has deregistered the channel, so that its blocking mode can change. */
    private static void awaitDeregistered(ServerSocketChannel channel)
    {
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        while (channel.isRegistered())
        {
            if (System.nanoTime() > deadline)
                fail(channel + " is still registered with a closed selector");
            Thread.onSpinWait();
        }
    }

    /** Sends one HTTP/1.1 request with {@code Connection: close} and returns the whole response. */
    static String httpGet(InetSocketAddress address, String path) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(address, TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
