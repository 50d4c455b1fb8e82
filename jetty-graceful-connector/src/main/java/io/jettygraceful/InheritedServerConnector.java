package io.jettygraceful;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Executor;

import io.jettygraceful.os.Os;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.Name;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A drop-in {@link ServerConnector} that serves on a listening socket this process inherited (systemd socket
 * activation, or a jetty-graceful parent handing off), and binds its host and port like a plain
 * {@code ServerConnector} when none is inherited.
 *
 * <p>Which socket: the first unclaimed inherited socket named {@link #setSocketName(String) socketName}
 * (LISTEN_FDNAMES), or, when no name is set, the first unclaimed one in fd order. The socket is claimed once and kept
 * across stop/start. With {@link #setInheritRequired(boolean) inheritRequired}, finding none is a start error instead
 * of a fallback to binding.</p>
 *
 * <p>Ownership: each start takes a fresh dup of the inherited fd for its channel; stopping closes only that dup, so
 * the socket stays open for a later start and for any other process sharing it. The inherited fd belongs to
 * {@link InheritedSockets}.</p>
 *
 * <p>No JVM flags are needed: see {@link ChannelAdopter}. {@link #getLocalPort()} and {@link #getHost()} report the
 * inherited socket's real address.</p>
 */
@ManagedObject("ServerConnector that adopts an inherited listening socket (systemd socket activation or a jetty-graceful handoff)")
public class InheritedServerConnector extends ServerConnector
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedServerConnector.class);

    private volatile String socketName;
    private volatile boolean inheritRequired;
    private volatile InheritedSocket inherited;
    private volatile int acceptFd = -1;
    private volatile InetSocketAddress boundAddress;
    /** Acceptor threads inside {@link #accept(int)}: a connection they take is not yet anywhere else. */
    private final AtomicInteger acceptorsInAccept = new AtomicInteger();
    /** Channels accepted by acceptor threads and handed to the selector, whose endpoint is not open yet. */
    private final Set<SocketChannel> acceptedNotOpened = ConcurrentHashMap.newKeySet();

    public InheritedServerConnector(@Name("server") Server server)
    {
        super(server);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("acceptors") int acceptors, @Name("selectors") int selectors)
    {
        super(server, acceptors, selectors);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("acceptors") int acceptors, @Name("selectors") int selectors,
                                    @Name("factories") ConnectionFactory... factories)
    {
        super(server, acceptors, selectors, factories);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("factories") ConnectionFactory... factories)
    {
        super(server, factories);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("sslContextFactory") SslContextFactory.Server sslContextFactory)
    {
        super(server, sslContextFactory);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("acceptors") int acceptors, @Name("selectors") int selectors,
                                    @Name("sslContextFactory") SslContextFactory.Server sslContextFactory)
    {
        super(server, acceptors, selectors, sslContextFactory);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("sslContextFactory") SslContextFactory.Server sslContextFactory,
                                    @Name("factories") ConnectionFactory... factories)
    {
        super(server, sslContextFactory, factories);
    }

    public InheritedServerConnector(@Name("server") Server server, @Name("executor") Executor executor, @Name("scheduler") Scheduler scheduler,
                                    @Name("bufferPool") ByteBufferPool bufferPool, @Name("acceptors") int acceptors, @Name("selectors") int selectors,
                                    @Name("factories") ConnectionFactory... factories)
    {
        super(server, executor, scheduler, bufferPool, acceptors, selectors, factories);
    }

    /**
     * @param name the LISTEN_FDNAMES name of the socket to adopt ({@code FileDescriptorName=} in a systemd .socket
     *             unit), or {@code null} (the default) to adopt the next inherited socket in fd order
     */
    public void setSocketName(String name)
    {
        this.socketName = name == null || name.isBlank() ? null : name;
    }

    @ManagedAttribute("LISTEN_FDNAMES name of the socket to adopt, null for the next in fd order")
    public String getSocketName()
    {
        return socketName;
    }

    /**
     * @param required true to fail the start when no matching socket was inherited (or the configured port differs
     *                 from the inherited one), instead of binding host:port; default false
     */
    public void setInheritRequired(boolean required)
    {
        this.inheritRequired = required;
    }

    @ManagedAttribute("Whether starting without an inherited socket is an error")
    public boolean isInheritRequired()
    {
        return inheritRequired;
    }

    @ManagedAttribute("Whether this connector serves on an inherited socket (else it bound its own)")
    public boolean isInherited()
    {
        return inherited != null;
    }

    @ManagedAttribute("The inherited fd (3, 4, ...), or -1 when the socket was bound here")
    public int getInheritedFd()
    {
        InheritedSocket socket = inherited;
        return socket == null ? -1 : socket.fd();
    }

    /** @return the inherited socket, or {@code null} when this connector bound its own */
    public InheritedSocket getInheritedSocket()
    {
        return inherited;
    }

    /**
     * @return the fd the open accept channel uses (this process's own reference to the listening socket), or -1 when
     * closed or unknown (an unsupported platform)
     */
    @ManagedAttribute("The fd of the open accept channel, -1 when closed")
    public int getAcceptFd()
    {
        return isOpen() ? acceptFd : -1;
    }

    /** @return the address the listening socket is really bound to, or {@code null} when not open */
    public InetSocketAddress getListenAddress()
    {
        InheritedSocket socket = inherited;
        return socket != null ? socket.address() : boundAddress;
    }

    @Override
    public String getHost()
    {
        InheritedSocket socket = inherited;
        return socket != null ? socket.address().getAddress().getHostAddress() : super.getHost();
    }

    @Override
    public int getLocalPort()
    {
        InheritedSocket socket = inherited;
        int port = super.getLocalPort();
        return socket != null && port > 0 ? socket.address().getPort() : port;
    }

    @Override
    protected ServerSocketChannel openAcceptChannel() throws IOException
    {
        InheritedSockets registry = InheritedSockets.get();
        if (inherited == null)
            inherited = registry.claim(socketName).orElse(null);
        Os os = Os.current();
        if (inherited == null)
        {
            String wanted = socketName == null ? "no inherited socket" : "no inherited socket named '" + socketName + "'";
            if (inheritRequired)
                throw new InheritedSocketException(this + ": " + wanted + " (inherited: " + registry.sockets().stream().map(InheritedSocket::describe).toList() +
                    (registry.ignoredReason() != null ? "; " + registry.ignoredReason() : "") +
                    ") and inheritRequired is set. Fix: start this JVM with the socket passed (systemd .socket unit, systemd-socket-activate, a jetty-graceful restart), or unset inheritRequired to bind " + hostPort() + ".");
            if (registry.source() != InheritedSockets.Source.NONE)
                LOG.warn("{}: {} is left for this connector; binding {} itself", this, wanted, hostPort());
            ServerSocketChannel channel = super.openAcceptChannel();
            boundAddress = (InetSocketAddress)channel.getLocalAddress();
            acceptFd = os == null ? -1 : findFd(os, channel);
            return channel;
        }

        if (getPort() > 0 && getPort() != inherited.address().getPort())
        {
            String message = this + ": configured port " + getPort() + " differs from the inherited socket's " + inherited.describe() +
                "; serving on the inherited socket";
            if (inheritRequired)
                throw new InheritedSocketException(message.replace("; serving on the inherited socket", "") +
                    ". Fix: make the configured port match the socket unit's ListenStream=, or set port 0.");
            LOG.warn(message);
        }
        ChannelAdopter.Adopted adopted = ChannelAdopter.adopt(os, inherited);
        acceptFd = adopted.fd();
        return adopted.channel();
    }

    private static int findFd(Os os, ServerSocketChannel channel)
    {
        try
        {
            return ChannelAdopter.fdOf(os, channel);
        }
        catch (IOException x)
        {
            LOG.warn("cannot find the fd of {}: it cannot be handed to a replacement process ({})", channel, x.getMessage());
            return -1;
        }
    }

    private String hostPort()
    {
        String host = super.getHost();
        return (host == null ? "*" : host) + ":" + getPort();
    }

    /**
     * Stops accepting new connections without interrupting an acceptor in the middle of an accept: with acceptor
     * threads, the accept channel is closed (a connection accepted at that instant is returned and served, whereas
     * Jetty's shutdown interrupts the acceptors, and a connection accepted just as the interrupt lands is lost); with
     * selector accept (acceptors 0), the selector stops accepting and the channel closes when the connector stops.
     * Other processes sharing the socket keep accepting: closing this process's fd never shuts the socket down.
     */
    public void stopAccepting()
    {
        setAccepting(false);
        if (getAcceptors() > 0 && getTransport() instanceof ServerSocketChannel channel)
        {
            try
            {
                channel.close();
            }
            catch (IOException x)
            {
                LOG.debug("closing the accept channel of {}", this, x);
            }
        }
    }

    /**
     * ServerConnector's accept, with the accepted connection tracked until its endpoint is open: between the accept
     * and the selector creating the endpoint, a connection is in none of the connector's endpoints, and a drain that
     * counted only those would stop the server and close it before its request was read.
     */
    @Override
    public void accept(int acceptorID) throws IOException
    {
        acceptorsInAccept.incrementAndGet();
        try
        {
            if (getTransport() instanceof ServerSocketChannel serverChannel && serverChannel.isOpen())
            {
                SocketChannel channel = serverChannel.accept();
                acceptedNotOpened.add(channel);
                // ServerConnector.accepted(SocketChannel) is private: the same three steps.
                channel.configureBlocking(false);
                configure(channel.socket());
                getSelectorManager().accept(channel);
            }
        }
        finally
        {
            acceptorsInAccept.decrementAndGet();
        }
    }

    @Override
    protected void onEndPointOpened(EndPoint endpoint)
    {
        super.onEndPointOpened(endpoint);
        Object transport = endpoint.getTransport();
        if (transport instanceof SocketChannel channel)
            acceptedNotOpened.remove(channel);
    }

    /**
     * @return connections accepted by an acceptor thread that are not yet among the connector's endpoints (an acceptor
     * inside accept() counts as one): a drain waits for these as for open connections
     */
    public int getPendingAccepts()
    {
        acceptedNotOpened.removeIf(channel -> !channel.isOpen()); // the selector failed to open it, and closed it
        return acceptorsInAccept.get() + acceptedNotOpened.size();
    }

    @Override
    protected boolean handleAcceptFailure(Throwable failure)
    {
        // An acceptor woken by stopAccepting() closing the channel: not a failure; it now waits while not accepting.
        if (!isAccepting() && isRunning() && failure instanceof java.nio.channels.ClosedChannelException)
            return true;
        return super.handleAcceptFailure(failure);
    }

    @Override
    protected void doStart() throws Exception
    {
        // ServerConnector arms the selector acceptor unconditionally when acceptors == 0: keep a pause asked for before start.
        boolean paused = !isAccepting();
        super.doStart();
        if (paused && getAcceptors() == 0)
            setAccepting(false);
    }

    @Override
    protected void doStop() throws Exception
    {
        super.doStop();
        acceptFd = -1;
        boundAddress = null;
    }

    @Override
    public String toString()
    {
        InheritedSocket socket = inherited;
        return socket == null ? super.toString() : super.toString() + "{inherited " + socket.describe() + "}";
    }
}
