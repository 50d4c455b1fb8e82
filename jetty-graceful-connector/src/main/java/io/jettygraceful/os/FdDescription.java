package io.jettygraceful.os;

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
     */
    public record SocketInfo(int family, int type, boolean listening, InetSocketAddress local, int peerPid)
    {
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

        public String typeName()
        {
            switch (type)
            {
                case SOCK_STREAM:
                    return "stream (TCP)";
                case SOCK_DGRAM:
                    return "datagram (UDP)";
                default:
                    return "type " + type;
            }
        }

        public String describe()
        {
            return "a " + (listening ? "listening " : "") + familyName() + " " + typeName() + " socket" +
                (local != null ? " on " + SocketAddresses.hostAndPort(local) : "");
        }
    }
}
