package io.jettygraceful.dropwizard;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.jetty.HttpsConnectorFactory;
import io.jettygraceful.InheritedServerConnector;
import jakarta.annotation.Nullable;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * Connector type {@code inherited-https}: Dropwizard's {@code https} connector (TLS: keyStorePath, ...) (every setting of it applies) built as an
 * {@link InheritedServerConnector}, so it adopts a socket inherited from systemd socket activation or from a
 * jetty-graceful handoff, and binds {@code bindHost:port} itself when none was inherited.
 *
 * <pre>
 * server:
 *   applicationConnectors:
 *     - type: inherited-https
 *       port: 8443
 *       keyStorePath: server.p12
 *       keyStorePassword: secret
 *       socketName: application   # optional: the LISTEN_FDNAMES name to adopt
 *       inheritRequired: false    # optional: true fails the start when no such socket was inherited
 * </pre>
 */
@JsonTypeName("inherited-https")
public class InheritedHttpsConnectorFactory extends HttpsConnectorFactory
{
    @Nullable
    private String socketName;
    private boolean inheritRequired;

    /** @return the LISTEN_FDNAMES name of the socket to adopt, or null (default) for the next inherited one in fd order */
    @JsonProperty
    @Nullable
    public String getSocketName()
    {
        return socketName;
    }

    @JsonProperty
    public void setSocketName(@Nullable String socketName)
    {
        this.socketName = socketName;
    }

    /** @return whether starting without a matching inherited socket is an error instead of binding; default false */
    @JsonProperty
    public boolean isInheritRequired()
    {
        return inheritRequired;
    }

    @JsonProperty
    public void setInheritRequired(boolean inheritRequired)
    {
        this.inheritRequired = inheritRequired;
    }

    @Override
    protected ServerConnector buildConnector(Server server, Scheduler scheduler, ByteBufferPool bufferPool, String name,
                                             @Nullable ThreadPool threadPool, ConnectionFactory... factories)
    {
        ServerConnector configured = super.buildConnector(server, scheduler, bufferPool, name, threadPool, factories);
        return InheritedConnectors.adopt(configured, socketName, inheritRequired, isInheritChannel());
    }
}
