package io.jettygraceful.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.jettygraceful.internal.os.SocketAddresses;

/**
 * The listening TCP sockets a process holds, without {@code ss} or {@code lsof}: the socket inodes of /proc/PID/fd
 * matched against the LISTEN (state 0A) rows of /proc/PID/net/tcp and tcp6 (the process's own network namespace).
 * A socket held through several fds (an inherited fd and its dup) counts once.
 */
public final class ListeningSockets
{
    private static final String LISTEN = "0A";

    private ListeningSockets()
    {
    }

    /** @return the local addresses of the listening TCP sockets {@code pid} holds, sorted by port then address */
    public static List<InetSocketAddress> of(long pid) throws IOException
    {
        Set<Long> inodes = socketInodes(pid);
        Map<Long, InetSocketAddress> listening = new HashMap<>();
        for (String table : List.of("tcp", "tcp6"))
        {
            Path file = Path.of("/proc", String.valueOf(pid), "net", table);
            if (Files.exists(file))
                listening.putAll(parse(Files.readAllLines(file)));
        }
        List<InetSocketAddress> result = new ArrayList<>();
        for (Map.Entry<Long, InetSocketAddress> entry : listening.entrySet())
        {
            if (inodes.contains(entry.getKey()))
                result.add(entry.getValue());
        }
        result.sort((a, b) -> a.getPort() != b.getPort() ? Integer.compare(a.getPort(), b.getPort())
            : a.getAddress().getHostAddress().compareTo(b.getAddress().getHostAddress()));
        return result;
    }

    /** @return e.g. ["127.0.0.1:8080", "[::1]:8081"] */
    public static List<String> describe(long pid) throws IOException
    {
        return of(pid).stream().map(ListeningSockets::hostPort).toList();
    }

    /** Same text as the example's /status: RFC 5952 IPv6 in brackets ({@code [::1]:8081}), as the library writes it. */
    static String hostPort(InetSocketAddress address)
    {
        return io.jettygraceful.internal.os.SocketAddresses.hostAndPort(address);
    }

    /** @return inodes of the sockets open in {@code pid} */
    static Set<Long> socketInodes(long pid)
    {
        Set<Long> inodes = new HashSet<>();
        for (String target : Procs.fdTargets(pid))
        {
            if (target.startsWith("socket:[") && target.endsWith("]"))
                inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
        }
        return inodes;
    }

    /** Parses /proc/net/tcp{,6} rows: inode to local address, LISTEN rows only. */
    static Map<Long, InetSocketAddress> parse(List<String> lines) throws UnknownHostException
    {
        Map<Long, InetSocketAddress> listening = new HashMap<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size()))
        {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 10 || !fields[3].equals(LISTEN))
                continue;
            String[] local = fields[1].split(":");
            listening.put(Long.parseLong(fields[9]), new InetSocketAddress(address(local[0]), Integer.parseInt(local[1], 16)));
        }
        return listening;
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
    static InetAddress address(String hex) throws UnknownHostException
    {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++)
        {
            for (int i = 0; i < 4; i++)
                bytes[word * 4 + i] = (byte)Integer.parseInt(hex.substring(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
        }
        return InetAddress.getByAddress(bytes);
    }
}
