package io.jettygraceful.spring.boot;

import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces every {@link ServerConnector} of a Jetty {@link Server} (as Spring Boot built it: {@code server.port},
 * {@code server.address}, {@code server.ssl.*}, {@code server.http2.enabled}, and what the application's own
 * customizers added) by an {@link InheritedServerConnector} that carries the same connection factories (so TLS,
 * ALPN, HTTP/2 and every {@code HttpConfiguration} customizer stay as they were), the same executor, scheduler, buffer
 * pool, acceptors and selectors, and the same settings: host, port, idle timeouts, accept queue, reuse address and
 * port, TCP_NODELAY, socket buffer sizes, acceptor priority, name, default protocol, and the event listeners that
 * were added to it.
 *
 * <p>The replacement happens on the Server before it starts, and nothing is opened here: each new connector adopts an
 * inherited socket or binds its host and port when it starts, as Boot's would have. Subclasses of
 * {@code ServerConnector} other than Boot's own TLS connector are left alone (their overrides cannot be carried
 * over), with a warning: their sockets are not handed over. A {@link NetworkConnectionLimit}
 * ({@code server.jetty.max-connections}) is moved to the new connectors.</p>
 *
 * <p>The copies are {@link InheritedServerConnector#copyOf(ServerConnector)}'s. In a replacement process (one started by a
 * restart) they pause themselves when Boot starts them: they accept only once the parent has handed over.</p>
 */
public final class GracefulConnectors
{
    private static final Logger LOG = LoggerFactory.getLogger(GracefulConnectors.class);
    /** Boot's connector for server.ssl.*: only validates the key alias on start; the TLS itself is in its factories. */
    static final String BOOT_SSL_CONNECTOR = "org.springframework.boot.jetty.SslServerCustomizer$SslValidatingServerConnector";

    private GracefulConnectors()
    {
    }

    /**
     * @param inheritRequired whether each new connector must adopt an inherited socket rather than bind
     * @return the new connectors, in the order of the server's connectors
     */
    public static List<InheritedServerConnector> replace(Server server, boolean inheritRequired)
    {
        List<InheritedServerConnector> replaced = new ArrayList<>();
        List<Connector> result = new ArrayList<>();
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof InheritedServerConnector inherited)
            {
                replaced.add(inherited);
                result.add(inherited);
            }
            else if (isReplaceable(connector))
            {
                InheritedServerConnector copy = InheritedServerConnector.copyOf((ServerConnector)connector);
                copy.setInheritRequired(inheritRequired);
                replaced.add(copy);
                result.add(copy);
            }
            else
            {
                if (connector instanceof ServerConnector)
                    LOG.warn("{} is a subclass of ServerConnector ({}) that jetty-graceful cannot copy: its socket is not handed over on restart, " +
                        "and the replacement binds its own (which fails while this process holds the port)", connector, connector.getClass().getName());
                result.add(connector);
            }
        }
        server.setConnectors(result.toArray(Connector[]::new));
        moveConnectionLimit(server, replaced);
        return replaced;
    }

    static boolean isReplaceable(Connector connector)
    {
        return connector.getClass() == ServerConnector.class || connector.getClass().getName().equals(BOOT_SSL_CONNECTOR);
    }

    private static void moveConnectionLimit(Server server, List<InheritedServerConnector> connectors)
    {
        for (NetworkConnectionLimit limit : server.getBeans(NetworkConnectionLimit.class))
        {
            server.removeBean(limit);
            server.addBean(new NetworkConnectionLimit(limit.getMaxNetworkConnectionCount(), connectors.toArray(Connector[]::new)));
        }
    }
}
