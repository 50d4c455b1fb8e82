package io.jettygraceful.internal.inherit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jettygraceful.InheritedSocket;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;

/**
 * Turns an inherited fd into a {@link ServerSocketChannel} without JVM flags: it opens a placeholder channel of the
 * same family on an ephemeral loopback port (a fresh temporary path for a Unix-domain socket), finds the placeholder's fd by its unique address, and {@code dup2}s the
 * inherited fd over it. The channel then accepts on the inherited socket. Its cached local address is stale, so
 * callers report the address the kernel gives for the inherited socket instead.
 *
 * <p>Ownership: the returned channel owns its fd (a new reference to the inherited socket) and closing it closes
 * only that fd. The inherited fd itself is untouched and stays owned by {@link io.jettygraceful.InheritedSockets}.</p>
 */
public final class ChannelAdopter
{
    private ChannelAdopter()
    {
    }

    /** A channel and the fd number it uses. */
    public record Adopted(ServerSocketChannel channel, int fd)
    {
    }

    /**
     * A Unix-domain placeholder is bound to a fresh path the JDK picks in its temporary directory, whose file is
     * removed once the inherited socket has replaced it (the placeholder's socket is gone by then).
     */
    public static Adopted adopt(Os os, InheritedSocket socket) throws IOException
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
     * Turns connected TCP sockets received from another process into {@link SocketChannel}s of this process, the same
     * way as {@link #adopt} does for listeners: for each, a placeholder channel of the socket's family is connected over
     * loopback, and the received fd is {@code dup2}'d over the placeholder's fd. The placeholder's own connection is
     * closed by that (and its other end right after). The channels' cached addresses are the placeholders': callers
     * report {@code getsockname}/{@code getpeername} instead.
     *
     * <p>Ownership: each returned channel owns its fd (a new reference to the received socket); the fds in
     * {@code received} stay owned by the caller, who closes them.</p>
     *
     * @return one channel per fd, in order; {@code null} where that fd is not a connected IP socket or could not be adopted
     */
    public static List<SocketChannel> adoptConnected(Os os, List<Integer> received)
    {
        List<SocketChannel> result = new ArrayList<>();
        List<SocketChannel> others = new ArrayList<>();
        Map<ProtocolFamily, ServerSocketChannel> servers = new HashMap<>();
        try
        {
            for (int fd : received)
            {
                FdDescription description = os.describe(fd);
                if (!description.isSocket() || description.socket().listening() || description.socket().local() == null ||
                    description.socket().type() != FdDescription.SocketInfo.SOCK_STREAM)
                {
                    result.add(null);
                    continue;
                }
                boolean ipv6 = description.socket().family() == FdDescription.SocketInfo.AF_INET6;
                ProtocolFamily family = ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                try
                {
                    ServerSocketChannel server = servers.get(family);
                    if (server == null)
                    {
                        server = ServerSocketChannel.open(family);
                        servers.put(family, server);
                        server.bind(new InetSocketAddress(InetAddress.getByName(ipv6 ? "::1" : "127.0.0.1"), 0), received.size());
                    }
                    SocketChannel placeholder = SocketChannel.open(family);
                    result.add(placeholder);
                    placeholder.connect(server.getLocalAddress());
                    others.add(server.accept());
                }
                catch (IOException x)
                {
                    result.set(result.size() - 1, null);
                }
            }
            Map<SocketAddress, Integer> fdsByLocal = new HashMap<>();
            for (int fd : os.openFds())
            {
                FdDescription description = os.describe(fd);
                if (description.isSocket() && !description.socket().listening() && description.socket().local() != null)
                    fdsByLocal.put(description.socket().local(), fd);
            }
            for (int i = 0; i < result.size(); i++)
            {
                SocketChannel placeholder = result.get(i);
                if (placeholder == null)
                    continue;
                try
                {
                    Integer target = fdsByLocal.get(placeholder.getLocalAddress());
                    if (target == null)
                        throw new OsException("no fd of this process has the placeholder's address " + placeholder.getLocalAddress(), 0);
                    os.duplicateOnto(received.get(i), target);
                }
                catch (IOException x)
                {
                    closeQuietly(placeholder);
                    result.set(i, null);
                }
            }
        }
        catch (OsException x)
        {
            for (int i = 0; i < result.size(); i++)
            {
                closeQuietly(result.get(i));
                result.set(i, null);
            }
        }
        finally
        {
            others.forEach(ChannelAdopter::closeQuietly);
            servers.values().forEach(ChannelAdopter::closeQuietly);
        }
        return result;
    }

    /**
     * Finds the fds of connected IP sockets of this process by their local and remote addresses (a connection's
     * four-tuple names one socket), reading each open fd once.
     *
     * @return the fd for each pair of addresses found
     */
    public static Map<List<InetSocketAddress>, Integer> fdsOfConnected(Os os, Collection<List<InetSocketAddress>> wanted) throws OsException
    {
        Set<List<InetSocketAddress>> remaining = new HashSet<>(wanted);
        Map<List<InetSocketAddress>, Integer> found = new HashMap<>();
        for (int fd : os.openFds())
        {
            if (remaining.isEmpty())
                break;
            FdDescription description = os.describe(fd);
            if (!description.isSocket() || description.socket().listening() || description.socket().local() == null)
                continue;
            InetSocketAddress peer = os.peerAddress(fd);
            if (peer == null)
                continue;
            List<InetSocketAddress> key = List.of(description.socket().local(), peer);
            if (remaining.remove(key))
                found.put(key, fd);
        }
        return found;
    }

    private static void closeQuietly(java.io.Closeable closeable)
    {
        if (closeable == null)
            return;
        try
        {
            closeable.close();
        }
        catch (IOException x)
        {
            // nothing held
        }
    }

    /**
     * Finds the fd of a bound channel by its local address, which no other listening socket of this process shares.
     *
     * @throws OsException when no listening fd has that address
     */
    public static int fdOf(Os os, ServerSocketChannel channel) throws IOException
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
