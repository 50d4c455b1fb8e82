package io.jettygraceful;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.EventListener;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import io.jettygraceful.internal.handoff.ReplacementTakeover;
import io.jettygraceful.internal.inherit.ChannelAdopter;
import io.jettygraceful.internal.inherit.EndPointTransfer;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.inherit.SelectorUpdates;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.SocketAddresses;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
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
public class InheritedServerConnector extends ServerConnector implements HandedOverConnector
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedServerConnector.class);

    private volatile String socketName;
    private volatile boolean inheritRequired;
    private volatile InheritedSocket inherited;
    private volatile int acceptFd = -1;
    private volatile InetSocketAddress boundAddress;
    /** Acceptor threads inside {@link #accept(int)}: from the kernel's accept to handing the channel to a selector. */
    private final AtomicInteger acceptsInProgress = new AtomicInteger();
    /** Connections handed to a selector that are not yet endpoints (or failed). */
    private final AtomicInteger acceptsPending = new AtomicInteger();
    /** After {@link #stopAccepting()} with acceptor threads: a dup of the listener, so accepting can resume. */
    private volatile int keptFd = -1;
    /** The accept channel re-opened on {@link #keptFd} by {@link #resumeAfterStopAccepting()}, used instead of Jetty's. */
    private volatile ServerSocketChannel reopened;
    private final java.util.concurrent.atomic.LongAdder closedEndPoints = new java.util.concurrent.atomic.LongAdder();
    /** A replacement's connector does not accept until its parent says GO. */
    private volatile boolean pausedForTakeover;

    {
        addBean(new AcceptCounter());
    }

    /** Counts the connections handed to a selector that are not yet endpoints ({@link #acceptsPending}). */
    private final class AcceptCounter implements SelectorManager.AcceptListener
    {
        @Override
        public void onAccepting(SelectableChannel channel)
        {
            acceptsPending.incrementAndGet();
        }

        @Override
        public void onAcceptFailed(SelectableChannel channel, Throwable cause)
        {
            acceptsPending.decrementAndGet();
        }
    }

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
     * A connector that serves exactly as {@code original} was configured to, but adopts an inherited socket (or binds
     * {@code original}'s host and port when none is inherited) and is handed over on restart: the same server, the
     * same connection factory objects (so TLS, ALPN, HTTP/2 and every {@code HttpConfiguration} customizer stay as
     * they are), executor, scheduler, buffer pool, acceptors and selectors, and the same settings: host, port, idle
     * timeouts, accept queue, reuse address and port, TCP_NODELAY, socket buffer sizes, acceptor priority, name,
     * default protocol, and its event listeners. This is how a framework that builds its own {@code ServerConnector}s
     * (Spring Boot, Dropwizard, Javalin) hands them over.
     *
     * <p>{@code original} is only read: it is neither started nor changed, and opens no socket. The caller puts the
     * copy in its place ({@code server.setConnectors}). A {@code NetworkConnectionLimit} or other listener that names
     * {@code original} itself ({@code server.jetty.max-connections} in Boot) is not copied: the caller moves it. Subclasses of
     * {@code ServerConnector} carry behaviour of their own that cannot be copied: only their settings are.</p>
     *
     * @param original a configured connector, not started
     * @return a new, unstarted connector
     */
    public static InheritedServerConnector copyOf(ServerConnector original)
    {
        InheritedServerConnector copy = new InheritedServerConnector(original.getServer(), original.getExecutor(), original.getScheduler(),
            original.getByteBufferPool(), original.getAcceptors(), original.getSelectorManager().getSelectorCount(),
            original.getConnectionFactories().toArray(ConnectionFactory[]::new));
        copy.setHost(original.getHost());
        copy.setPort(original.getPort());
        copy.setIdleTimeout(original.getIdleTimeout());
        copy.setShutdownIdleTimeout(original.getShutdownIdleTimeout());
        copy.setAcceptQueueSize(original.getAcceptQueueSize());
        copy.setReuseAddress(original.getReuseAddress());
        copy.setReusePort(original.isReusePort());
        copy.setAcceptedTcpNoDelay(original.getAcceptedTcpNoDelay());
        copy.setAcceptedReceiveBufferSize(original.getAcceptedReceiveBufferSize());
        copy.setAcceptedSendBufferSize(original.getAcceptedSendBufferSize());
        copy.setAcceptorPriorityDelta(original.getAcceptorPriorityDelta());
        copy.setName(original.getName());
        if (original.getDefaultProtocol() != null)
            copy.setDefaultProtocol(original.getDefaultProtocol());
        for (EventListener listener : original.getEventListeners())
        {
            // A NetworkConnectionLimit counts the connectors it was made for: the caller moves it (see above). An
            // InheritedServerConnector's own accept counter belongs to it alone.
            if (!(listener instanceof NetworkConnectionLimit) && !(listener instanceof AcceptCounter))
                copy.addEventListener(listener);
        }
        if (original instanceof InheritedServerConnector inherited)
        {
            copy.setSocketName(inherited.getSocketName());
            copy.setInheritRequired(inherited.isInheritRequired());
        }
        return copy;
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

    /** @return the socket name, else the inherited socket's LISTEN_FDNAMES name, else {@code null} */
    @Override
    public String getHandoffName()
    {
        InheritedSocket socket = inherited;
        return socketName != null ? socketName : socket != null ? socket.name() : null;
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
    @Override
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
        return socket != null ? io.jettygraceful.internal.os.SocketAddresses.host(socket.address().getAddress()) : super.getHost();
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
     * Stops accepting new connections without losing one: with acceptor threads, the accept channel is closed (an
     * acceptor blocked in accept either gets the connection that arrived at that instant, which is then served, or
     * returns empty-handed; Jetty's own shutdown instead interrupts the acceptors, and a connection accepted just as
     * the interrupt lands is lost); with selector accept (acceptors 0), the selector stops accepting and this method
     * waits until it has. Other processes sharing the socket keep accepting: closing this process's fd never shuts
     * the socket down. Follow with {@link #isAcceptSettled()} before stopping the connector.
     */
    @Override
    public void stopAccepting()
    {
        setAccepting(false);
        if (getAcceptors() > 0)
        {
            ServerSocketChannel channel = reopened != null ? reopened : getTransport() instanceof ServerSocketChannel c ? c : null;
            Os os = Os.current();
            if (channel != null && os != null && acceptFd >= 0 && keptFd < 0)
            {
                try
                {
                    keptFd = os.duplicate(acceptFd, HandoffProtocol.LISTEN_FDS_START);
                }
                catch (IOException x)
                {
                    LOG.warn("{}: cannot keep the listener to resume accepting later: {}", this, x.getMessage());
                }
            }
            if (channel != null)
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
            return;
        }
        // The selector acceptor is closed by an update on its selector: wait until every selector ran an update after it.
        awaitSelectorUpdates();
    }

    /**
     * Keeps this connector from accepting when it starts, until {@link #resumeAccepting()}: a replacement's connectors
     * are paused until its parent says GO. Call before the connector starts.
     */
    @Override
    public void pauseForTakeover()
    {
        pausedForTakeover = true;
        setAccepting(false);
    }

    /** @return {@code socketName}, else {@code port-<port>}, for a socket this process bound itself; null for an inherited one */
    @Override
    public String fdStoreName()
    {
        if (getInheritedSocket() != null || getAcceptFd() < 0)
            return null;
        return getSocketName() != null ? getSocketName() : "port-" + getLocalPort();
    }

    @Override
    public boolean isPausedForTakeover()
    {
        return pausedForTakeover;
    }

    /**
     * Starts accepting after {@link #pauseForTakeover()} (a replacement's connectors are paused until its parent says
     * GO). With selector accept, the paused acceptor's key was cancelled, and the JDK
     * refuses to register the channel again ({@code CancelledKeyException}) until a select has removed that key: so
     * first let every selector complete a select.
     */
    @Override
    public void resumeAccepting()
    {
        pausedForTakeover = false;
        if (getAcceptors() == 0 && isStarted())
        {
            awaitSelectorUpdates();
            awaitSelectorUpdates();
        }
        setAccepting(true);
    }

    private void awaitSelectorUpdates()
    {
        SelectorUpdates.await(getSelectorManager(), this);
    }

    /**
     * Accepts again after {@link #stopAccepting()}, on the same listening socket: a process whose replacement died
     * after taking over takes the socket back. With acceptor threads, the closed accept channel is replaced by one
     * adopted from the listener this connector kept; with selector accept, the selector accepts again.
     *
     * @throws IOException when the listener cannot be adopted again
     */
    @Override
    public void resumeAfterStopAccepting() throws IOException
    {
        if (getAcceptors() > 0)
        {
            int fd = keptFd;
            Os os = Os.current();
            if (fd < 0 || os == null)
                throw new IOException(this + ": no listener was kept to resume accepting on");
            FdDescription.SocketInfo info = os.describe(fd).socket();
            if (info == null)
                throw new IOException(this + ": the kept fd " + fd + " is no longer a socket");
            ChannelAdopter.Adopted adopted = ChannelAdopter.adopt(os, new InheritedSocket(fd, 0, null, info.family() == FdDescription.SocketInfo.AF_INET6, info.local()));
            adopted.channel().configureBlocking(true);
            ServerSocketChannel previous = reopened;
            reopened = adopted.channel();
            acceptFd = adopted.fd();
            keptFd = -1;
            os.close(fd);
            if (previous != null)
                previous.close();
            setAccepting(true);
            return;
        }
        // Selector accept: the channel stayed open; only the cancelled acceptor key is in the way, as after a pause.
        resumeAccepting();
    }

    @Override
    public boolean isOpen()
    {
        ServerSocketChannel channel = reopened;
        return channel != null ? channel.isOpen() : super.isOpen();
    }

    /**
     * @return after {@link #stopAccepting()}: true when every connection this connector accepted has become an endpoint
     * (so that stopping now closes no connection that has not been served)
     */
    @Override
    public boolean isAcceptSettled()
    {
        return acceptsInProgress.get() == 0 && acceptsPending.get() <= 0;
    }

    @Override
    public void accept(int acceptorID) throws IOException
    {
        acceptsInProgress.incrementAndGet();
        try
        {
            ServerSocketChannel channel = reopened;
            if (channel == null)
            {
                super.accept(acceptorID);
            }
            else if (channel.isOpen())
            {
                // What ServerConnector.accept does with its own channel (its accepted() is private).
                SocketChannel accepted = channel.accept();
                accepted.configureBlocking(false);
                configure(accepted.socket());
                getSelectorManager().accept(accepted);
            }
        }
        finally
        {
            acceptsInProgress.decrementAndGet();
        }
    }

    /** A connection moved here from another process ({@link EndPointTransfer#adopt}) reports its socket's real addresses. */
    @Override
    protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selectSet, SelectionKey key) throws IOException
    {
        SocketChannelEndPoint moved = EndPointTransfer.newEndPoint(channel, selectSet, key, getScheduler());
        if (moved == null)
            return super.newEndPoint(channel, selectSet, key);
        moved.setIdleTimeout(getIdleTimeout());
        return moved;
    }

    @Override
    protected void onEndPointClosed(EndPoint endpoint)
    {
        closedEndPoints.increment();
        super.onEndPointClosed(endpoint);
    }

    @Override
    public long closedConnections()
    {
        return closedEndPoints.sum();
    }

    @Override
    protected void onEndPointOpened(EndPoint endpoint)
    {
        acceptsPending.decrementAndGet();
        super.onEndPointOpened(endpoint);
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
        if (!pausedForTakeover && ReplacementTakeover.awaitingGo())
            pauseForTakeover();
        boolean paused = pausedForTakeover;
        super.doStart();
        if (paused)
        {
            // ServerConnector arms the selector acceptor unconditionally when acceptors == 0: keep the pause.
            if (getAcceptors() == 0)
                setAccepting(false);
        }
        else if (!isAccepting())
        {
            // Stopped after stopAccepting(): a new start accepts again (the acceptor is armed, so this only sets the flag).
            setAccepting(true);
        }
    }

    @Override
    protected void doStop() throws Exception
    {
        super.doStop();
        ServerSocketChannel channel = reopened;
        reopened = null;
        if (channel != null)
            channel.close();
        int fd = keptFd;
        keptFd = -1;
        if (fd >= 0 && Os.current() != null)
            Os.current().close(fd);
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
