package io.jettygraceful.internal.drain;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import io.jettygraceful.internal.inherit.EndPointTransfer;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;

/**
 * The overlap of a handover ({@link #overlap}), and the gentle first phase of every drain (after a handoff, and on a real stop): stop accepting without losing a
 * connection being accepted, answer every HTTP/1 request with {@code Connection: close} (through the
 * {@link DrainCustomizer}), send every HTTP/2 session a graceful GOAWAY ({@link Http2GoAway}, when HTTP/2 is on the
 * class path), close every WebSocket session with a close frame ({@link WebSocketClose}, when WebSocket core is on the
 * class path: 1012 spread over a window after a handoff, 1001 at once on a real stop), and wait until no connection is left, counting those accepted but not yet registered with
 * a selector. Whatever is left at the deadline is for Jetty's graceful stop.
 *
 * <p>Only the server's {@link HandedOverConnector}s ({@link io.jettygraceful.InheritedServerConnector}, {@link io.jettygraceful.InheritedUnixDomainConnector}) are drained this way; other connectors (a LocalConnector used
 * for warm-up, say) are left to the final graceful stop. This class closes no fd: stopping accepting closes each
 * connector's own accept dup, and {@link #resume} re-adopts the dup it kept (see
 * {@link io.jettygraceful.InheritedServerConnector#stopAccepting()}).</p>
 */
public final class ConnectionDrain
{
    private static final long POLL_MILLIS = 10;
    /**
     * How long an HTTP/1 connection must have been idle (no request in progress, nothing unread, no traffic) before a
     * drain closes it: a keep-alive client that sends nothing has no response to carry {@code Connection: close}, and
     * would otherwise keep the drained process up until the drain timeout. Closing it is what Jetty's idle timeout
     * does, and it races with the client: one that writes a request at that very moment sees its reused connection
     * closed before any byte of a response (HTTP clients retry an idempotent request then; a request is never lost
     * after Jetty has read it, as only a connection with no request and nothing unread is closed). The longer the
     * connection has been silent, the less likely that is: with 100 ms, a busy machine's scheduling stalls of load
     * clients were seen to lose that race (2 in 117,000 requests), so a full second. The overlap closes no idle
     * connection: they carry no load, and the drain that follows closes them.
     */
    public static final long IDLE_CLOSE_MILLIS = 1000;

    private final Server server;
    private final DrainCustomizer customizer;
    /** HTTP/2 sessions told to go away since the handover began (overlap and drain), or null. */
    private Http2GoAway http2;
    /** During a handover that moves connections: moves the idle ones at every round of the overlap and the drain. */
    private volatile ConnectionMover mover;
    /** How long into the drain after a handoff connections that move are spared {@code Connection: close}. */
    private volatile long moveGraceNanos;

    public ConnectionDrain(Server server, DrainCustomizer customizer)
    {
        this.server = server;
        this.customizer = customizer;
    }

    /** @return the server's connectors whose sockets are handed over (TCP and Unix-domain), in the server's order */
    public List<HandedOverConnector> connectors()
    {
        List<HandedOverConnector> result = new ArrayList<>();
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof HandedOverConnector handedOver)
                result.add(handedOver);
        }
        return result;
    }

    /**
     * The overlap after a handoff: both processes accept; this one moves its connections to the replacement one by one,
     * each at its own moment within {@code windowNanos} ({@link DrainCustomizer#share}): an idle plain HTTP/1.1
     * connection with its socket (when a {@link ConnectionMover} is set, at its first idle moment after that moment), any
     * other HTTP/1 connection by {@code Connection: close} on its first response after that moment; an HTTP/2 session by
     * a graceful GOAWAY. Accepting is left on: new connections go
     * to either process, and the kernel's accept queue, shared by both, loses none. Returns at the end of the window,
     * or early when {@code cutShort} says so (a real stop), or when {@code abandon} says so (the replacement died),
     * after undoing the gradual move; both checked every 10 ms. The drain ({@link #closeGently}) follows.
     *
     * @return true when {@code abandon} ended it
     */
    public boolean overlap(List<HandedOverConnector> connectors, long windowNanos, BooleanSupplier cutShort, BooleanSupplier abandon)
    {
        long start = System.nanoTime();
        customizer.startSpreading(start, windowNanos, mover != null);
        http2 = Http2GoAway.isAvailable() ? new Http2GoAway() : null;
        try
        {
            while (System.nanoTime() - start - windowNanos < 0 && !cutShort.getAsBoolean())
            {
                long now = System.nanoTime();
                for (HandedOverConnector connector : connectors)
                {
                    if (http2 != null)
                        http2.sendTo(connector.getConnectedEndPoints(), connection -> customizer.isDue(connection, now));
                }
                if (abandon.getAsBoolean())
                {
                    customizer.stopSpreading();
                    http2 = null;
                    return true;
                }
                ConnectionMover current = mover;
                if (current != null && current.isMoving())
                    current.moveIdle(endPoint -> customizer.isDue(endPoint.getConnection(), now));
                Thread.sleep(POLL_MILLIS);
            }
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /**
     * From now on, until set to null, the overlap and the drain after a handoff move idle plain HTTP/1.1 connections to
     * the replacement with {@code mover} (before the drain would close them), and the overlap no longer closes HTTP/1
     * connections of connectors that move them (see {@link DrainCustomizer#startSpreading}).
     */
    public void moveConnectionsWith(ConnectionMover mover)
    {
        moveConnectionsWith(mover, 0);
    }

    /**
     * As {@link #moveConnectionsWith(ConnectionMover)}; the drain after the handoff spares those connectors' HTTP/1
     * connections {@code Connection: close} for its first {@code graceNanos} too, so that a connection busy all through
     * the overlap still gets idle moments to move at before it is closed.
     */
    public void moveConnectionsWith(ConnectionMover mover, long graceNanos)
    {
        this.moveGraceNanos = graceNanos;
        this.mover = mover;
    }

    private void moveIdle()
    {
        ConnectionMover current = mover;
        if (current != null && current.isMoving())
            current.moveIdle();
    }

    /**
     * Closes the HTTP/1 connections of {@code connector} that are idle: no request in progress, nothing buffered
     * unread, no traffic for {@link #IDLE_CLOSE_MILLIS}.
     *
     * @return how many were closed
     */
    public static int closeIdle(HandedOverConnector connector)
    {
        int closed = 0;
        for (EndPoint endPoint : connector.getConnectedEndPoints())
        {
            Connection connection = endPoint.getConnection();
            if (connection instanceof SslConnection tls)
                connection = tls.getSslEndPoint().getConnection();
            if (EndPointTransfer.isHttp1BetweenRequests(connection) &&
                endPoint instanceof IdleTimeout idle && idle.getIdleFor() >= IDLE_CLOSE_MILLIS)
            {
                connection.getEndPoint().close();
                closed++;
            }
        }
        return closed;
    }

    /**
     * The drain of a real stop: until no connection is left or {@code deadlineNanos} ({@link System#nanoTime()});
     * WebSocket sessions are closed at once with 1001 (Going Away).
     */
    public void closeGently(List<HandedOverConnector> connectors, long deadlineNanos)
    {
        customizer.startDraining();
        stopAccepting(connectors);
        closeGently(connectors, deadlineNanos, System.nanoTime(), () -> false, WebSocketClose.isAvailable() ? WebSocketClose.forStop() : null);
    }

    /**
     * The drain after a handoff, once the connectors have stopped accepting ({@link #stopAccepting}, at the end of
     * the overlap): as {@link #closeGently(List, long)}, but WebSocket sessions are closed with 1012
     * (Service Restart) spread over {@code webSocketSpreadNanos}; goes on at least until {@code minimumNanos} (within
     * the deadline), and returns early, whatever is left, as soon as {@code abandon} says so (checked every 10 ms).
     *
     * @return true when {@code abandon} ended it
     */
    public boolean closeGently(List<HandedOverConnector> connectors, long deadlineNanos, long minimumNanos, BooleanSupplier abandon, long webSocketSpreadNanos)
    {
        if (mover != null && mover.isMoving())
            customizer.startDraining(System.nanoTime() + moveGraceNanos);
        else
            customizer.startDraining();
        return closeGently(connectors, deadlineNanos, minimumNanos, abandon,
            WebSocketClose.isAvailable() ? WebSocketClose.forRestart(webSocketSpreadNanos) : null);
    }

    private boolean closeGently(List<HandedOverConnector> connectors, long deadlineNanos, long minimumNanos, BooleanSupplier abandon, WebSocketClose webSockets)
    {
        if (http2 == null && Http2GoAway.isAvailable())
            http2 = new Http2GoAway();
        try
        {
            while (true)
            {
                moveIdle();
                for (HandedOverConnector connector : connectors)
                {
                    if (http2 != null)
                        http2.sendTo(connector.getConnectedEndPoints());
                    closeIdle(connector);
                }
                if (webSockets != null)
                {
                    for (HandedOverConnector connector : connectors)
                        webSockets.closeDue(connector.getConnectedEndPoints());
                }
                if (!((openConnections() > 0 || !acceptSettled(connectors) || System.nanoTime() - minimumNanos < 0) && System.nanoTime() - deadlineNanos < 0))
                    break;
                if (abandon.getAsBoolean())
                    return true;
                Thread.sleep(POLL_MILLIS);
            }
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /**
     * The listeners stop accepting: new connections then reach the replacement alone (after a handoff) or wait in the
     * backlog (a real stop). Each connector keeps its listener, so that {@link #resume} can accept again.
     */
    public void stopAccepting(List<HandedOverConnector> connectors)
    {
        for (HandedOverConnector connector : connectors)
            connector.stopAccepting();
    }

    /**
     * Undoes {@link #closeGently}: the connectors accept again on the listeners they kept, and responses no longer
     * close their connections.
     *
     * @throws Exception from a connector that cannot accept again; the others may already have resumed
     */
    public void resume(List<HandedOverConnector> connectors) throws Exception
    {
        for (HandedOverConnector connector : connectors)
            connector.resumeAfterStopAccepting();
        customizer.stopDraining();
        http2 = null;
    }

    /** @return connections open on the server's handed-over connectors */
    public int openConnections()
    {
        int count = 0;
        for (HandedOverConnector connector : connectors())
            count += connector.getConnectedEndPoints().size();
        return count;
    }

    private static boolean acceptSettled(List<HandedOverConnector> connectors)
    {
        return connectors.stream().allMatch(HandedOverConnector::isAcceptSettled);
    }
}
