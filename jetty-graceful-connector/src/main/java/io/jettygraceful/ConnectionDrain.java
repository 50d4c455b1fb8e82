package io.jettygraceful;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;

/**
 * The gentle first phase of every drain (after a handoff, and on a real stop): stop accepting without losing a
 * connection being accepted, answer every HTTP/1 request with {@code Connection: close} (through the
 * {@link DrainCustomizer}), send every HTTP/2 session a graceful GOAWAY ({@link Http2GoAway}, when HTTP/2 is on the
 * class path), close every WebSocket session with a close frame ({@link WebSocketClose}, when WebSocket core is on the
 * class path: 1012 spread over a window after a handoff, 1001 at once on a real stop), and wait until no connection is left, counting those accepted but not yet registered with
 * a selector. Whatever is left at the deadline is for Jetty's graceful stop.
 *
 * <p>Only the server's {@link HandedOverConnector}s ({@link InheritedServerConnector}, {@link InheritedUnixDomainConnector}) are drained this way; other connectors (a LocalConnector used
 * for warm-up, say) are left to the final graceful stop. This class closes no fd: stopping accepting closes each
 * connector's own accept dup, and {@link #resume} re-adopts the dup it kept (see
 * {@link InheritedServerConnector#stopAccepting()}).</p>
 */
final class ConnectionDrain
{
    private static final long POLL_MILLIS = 10;

    private final Server server;
    private final DrainCustomizer customizer;

    ConnectionDrain(Server server, DrainCustomizer customizer)
    {
        this.server = server;
        this.customizer = customizer;
    }

    /** @return the server's connectors whose sockets are handed over (TCP and Unix-domain), in the server's order */
    List<HandedOverConnector> connectors()
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
     * The drain of a real stop: until no connection is left or {@code deadlineNanos} ({@link System#nanoTime()});
     * WebSocket sessions are closed at once with 1001 (Going Away).
     */
    void closeGently(List<HandedOverConnector> connectors, long deadlineNanos)
    {
        closeGently(connectors, deadlineNanos, System.nanoTime(), () -> false, WebSocketClose.isAvailable() ? WebSocketClose.forStop() : null);
    }

    /**
     * The drain after a handoff: as {@link #closeGently(List, long)}, but WebSocket sessions are closed with 1012
     * (Service Restart) spread over {@code webSocketSpreadNanos}; goes on at least until {@code minimumNanos} (within
     * the deadline), and returns early, whatever is left, as soon as {@code abandon} says so (checked every 10 ms).
     *
     * @return true when {@code abandon} ended it
     */
    boolean closeGently(List<HandedOverConnector> connectors, long deadlineNanos, long minimumNanos, BooleanSupplier abandon, long webSocketSpreadNanos)
    {
        return closeGently(connectors, deadlineNanos, minimumNanos, abandon,
            WebSocketClose.isAvailable() ? WebSocketClose.forRestart(webSocketSpreadNanos) : null);
    }

    private boolean closeGently(List<HandedOverConnector> connectors, long deadlineNanos, long minimumNanos, BooleanSupplier abandon, WebSocketClose webSockets)
    {
        customizer.startDraining();
        for (HandedOverConnector connector : connectors)
            connector.stopAccepting();
        Http2GoAway http2 = Http2GoAway.isAvailable() ? new Http2GoAway() : null;
        try
        {
            while (true)
            {
                if (http2 != null)
                {
                    for (HandedOverConnector connector : connectors)
                        http2.sendTo(connector.getConnectedEndPoints());
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
     * Undoes {@link #closeGently}: the connectors accept again on the listeners they kept, and responses no longer
     * close their connections.
     *
     * @throws Exception from a connector that cannot accept again; the others may already have resumed
     */
    void resume(List<HandedOverConnector> connectors) throws Exception
    {
        for (HandedOverConnector connector : connectors)
            connector.resumeAfterStopAccepting();
        customizer.stopDraining();
    }

    /** @return connections open on the server's handed-over connectors */
    int openConnections()
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
