package io.jettygraceful;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;

import io.jettygraceful.os.FdDescription;
import io.jettygraceful.os.Os;
import io.jettygraceful.os.OsException;

/**
 * Turns an inherited fd into a {@link ServerSocketChannel} without JVM flags: it opens a placeholder channel of the
 * same family on an ephemeral loopback port, finds the placeholder's fd by its unique address, and {@code dup2}s the
 * inherited fd over it. The channel then accepts on the inherited socket. Its cached local address is stale, so
 * callers report the address the kernel gives for the inherited socket instead.
 *
 * <p>Ownership: the returned channel owns its fd (a new reference to the inherited socket) and closing it closes
 * only that fd. The inherited fd itself is untouched and stays owned by {@link InheritedSockets}.</p>
 */
final class ChannelAdopter
{
    private ChannelAdopter()
    {
    }

    /** A channel and the fd number it uses. */
    record Adopted(ServerSocketChannel channel, int fd)
    {
    }

    static Adopted adopt(Os os, InheritedSocket socket) throws IOException
    {
        ProtocolFamily family = socket.ipv6() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        InetAddress loopback = InetAddress.getByName(socket.ipv6() ? "::1" : "127.0.0.1");
        ServerSocketChannel placeholder = ServerSocketChannel.open(family);
        try
        {
            placeholder.bind(new InetSocketAddress(loopback, 0), 1);
            int fd = fdOf(os, placeholder);
            os.duplicateOnto(socket.fd(), fd);
            return new Adopted(placeholder, fd);
        }
        catch (IOException | RuntimeException x)
        {
            placeholder.close();
            throw new IOException("cannot adopt inherited " + socket.describe() + ": " + x.getMessage(), x);
        }
    }

    /**
     * Finds the fd of a bound channel by its local address, which no other listening socket of this process shares.
     *
     * @throws OsException when no listening fd has that address
     */
    static int fdOf(Os os, ServerSocketChannel channel) throws IOException
    {
        InetSocketAddress local = (InetSocketAddress)channel.getLocalAddress();
        for (int fd : os.openFds())
        {
            FdDescription description = os.describe(fd);
            if (description.isSocket() && description.socket().listening() && local.equals(description.socket().local()))
                return fd;
        }
        throw new OsException("no fd of this process listens on " + local, 0);
    }
}
