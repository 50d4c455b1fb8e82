package io.jettygraceful.dropwizard;

import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Turns the {@link ServerConnector} that Dropwizard's own {@code buildConnector} configured into an
 * {@link InheritedServerConnector} with the same settings ({@link InheritedServerConnector#copyOf(ServerConnector)}), so every {@code http}/{@code https} setting applies as
 * Dropwizard applies it (the proxy protocol factory, the accept queue from the OS's somaxconn, ...), including settings
 * a later Dropwizard adds to that method for the ones copied here.
 *
 * <p>The configured connector is only read: it is never added to the server nor started, so it opens no socket.</p>
 */
final class InheritedConnectors
{
    private InheritedConnectors()
    {
    }

    /**
     * @param configured    what {@code HttpConnectorFactory.buildConnector} returned for these arguments
     * @param socketName    LISTEN_FDNAMES name to adopt, or null for the next inherited socket in fd order
     * @param inheritChannel Dropwizard's {@code inheritChannel} setting, which adopts fd 0 only: refused here
     * @throws IllegalArgumentException when {@code inheritChannel} is true
     */
    static InheritedServerConnector adopt(ServerConnector configured, String socketName, boolean inheritRequired, boolean inheritChannel)
    {
        if (inheritChannel)
            throw new IllegalArgumentException("connector '" + configured.getName() + "': inheritChannel: true cannot be combined with type " +
                "inherited-http or inherited-https, which adopt inherited sockets themselves (systemd's LISTEN_FDS and jetty-graceful handoffs). " +
                "Fix: remove inheritChannel (or use type http to keep Jetty's fd-0 inheritance)");
        InheritedServerConnector connector = InheritedServerConnector.copyOf(configured);
        connector.setSocketName(socketName);
        connector.setInheritRequired(inheritRequired);
        return connector;
    }
}
