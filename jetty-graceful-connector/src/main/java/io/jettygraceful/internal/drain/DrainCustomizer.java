package io.jettygraceful.internal.drain;

import java.util.concurrent.atomic.LongAdder;

import io.jettygraceful.internal.inherit.EndPointTransfer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Counts the requests in flight, and while a replaced process drains, answers every HTTP/1 request with
 * {@code Connection: close}, decided when the
 * request arrives, so a keep-alive client learns in the response itself that it must reconnect (and its next
 * connection goes to the replacement).
 *
 * <p>Why not Jetty's own graceful shutdown alone: it marks the connector shut down at one instant, and a response
 * whose headers were already generated without {@code Connection: close} then has its output shut down when it
 * completes. A client that read that complete, keep-alive response and wrote its next request in the meantime sees
 * the connection close with no response: measured at about one request in two restarts under keep-alive load. With
 * this customizer the drain closes HTTP/1 connections only through responses that say so.</p>
 *
 * <p>Before the drain, during the handover's overlap ({@link #startSpreading}), connections are moved over one by
 * one instead of all at once: each connection has its own moment in the spread window ({@link #share}, evenly
 * distributed over connections), and the first response it sends after that moment carries {@code Connection:
 * close}. Its client's next connection is accepted by either process (both accept during the overlap); one accepted
 * here later in the window is moved on its first response after its own moment. So the replacement gets the
 * connections at an even rate over the window, whatever their request rates, rather than every keep-alive client
 * reconnecting to a cold JVM in the same instant.</p>
 */
public final class DrainCustomizer implements HttpConfiguration.Customizer
{
    private volatile boolean draining;
    private volatile boolean spreading;
    private volatile long spreadStartNanos;
    private volatile long spreadNanos;
    private volatile boolean spareMovable;
    private volatile long spareMovableUntilNanos;
    private final LongAdder movedDuringSpread = new LongAdder();
    private final LongAdder requestsDuringDrain = new LongAdder();
    private final LongAdder inFlight = new LongAdder();

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders)
    {
        inFlight.increment();
        Request.addCompletionListener(request, failure -> inFlight.decrement());
        if (draining)
        {
            requestsDuringDrain.increment();
            if (!(spareMovable && System.nanoTime() - spareMovableUntilNanos < 0 && isMovable(request)))
                closeAfterResponse(request, responseHeaders);
        }
        else if (spreading && !(spareMovable && isMovable(request)) && isDue(request.getConnectionMetaData().getConnection(), System.nanoTime()) &&
            closeAfterResponse(request, responseHeaders))
        {
            movedDuringSpread.increment();
        }
        return request;
    }

    /** @return whether {@code request} came on a connector whose idle connections are moved rather than closed */
    private static boolean isMovable(Request request)
    {
        return request.getConnectionMetaData().getConnector() instanceof org.eclipse.jetty.server.ServerConnector connector &&
            EndPointTransfer.movesConnections(connector);
    }

    private static boolean closeAfterResponse(Request request, HttpFields.Mutable responseHeaders)
    {
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0)
            return false;
        responseHeaders.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        return true;
    }

    /**
     * Starts the overlap's gradual move: from {@code startNanos} ({@link System#nanoTime()}) on, each connection's
     * responses carry {@code Connection: close} once its own moment within {@code windowNanos} has come.
     */
    public void startSpreading(long startNanos, long windowNanos)
    {
        startSpreading(startNanos, windowNanos, false);
    }

    /**
     * As {@link #startSpreading(long, long)}; with {@code spareMovable}, HTTP/1 connections of connectors whose
     * connections are moved to the replacement ({@link EndPointTransfer#movesConnections}) are not closed: they move at
     * an idle moment instead, sockets open.
     */
    public void startSpreading(long startNanos, long windowNanos, boolean spareMovable)
    {
        spreadStartNanos = startNanos;
        spreadNanos = windowNanos;
        this.spareMovable = spareMovable;
        spreading = true;
    }

    /** Ends the gradual move without draining: the replacement died during the overlap, this process serves on. */
    public void stopSpreading()
    {
        spreading = false;
    }

    /** @return during the overlap, whether {@code connection}'s moment to move has come at {@code nowNanos} */
    boolean isDue(Object connection, long nowNanos)
    {
        return nowNanos - spreadStartNanos >= (long)(share(connection) * spreadNanos);
    }

    /**
     * @return where in the spread window (0 inclusive to 1 exclusive) {@code connection} moves: its identity hash,
     * mixed (the finalizer of MurmurHash3) so that connections created one after another spread evenly
     */
    public static double share(Object connection)
    {
        int h = System.identityHashCode(connection);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return (h >>> 8) / (double)(1 << 24);
    }

    public void startDraining()
    {
        spreading = false;
        spareMovable = false;
        draining = true;
    }

    /**
     * As {@link #startDraining()}, but until {@code spareUntilNanos} ({@link System#nanoTime()}) HTTP/1 connections of
     * connectors whose connections are moved to the replacement get no {@code Connection: close}: they still move at
     * their next idle moment, sockets open. After that, every response closes its connection as in any drain.
     */
    public void startDraining(long spareUntilNanos)
    {
        spreading = false;
        spareMovableUntilNanos = spareUntilNanos;
        spareMovable = true;
        draining = true;
    }

    /** For a server started again after a stop that drained. */
    public void stopDraining()
    {
        spreading = false;
        spareMovable = false;
        draining = false;
    }

    /** @return responses that carried {@code Connection: close} during the overlap's gradual move */
    public long movedDuringSpread()
    {
        return movedDuringSpread.sum();
    }

    /** @return requests received and not yet completed */
    public long inFlight()
    {
        return inFlight.sum();
    }

    /** @return requests that arrived since the drain began */
    public long requestsDuringDrain()
    {
        return requestsDuringDrain.sum();
    }
}
