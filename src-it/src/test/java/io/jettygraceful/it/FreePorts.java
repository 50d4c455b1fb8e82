package io.jettygraceful.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free loopback TCP ports. The kernel picks a free ephemeral port; the port is closed again and handed out once per
 * test JVM, so two calls never return the same port. (Another process can still take it in between: that race is
 * the same for every test suite that passes ports to subprocesses, and the ephemeral range makes it rare.)
 */
public final class FreePorts
{
    private static final Set<Integer> GIVEN = new HashSet<>();

    private FreePorts()
    {
    }

    /** @return a port free on 127.0.0.1 */
    public static int ipv4()
    {
        return free(InetAddress.getLoopbackAddress());
    }

    /** @return a port free on ::1 */
    public static int ipv6()
    {
        try
        {
            return free(InetAddress.getByName("::1"));
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }

    private static synchronized int free(InetAddress address)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try (ServerSocket socket = new ServerSocket())
            {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(address, 0));
                int port = socket.getLocalPort();
                if (GIVEN.add(port))
                    return port;
            }
            catch (IOException x)
            {
                throw new UncheckedIOException("cannot find a free port on " + address, x);
            }
        }
        throw new IllegalStateException("no new free port on " + address + " in 100 attempts");
    }
}
