package io.jettygraceful.internal.inherit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that reaches into Jetty's selector and endpoint internals to move an established HTTP/1.1 connection
 * from one process to another without closing its socket (see {@link io.jettygraceful.internal.protocol.HandoffProtocol}, "Moving connections").
 * {@code EndPointTransferTest} fails when a Jetty upgrade changes what this relies on.
 *
 * <p>Jetty has no API to take an endpoint out of its selector alive: cancelling its key makes the endpoint's next key
 * update close it, {@code ManagedSelector} closes the attachment of an invalid selected key, and closing a connected
 * {@link SocketChannel} that is still registered with a selector calls {@code shutdown(SHUT_WR)} on the socket itself
 * (JDK 17 and 25), which the client would see as a FIN although another process holds the socket. So
 * {@link #detach} runs on each selector's own thread: it takes only connections that are idle there and then (see
 * {@link #isIdleHttp1}, its key interested in reads alone and not selected by the last select, whose fill task may
 * not have run yet), removes the endpoint from its key and cancels the key, and then waits until the selector has
 * completed a select, which deregisters the channel. From then on closing the channel is a plain {@code close(2)} of
 * this process's reference.</p>
 *
 * <p>{@link #adopt} turns a connected channel (this process's own reference to a moved socket) into a new endpoint and
 * HTTP/1.1 connection of a connector, as if the connector had accepted it, reporting the socket's real addresses
 * (a channel made from a placeholder caches the placeholder's).</p>
 */
public final class EndPointTransfer
{
    private static final Logger LOG = LoggerFactory.getLogger(EndPointTransfer.class);
    private static final long SELECTOR_WAIT_SECONDS = 5;

    /** The real addresses of channels handed to {@link #adopt}, until the connector makes their endpoints. */
    private static final Map<SocketChannel, Addresses> ADOPTING = new ConcurrentHashMap<>();

    private EndPointTransfer()
    {
    }

    /** The addresses a moved socket really has. */
    public record Addresses(InetSocketAddress local, InetSocketAddress remote)
    {
    }

    /** An endpoint taken out of its selector: its channel is open, deregistered, and no longer read by Jetty. */
    public record Detached(SocketChannelEndPoint endPoint, SocketChannel channel, Addresses addresses)
    {
    }

    /**
     * @return whether {@code connector} can take moved connections, and give its own: a plain HTTP/1.1 connector (its
     * default connection factory is {@link HttpConnectionFactory}; no TLS, no PROXY protocol in front)
     */
    public static boolean movesConnections(ServerConnector connector)
    {
        ConnectionFactory first = connector.getDefaultConnectionFactory();
        return first instanceof HttpConnectionFactory && connector.getConnectionFactory(SslConnectionFactory.class) == null;
    }

    /**
     * @return whether {@code connection} is Jetty's HTTP/1 connection (plain, or the one inside TLS) between two
     * requests: none in progress and nothing buffered unread, so closing it loses nothing (the drain's idle close)
     */
    public static boolean isHttp1BetweenRequests(Connection connection)
    {
        return connection instanceof HttpConnection http && http.getHttpChannel().getRequest() == null && http.isRequestBufferEmpty();
    }

    /**
     * @return whether {@code endPoint} carries a plain HTTP/1.1 connection with nothing in progress: no request, the
     * parser at the start of the next one (nothing of a half-sent request parsed), nothing buffered unread, no
     * response being generated or written, and waiting for the next bytes (fill interest). Not TLS (the connection
     * would be an {@code SslConnection}), not upgraded (WebSocket, h2c: another connection type), not behind the PROXY
     * protocol (the HTTP connection would sit on a {@code ProxyEndPoint}).
     */
    public static boolean isIdleHttp1(EndPoint endPoint)
    {
        if (!(endPoint instanceof SocketChannelEndPoint) || !endPoint.isOpen() || endPoint.isInputShutdown() || endPoint.isOutputShutdown())
            return false;
        Connection connection = endPoint.getConnection();
        return connection instanceof HttpConnection http && http.getEndPoint() == endPoint &&
            http.getHttpChannel().getRequest() == null && http.isRequestBufferEmpty() &&
            http.getParser().isStart() && http.getGenerator().isIdle() &&
            !((SocketChannelEndPoint)endPoint).getWriteFlusher().isPending() && endPoint.isFillInterested();
    }

    /**
     * Takes up to {@code max} of {@code candidates} out of {@code connector}'s selectors, each on its selector's thread
     * and only when it is idle there ({@link #isIdleHttp1}, and its key waits for reads only), then waits until every
     * selector has deregistered them. The endpoints taken are no longer read, written, timed out or counted by Jetty
     * until {@link #release}d; the others are left as they were.
     *
     * @return the detached endpoints; each channel is open and owned by the caller, who must {@link #release} it
     */
    public static List<Detached> detach(ServerConnector connector, Collection<EndPoint> candidates, int max)
    {
        Set<EndPoint> wanted = Set.copyOf(candidates);
        List<Detached> taken = new ArrayList<>();
        List<ManagedSelector> selectors = List.copyOf(connector.getSelectorManager().getBeans(ManagedSelector.class));
        CountDownLatch done = new CountDownLatch(selectors.size());
        for (ManagedSelector managed : selectors)
        {
            managed.submit(selector ->
            {
                try
                {
                    for (SelectionKey key : selector.keys())
                    {
                        if (!(key.attachment() instanceof SocketChannelEndPoint endPoint) || !wanted.contains(endPoint))
                            continue;
                        // A key in the selected set was selected by the last select, and its fill task may be about to
                        // read (its interest ops are only updated after this update runs): not idle.
                        if (!key.isValid() || key.interestOps() != SelectionKey.OP_READ || selector.selectedKeys().contains(key) ||
                            !isIdleHttp1(endPoint))
                            continue;
                        synchronized (taken)
                        {
                            if (taken.size() >= max)
                                break;
                            Addresses addresses = addressesOf(endPoint);
                            if (addresses == null)
                                continue;
                            // No idle timeout may close it while it is detached: a close before the deregistration below
                            // would shut the socket's output down.
                            endPoint.setIdleTimeout(0);
                            key.attach(null);
                            key.cancel();
                            taken.add(new Detached(endPoint, endPoint.getChannel(), addresses));
                        }
                    }
                }
                finally
                {
                    done.countDown();
                }
            });
        }
        await(done, connector);
        if (taken.isEmpty())
            return List.of();
        // The next update each selector runs comes after a select, which deregistered the cancelled keys.
        SelectorUpdates.await(connector.getSelectorManager(), connector);
        for (Detached detached : taken)
        {
            if (detached.channel().isRegistered())
            {
                SelectorUpdates.await(connector.getSelectorManager(), connector);
                break;
            }
        }
        synchronized (taken)
        {
            return List.copyOf(taken);
        }
    }

    /**
     * Ends this process's part in a detached connection: closes its channel (a plain {@code close(2)} of this process's
     * reference, as the channel is deregistered: the socket itself stays open wherever else it is referenced), then
     * closes the endpoint so that Jetty releases the connection (the connector forgets it, buffers go back to the pool).
     * A channel still registered is not closed (that would shut the socket down): its endpoint is left to Jetty.
     */
    public static void release(Detached detached)
    {
        if (detached.channel().isRegistered())
        {
            LOG.warn("{} is still registered with a selector: not closing it here", detached.endPoint());
            return;
        }
        try
        {
            detached.channel().close();
        }
        catch (IOException x)
        {
            LOG.debug("closing the moved channel of {}", detached.endPoint(), x);
        }
        detached.endPoint().close();
    }

    /**
     * Makes {@code channel}, a connected socket of this process, a new connection of {@code connector}, as if it had
     * accepted it: registered with one of its selectors, with a {@link SocketChannelEndPoint} that reports
     * {@code addresses} and the connector's idle timeout, and the connector's default connection (HTTP/1.1). The
     * connector then owns the channel and closes it as it closes any connection.
     */
    public static void adopt(ServerConnector connector, SocketChannel channel, Addresses addresses) throws IOException
    {
        channel.configureBlocking(false);
        ADOPTING.put(channel, addresses);
        try
        {
            connector.getSelectorManager().accept(channel);
        }
        catch (RuntimeException x)
        {
            ADOPTING.remove(channel);
            throw x;
        }
    }

    /**
     * The connector's endpoint factory for a channel being {@link #adopt}ed; {@code null} for any other channel (the
     * connector then makes its usual endpoint).
     */
    public static SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler)
    {
        Addresses addresses = ADOPTING.remove(channel);
        if (addresses == null)
            return null;
        return new MovedEndPoint(channel, selector, key, scheduler, addresses);
    }

    /** @return the real addresses of {@code endPoint}'s socket, or null when it has none (closed meanwhile) */
    static Addresses addressesOf(EndPoint endPoint)
    {
        SocketAddress local = endPoint.getLocalSocketAddress();
        SocketAddress remote = endPoint.getRemoteSocketAddress();
        if (local instanceof InetSocketAddress l && remote instanceof InetSocketAddress r)
            return new Addresses(l, r);
        return null;
    }

    private static void await(CountDownLatch latch, Object owner)
    {
        try
        {
            if (!latch.await(SELECTOR_WAIT_SECONDS, TimeUnit.SECONDS))
                LOG.warn("{}: selectors did not run an update within {} s", owner, SELECTOR_WAIT_SECONDS);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** An endpoint on a moved socket: its channel was made from a placeholder, so it reports the addresses it was given. */
    private static final class MovedEndPoint extends SocketChannelEndPoint
    {
        private final Addresses addresses;

        MovedEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler, Addresses addresses)
        {
            super(channel, selector, key, scheduler);
            this.addresses = addresses;
        }

        @Override
        public SocketAddress getLocalSocketAddress()
        {
            return addresses.local();
        }

        @Override
        public SocketAddress getRemoteSocketAddress()
        {
            return addresses.remote();
        }
    }
}
