package io.jettygraceful.dropwizard;

import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * Turns the {@link ServerConnector} that Dropwizard's own {@code buildConnector} configured into an
 * {@link InheritedServerConnector} with the same settings, so every {@code http}/{@code https} setting applies as
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
    static InheritedServerConnector adopt(Server server, Scheduler scheduler, ByteBufferPool bufferPool, ThreadPool threadPool,
                                          ServerConnector configured, String socketName, boolean inheritRequired, boolean inheritChannel)
    {
        if (inheritChannel)
            throw new IllegalArgumentException("connector '" + configured.getName() + "': inheritChannel: true cannot be combined with type " +
                "inherited-http or inherited-https, which adopt inherited sockets themselves (systemd's LISTEN_FDS and jetty-graceful handoffs). " +
                "Fix: remove inheritChannel (or use type http to keep Jetty's fd-0 inheritance)");
        InheritedServerConnector connector = new InheritedServerConnector(server, threadPool, scheduler, bufferPool,
            configured.getAcceptors(), configured.getSelectorManager().getSelectorCount(),
            configured.getConnectionFactories().toArray(new ConnectionFactory[0]));
        connector.setPort(configured.getPort());
        connector.setHost(configured.getHost());
        connector.setAcceptQueueSize(configured.getAcceptQueueSize());
        connector.setReuseAddress(configured.getReuseAddress());
        connector.setReusePort(configured.isReusePort());
        connector.setAcceptedTcpNoDelay(configured.getAcceptedTcpNoDelay());
        connector.setAcceptedReceiveBufferSize(configured.getAcceptedReceiveBufferSize());
        connector.setAcceptedSendBufferSize(configured.getAcceptedSendBufferSize());
        connector.setIdleTimeout(configured.getIdleTimeout());
        connector.setShutdownIdleTimeout(configured.getShutdownIdleTimeout());
        connector.setName(configured.getName());
        connector.setSocketName(socketName);
        connector.setInheritRequired(inheritRequired);
        return connector;
    }
}
