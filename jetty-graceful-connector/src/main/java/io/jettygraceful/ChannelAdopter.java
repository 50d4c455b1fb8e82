package io.jettygraceful;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import io.jettygraceful.os.FdDescription;
import io.jettygraceful.os.Os;
import io.jettygraceful.os.OsException;

/**
 * Turns an inherited fd into a {@link ServerSocketChannel} without JVM flags: it opens a placeholder channel of the
 * same family on an ephemeral loopback port (a fresh temporary path for a Unix-domain socket), finds the placeholder's fd by its unique address, and {@code dup2}s the
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

    /**
     * A Unix-domain placeholder is bound to a fresh path the JDK picks in its temporary directory, whose file is
     * removed once the inherited socket has replaced it (the placeholder's socket is gone by then).
     */
    static Adopted adopt(Os os, InheritedSocket socket) throws IOException
    {
        boolean unix = socket.isUnixDomain();
        ProtocolFamily family = unix ? StandardProtocolFamily.UNIX : socket.ipv6() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        ServerSocketChannel placeholder = ServerSocketChannel.open(family);
        Path placeholderFile = null;
        try
        {
            placeholder.bind(unix ? null : new InetSocketAddress(InetAddress.getByName(socket.ipv6() ? "::1" : "127.0.0.1"), 0), 1);
            if (unix)
                placeholderFile = ((UnixDomainSocketAddress)placeholder.getLocalAddress()).getPath();
            int fd = fdOf(os, placeholder);
            os.duplicateOnto(socket.fd(), fd);
            return new Adopted(placeholder, fd);
        }
        catch (IOException | RuntimeException x)
        {
            placeholder.close();
            throw new IOException("cannot adopt inherited " + socket.describe() + ": " + x.getMessage(), x);
        }
        finally
        {
            if (placeholderFile != null)
                Files.deleteIfExists(placeholderFile);
        }
    }

    /**
     * Finds the fd of a bound channel by its local address, which no other listening socket of this process shares.
     *
     * @throws OsException when no listening fd has that address
     */
    static int fdOf(Os os, ServerSocketChannel channel) throws IOException
    {
        SocketAddress local = channel.getLocalAddress();
        String unixPath = local instanceof UnixDomainSocketAddress unix ? unix.getPath().toString() : null;
        for (int fd : os.openFds())
        {
            FdDescription description = os.describe(fd);
            if (description.isSocket() && description.socket().listening() &&
                (unixPath != null ? unixPath.equals(description.socket().unixPath()) : local.equals(description.socket().local())))
                return fd;
        }
        throw new OsException("no fd of this process listens on " + local, 0);
    }
}
