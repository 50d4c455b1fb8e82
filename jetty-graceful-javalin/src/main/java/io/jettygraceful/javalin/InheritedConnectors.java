package io.jettygraceful.javalin;

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
 * Replaces every {@link ServerConnector} of Javalin's {@link Server} (its default one from {@code jetty.host} and
 * {@code jetty.port}, those of {@code jetty.addConnector}, and the SSL plugin's) by an {@link InheritedServerConnector}
 * that carries the same connection factories (TLS, ALPN, HTTP/2, and the {@code HttpConfiguration} with its customizers
 * stay as they were), the same executor, scheduler, buffer pool, acceptors and selectors, and the same settings: the
 * library's {@link InheritedServerConnector#copyOf(ServerConnector)}. A {@link NetworkConnectionLimit} is moved to the
 * new connectors.
 *
 * <p>Nothing is opened here: the original connectors were never started, and each new one adopts an inherited socket or
 * binds the host and port when the server starts it. A subclass of {@code ServerConnector} is left alone with a
 * warning (its overrides cannot be carried over): its socket is not handed over.</p>
 * */
final class InheritedConnectors
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedConnectors.class);

    private InheritedConnectors()
    {
    }

    /**
     * @param inheritRequired whether each new connector must adopt an inherited socket rather than bind
     * @return the server's {@link InheritedServerConnector}s after the replacement, in the order of its connectors
     */
    static List<InheritedServerConnector> replace(Server server, boolean inheritRequired)
    {
        List<InheritedServerConnector> inherited = new ArrayList<>();
        List<Connector> result = new ArrayList<>();
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof InheritedServerConnector already)
            {
                inherited.add(already);
                result.add(already);
            }
            else if (connector.getClass() == ServerConnector.class)
            {
                InheritedServerConnector copy = InheritedServerConnector.copyOf((ServerConnector)connector);
                copy.setInheritRequired(inheritRequired);
                inherited.add(copy);
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
        for (NetworkConnectionLimit limit : server.getBeans(NetworkConnectionLimit.class))
        {
            server.removeBean(limit);
            server.addBean(new NetworkConnectionLimit(limit.getMaxNetworkConnectionCount(), inherited.toArray(Connector[]::new)));
        }
        return inherited;
    }
}
