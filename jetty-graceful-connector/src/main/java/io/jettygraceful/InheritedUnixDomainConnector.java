package io.jettygraceful;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.jettygraceful.internal.handoff.ReplacementTakeover;
import io.jettygraceful.internal.inherit.ChannelAdopter;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.inherit.SelectorUpdates;
import io.jettygraceful.internal.inherit.SocketFile;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.IO;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.Name;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connector for a Unix-domain listening socket that is handed over on restart: it adopts an inherited Unix-domain
 * socket (a systemd {@code .socket} unit with {@code ListenStream=/run/app.sock}, or a jetty-graceful parent handing
 * off), and binds {@link #setUnixDomainPath(Path) its path} itself when none is inherited. Jetty's own
 * {@code UnixDomainServerConnector} cannot do either: it has no hook to open its channel, and it deletes the path
 * on every stop, which would take the path away from the replacement that serves on it.
 *
 * <p>Which socket: the first unclaimed inherited Unix-domain socket named {@link #setSocketName(String) socketName}
 * (LISTEN_FDNAMES), or, when no name is set, the first unclaimed one in fd order. With
 * {@link #setInheritRequired(boolean) inheritRequired}, finding none is a start error instead of binding.</p>
 *
 * <p>The socket file: binding first removes a stale socket file at the path (one nobody listens on, left by a killed
 * process), and refuses a path where a process listens or that is not a socket; then it applies
 * {@link #setSocketPermissions(String) socketPermissions}. The file is removed by a real stop of the process serving
 * it, only if this service bound it (never one systemd made) and the path still names the file bound (same device
 * and inode). A process that handed over never removes it; its replacement owns it from then on
 * ({@link HandoffProtocol#SOCKET_FILES}). See {@link SocketFile}.</p>
 *
 * <p>Ownership of fds as for {@link InheritedServerConnector}: each start takes a fresh dup of an inherited fd and
 * closes only that dup on stop. Connections are accepted in the selectors (no acceptor threads): stopping and resuming
 * accepting are registration changes on a channel that stays open, so no connection is ever lost between them.</p>
 */
@ManagedObject("Unix-domain connector that adopts an inherited listening socket (systemd socket activation or a jetty-graceful handoff)")
public class InheritedUnixDomainConnector extends AbstractConnector implements HandedOverConnector
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedUnixDomainConnector.class);
    /** sun_path is 108 bytes, with its terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private final SelectorManager selectorManager;
    private final AtomicReference<Closeable> acceptor = new AtomicReference<>();
    /** Connections handed to a selector that are not yet endpoints (or failed). */
    private final AtomicInteger acceptsPending = new AtomicInteger();
    private volatile Path unixDomainPath;
    private volatile String socketName;
    private volatile boolean inheritRequired;
    private volatile String socketPermissions;
    private volatile int acceptQueueSize;
    private volatile InheritedSocket inherited;
    private volatile ServerSocketChannel channel;
    private volatile int acceptFd = -1;
    /** The socket file this service owns (it bound it, here or in an earlier generation), or null. */
    private volatile SocketFile.Identity ownedFile;
    /** Whether this process serves the service: only then does a stop remove the socket file (see setServing). */
    private volatile boolean serving = true;
    private volatile boolean pausedForTakeover;

    public InheritedUnixDomainConnector(@Name("server") Server server)
    {
        this(server, -1);
    }

    public InheritedUnixDomainConnector(@Name("server") Server server, @Name("factories") ConnectionFactory... factories)
    {
        this(server, -1, factories);
    }

    /**
     * @param selectors the number of selector threads (which also accept), or -1 for Jetty's default
     */
    public InheritedUnixDomainConnector(@Name("server") Server server, @Name("selectors") int selectors, @Name("factories") ConnectionFactory... factories)
    {
        super(server, null, null, null, 0, factories.length > 0 ? factories : new ConnectionFactory[] {new HttpConnectionFactory()});
        selectorManager = new UnixDomainSelectorManager(selectors);
        installBean(selectorManager, true);
        selectorManager.addEventListener(new SelectorManager.AcceptListener()
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
        });
    }

    // ---- configuration -------------------------------------------------------------------------------------------

    /** @param path the socket's path, bound when no socket is inherited (at most 107 bytes) */
    public void setUnixDomainPath(Path path)
    {
        this.unixDomainPath = path;
    }

    /** For jetty.xml: {@link #setUnixDomainPath(Path)} from text. */
    public void setUnixDomainPathName(String path)
    {
        setUnixDomainPath(path == null || path.isBlank() ? null : Path.of(path));
    }

    /** @return the path served: the inherited socket's, or the configured one */
    @ManagedAttribute("The Unix-domain path this connector serves on")
    public Path getUnixDomainPath()
    {
        InheritedSocket socket = inherited;
        return socket != null && !socket.unixPath().startsWith("@") ? Path.of(socket.unixPath()) : unixDomainPath;
    }

    /** @param name the LISTEN_FDNAMES name of the socket to adopt, or {@code null} (default) for the next in fd order */
    public void setSocketName(String name)
    {
        this.socketName = name == null || name.isBlank() ? null : name;
    }

    @ManagedAttribute("LISTEN_FDNAMES name of the socket to adopt, null for the next in fd order")
    public String getSocketName()
    {
        return socketName;
    }

    /** @param required true to fail the start when no matching socket was inherited, instead of binding; default false */
    public void setInheritRequired(boolean required)
    {
        this.inheritRequired = required;
    }

    @ManagedAttribute("Whether starting without an inherited socket is an error")
    public boolean isInheritRequired()
    {
        return inheritRequired;
    }

    /**
     * @param permissions the permissions a socket file bound here gets, e.g. {@code rw-rw----} (owner and group may
     *                    connect); {@code null} (default) leaves what the umask gave. An inherited socket's file is
     *                    left as it is (systemd's {@code SocketMode=}).
     * @throws IllegalArgumentException when not of the form {@code rwxrwxrwx}
     */
    public void setSocketPermissions(String permissions)
    {
        if (permissions != null && !permissions.isBlank())
            SocketFile.parsePermissions(permissions);
        this.socketPermissions = permissions == null || permissions.isBlank() ? null : permissions;
    }

    @ManagedAttribute("Permissions of a socket file bound here (rwxrwxrwx), null for the umask's")
    public String getSocketPermissions()
    {
        return socketPermissions;
    }

    /** @param size the listen backlog when binding; 0 (default) for the JDK's */
    public void setAcceptQueueSize(int size)
    {
        this.acceptQueueSize = size;
    }

    @ManagedAttribute("Listen backlog when binding")
    public int getAcceptQueueSize()
    {
        return acceptQueueSize;
    }

    // ---- state ---------------------------------------------------------------------------------------------------

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

    @Override
    @ManagedAttribute("The fd of the open listening socket, -1 when closed")
    public int getAcceptFd()
    {
        ServerSocketChannel open = channel;
        return open != null && open.isOpen() ? acceptFd : -1;
    }

    @Override
    public String getHandoffName()
    {
        InheritedSocket socket = inherited;
        return socketName != null ? socketName : socket != null ? socket.name() : null;
    }

    @Override
    @ManagedAttribute("Identity (device,inode) of the socket file this service owns and removes on a real stop, null when none")
    public String getOwnedSocketFile()
    {
        SocketFile.Identity file = ownedFile;
        return file == null ? null : file.format();
    }

    @Override
    public Object getTransport()
    {
        return channel;
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------------

    @Override
    protected void doStart() throws Exception
    {
        if (!pausedForTakeover && ReplacementTakeover.awaitingGo())
            pauseForTakeover();
        boolean paused = pausedForTakeover;
        channel = openChannel();
        channel.configureBlocking(false);
        super.doStart();
        if (paused)
            super.setAccepting(false);
        else
            setAccepting(true);
    }

    private ServerSocketChannel openChannel() throws IOException
    {
        InheritedSockets registry = InheritedSockets.get();
        if (inherited == null)
        {
            inherited = registry.claim(socketName, true).orElse(null);
            if (inherited != null)
                ownedFile = SocketFile.Identity.parse(registry.ownedSocketFile(inherited));
        }
        Os os = Os.current();
        if (inherited != null)
        {
            if (unixDomainPath != null && !unixDomainPath.toString().equals(inherited.unixPath()))
                LOG.warn("{}: configured path {} differs from the inherited socket's {}; serving on the inherited socket", this, unixDomainPath, inherited.describe());
            if (os == null)
                throw new InheritedSocketException(this + ": cannot adopt " + inherited.describe() + ": " + Os.unsupportedReason());
            ChannelAdopter.Adopted adopted = ChannelAdopter.adopt(os, inherited);
            acceptFd = adopted.fd();
            return adopted.channel();
        }

        String wanted = socketName == null ? "no inherited Unix-domain socket" : "no inherited Unix-domain socket named '" + socketName + "'";
        if (inheritRequired)
            throw new InheritedSocketException(this + ": " + wanted + " (inherited: " + registry.sockets().stream().map(InheritedSocket::describe).toList() +
                (registry.ignoredReason() != null ? "; " + registry.ignoredReason() : "") +
                ") and inheritRequired is set. Fix: start this JVM with the socket passed (a systemd .socket unit with ListenStream=/path, " +
                "systemd-socket-activate -l /path, a jetty-graceful restart), or unset inheritRequired to bind " + unixDomainPath + ".");
        Path path = unixDomainPath;
        if (path == null)
            throw new IllegalArgumentException(this + ": " + wanted + " and no path to bind. Fix: set unixDomainPath (jetty.graceful.unix.path).");
        if (path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PATH_BYTES)
            throw new IllegalArgumentException(this + ": the path " + path + " is longer than the " + MAX_PATH_BYTES + " bytes a Unix-domain socket address holds. Fix: choose a shorter path.");
        if (registry.source() != InheritedSockets.Source.NONE)
            LOG.warn("{}: {} is left for this connector; binding {} itself", this, wanted, path);
        SocketFile.prepareToBind(path);
        ServerSocketChannel bound = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            bound.bind(UnixDomainSocketAddress.of(path), acceptQueueSize);
            ownedFile = SocketFile.Identity.of(path);
            if (socketPermissions != null)
                SocketFile.setPermissions(path, socketPermissions);
            acceptFd = os == null ? -1 : ChannelAdopter.fdOf(os, bound);
        }
        catch (IOException | RuntimeException x)
        {
            IO.close(bound);
            throw x instanceof IOException io && io.getMessage() != null && io.getMessage().contains(path.toString()) ? io
                : new IOException("cannot bind the Unix-domain socket " + path + ": " + x.getMessage(), x);
        }
        return bound;
    }

    @Override
    protected void doStop() throws Exception
    {
        Closeable registered = acceptor.getAndSet(null);
        IO.close(registered);
        super.doStop();
        ServerSocketChannel open = channel;
        channel = null;
        IO.close(open);
        acceptFd = -1;
        SocketFile.Identity file = ownedFile;
        Path path = getUnixDomainPath();
        if (serving && file != null && path != null && SocketFile.removeIfStill(path, file))
        {
            LOG.info("{}: removed the socket file {}", this, path);
            ownedFile = null;
            // The inherited fd still listens, but nothing can reach it any more: a later start binds the path again.
            inherited = null;
        }
    }

    @Override
    public void setAccepting(boolean accepting)
    {
        super.setAccepting(accepting);
        ServerSocketChannel open = channel;
        if (!isStarted() && !isStarting() || open == null)
            return;
        if (accepting)
        {
            if (acceptor.get() == null)
            {
                Closeable registered = selectorManager.acceptor(open);
                if (!acceptor.compareAndSet(null, registered))
                    IO.close(registered);
            }
        }
        else
        {
            Closeable registered = acceptor.getAndSet(null);
            IO.close(registered);
        }
    }

    @Override
    protected void accept(int acceptorID)
    {
        throw new UnsupportedOperationException("InheritedUnixDomainConnector accepts in its selectors");
    }

    // ---- handoff and drain -------------------------------------------------------------------------------------------

    @Override
    public void setServing(boolean serving)
    {
        this.serving = serving;
    }

    @ManagedAttribute("Whether this process serves the service (a stop then removes the socket file this service owns)")
    public boolean isServing()
    {
        return serving;
    }

    @Override
    public void pauseForTakeover()
    {
        serving = false;
        pausedForTakeover = true;
        super.setAccepting(false);
    }

    @Override
    public boolean isPausedForTakeover()
    {
        return pausedForTakeover;
    }

    /**
     * Starts accepting after a pause or {@link #stopAccepting()}: the cancelled key of the last registration must
     * first be removed by a select before the channel can be registered again, so every selector completes one.
     */
    @Override
    public void resumeAccepting()
    {
        pausedForTakeover = false;
        if (isStarted())
        {
            SelectorUpdates.await(selectorManager, this);
            SelectorUpdates.await(selectorManager, this);
        }
        setAccepting(true);
    }

    /** Cancels the selector registration and waits until it is gone; the channel stays open. */
    @Override
    public void stopAccepting()
    {
        setAccepting(false);
        SelectorUpdates.await(selectorManager, this);
    }

    @Override
    public boolean isAcceptSettled()
    {
        return acceptsPending.get() <= 0;
    }

    /** The channel stayed open: only the registration comes back. */
    @Override
    public void resumeAfterStopAccepting()
    {
        resumeAccepting();
    }

    @Override
    protected void onEndPointOpened(EndPoint endpoint)
    {
        acceptsPending.decrementAndGet();
        super.onEndPointOpened(endpoint);
    }

    @Override
    public String toString()
    {
        InheritedSocket socket = inherited;
        return String.format("%s@%h[%s]", getClass().getSimpleName(), hashCode(),
            socket != null ? "inherited " + socket.describe() : "unix:" + unixDomainPath);
    }

    private final class UnixDomainSelectorManager extends SelectorManager
    {
        UnixDomainSelectorManager(int selectors)
        {
            super(InheritedUnixDomainConnector.this.getExecutor(), InheritedUnixDomainConnector.this.getScheduler(), selectors);
        }

        @Override
        protected void accepted(SelectableChannel accepted) throws IOException
        {
            SocketChannel socket = (SocketChannel)accepted;
            socket.configureBlocking(false);
            // No TCP_NODELAY nor SO_REUSEADDR on a Unix-domain socket; buffers as the kernel sizes them.
            accept(socket);
        }

        @Override
        protected EndPoint newEndPoint(SelectableChannel accepted, ManagedSelector selector, SelectionKey key)
        {
            SocketChannelEndPoint endPoint = new SocketChannelEndPoint((SocketChannel)accepted, selector, key, getScheduler());
            endPoint.setIdleTimeout(getIdleTimeout());
            return endPoint;
        }

        @Override
        public Connection newConnection(SelectableChannel accepted, EndPoint endPoint, Object attachment)
        {
            return getDefaultConnectionFactory().newConnection(InheritedUnixDomainConnector.this, endPoint);
        }

        @Override
        protected void endPointOpened(EndPoint endPoint)
        {
            super.endPointOpened(endPoint);
            onEndPointOpened(endPoint);
        }

        @Override
        protected void endPointClosed(EndPoint endPoint)
        {
            onEndPointClosed(endPoint);
            super.endPointClosed(endPoint);
        }
    }
}
