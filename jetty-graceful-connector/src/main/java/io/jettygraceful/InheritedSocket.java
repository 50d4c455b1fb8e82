package io.jettygraceful;

import java.net.InetSocketAddress;

import io.jettygraceful.internal.os.SocketAddresses;

/**
 * One listening socket this process inherited, as validated by {@link InheritedSockets}: an IPv4 or IPv6 TCP socket
 * (served by {@link InheritedServerConnector}) or a Unix-domain stream socket (served by
 * {@link InheritedUnixDomainConnector}).
 *
 * <p>The fd is owned by the registry and stays open, with FD_CLOEXEC set, for the life of the JVM: users of it
 * (a connector) take their own dup and close only that.</p>
 *
 * @param fd       the inherited fd (3, 4, …)
 * @param index    its position among the inherited fds, from 0
 * @param name     its name from LISTEN_FDNAMES, or {@code null} when none was given
 * @param ipv6     whether it is an IPv6 socket (false for IPv4 and for Unix-domain)
 * @param address  the IP address it is bound to, as the kernel reports it; {@code null} for a Unix-domain socket
 * @param unixPath the Unix-domain address it is bound to (a path, or {@code @name} in the abstract namespace);
 *                 {@code null} for an IP socket
 */
public record InheritedSocket(int fd, int index, String name, boolean ipv6, InetSocketAddress address, String unixPath)
{
    /** An IP (TCP) socket. */
    public InheritedSocket(int fd, int index, String name, boolean ipv6, InetSocketAddress address)
    {
        this(fd, index, name, ipv6, address, null);
    }

    /** @return whether this is a Unix-domain socket (else IPv4 or IPv6 TCP) */
    public boolean isUnixDomain()
    {
        return unixPath != null;
    }

    /** @return e.g. {@code fd 3 'http' 127.0.0.1:8080}, {@code fd 4 'https' [::1]:8443} or {@code fd 5 'app' unix:/run/app.sock} */
    public String describe()
    {
        return "fd " + fd + (name != null ? " '" + name + "'" : "") + " " + (isUnixDomain() ? "unix:" + unixPath : hostAndPort(address));
    }

    /** @return {@code host:port}, or {@code [v6host]:port} (RFC 5952 text, e.g. {@code [::1]:8443}), without any IPv6 zone */
    public static String hostAndPort(InetSocketAddress address)
    {
        return SocketAddresses.hostAndPort(address);
    }
}
