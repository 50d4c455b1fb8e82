package io.jettygraceful.internal.os;

import java.net.InetSocketAddress;

/**
 * What an fd of this process refers to.
 *
 * @param fd     the fd
 * @param target what the kernel says it points at ({@code /proc/self/fd/N}): a path, {@code socket:[…]},
 *               {@code pipe:[…]}, {@code anon_inode:…}; {@code null} when the fd is not open
 * @param socket socket details, or {@code null} when the fd is not a socket
 */
public record FdDescription(int fd, String target, SocketInfo socket)
{
    public boolean isOpen()
    {
        return target != null;
    }

    public boolean isSocket()
    {
        return socket != null;
    }

    /** @return a short human description, for error messages */
    public String describe()
    {
        if (!isOpen())
            return "not open";
        if (socket == null)
        {
            if (target.startsWith("pipe:"))
                return "a pipe (" + target + ")";
            if (target.startsWith("/"))
                return "a file or device (" + target + ")";
            return target;
        }
        return socket.describe();
    }

    /**
     * Details of a socket.
     *
     * @param family    {@link #AF_INET}, {@link #AF_INET6}, {@link #AF_UNIX} or another number
     * @param type      {@link #SOCK_STREAM}, {@link #SOCK_DGRAM} or another number
     * @param listening SO_ACCEPTCONN
     * @param local     the bound address of an IP socket, else {@code null}
     * @param peerPid   for a connected Unix socket, the pid its peer had when the pair was made, else 0
     * @param unixPath  for a Unix-domain socket, the address it is bound to: a filesystem path, an abstract name
     *                  written {@code @name}, or {@code ""} when unnamed; else {@code null}
     */
    public record SocketInfo(int family, int type, boolean listening, InetSocketAddress local, int peerPid, String unixPath)
    {
        /** A socket without a Unix-domain address (an IP socket, or a Unix socket whose address is not known). */
        public SocketInfo(int family, int type, boolean listening, InetSocketAddress local, int peerPid)
        {
            this(family, type, listening, local, peerPid, null);
        }

        public static final int AF_UNIX = 1;
        public static final int AF_INET = 2;
        public static final int AF_INET6 = 10;
        public static final int SOCK_STREAM = 1;
        public static final int SOCK_DGRAM = 2;

        public String familyName()
        {
            switch (family)
            {
                case AF_UNIX:
                    return "Unix-domain";
                case AF_INET:
                    return "IPv4";
                case AF_INET6:
                    return "IPv6";
                default:
                    return "family " + family;
            }
        }

        /** @return e.g. {@code stream (TCP)} for an IP socket, {@code stream} for a Unix-domain one (no TCP there) */
        public String typeName()
        {
            boolean ip = family == AF_INET || family == AF_INET6;
            switch (type)
            {
                case SOCK_STREAM:
                    return ip ? "stream (TCP)" : "stream";
                case SOCK_DGRAM:
                    return ip ? "datagram (UDP)" : "datagram";
                default:
                    return "type " + type;
            }
        }

        public String describe()
        {
            return "a " + (listening ? "listening " : "") + familyName() + " " + typeName() + " socket" +
                (local != null ? " on " + SocketAddresses.hostAndPort(local) : "") +
                (unixPath != null && !unixPath.isEmpty() ? " on " + unixPath : "");
        }
    }
}
