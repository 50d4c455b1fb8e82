package io.jettygraceful.internal.os;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Socket addresses written the way people write them, for logs, error messages and {@code getHost()}: IPv6 in the
 * canonical text form of RFC 5952 ({@code ::1}, {@code 2001:db8::1}, {@code ::}) rather than the JDK's
 * {@code 0:0:0:0:0:0:0:1}, without a zone.
 */
public final class SocketAddresses
{
    private SocketAddresses()
    {
    }

    /** @return e.g. {@code 127.0.0.1} or {@code ::1} (RFC 5952: lower case, no leading zeros, longest zero run as {@code ::}) */
    public static String host(InetAddress address)
    {
        if (!(address instanceof Inet6Address))
            return address.getHostAddress();
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        // The longest run of two or more zero groups (the first of equal runs) becomes "::".
        int runStart = -1;
        int runLength = 0;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int end = i;
            while (end < 8 && groups[end] == 0)
                end++;
            if (end - i > runLength)
            {
                runStart = i;
                runLength = end - i;
            }
            i = end;
        }
        if (runLength < 2)
            runStart = -1;
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == runStart)
            {
                text.append("::");
                i += runLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':')
                text.append(':');
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /** @return {@code host:port}, or {@code [v6host]:port} */
    public static String hostAndPort(InetSocketAddress address)
    {
        String host = address.getAddress() != null ? host(address.getAddress()) : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
