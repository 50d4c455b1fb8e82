package io.jettygraceful.internal.drain;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.WebSocketConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket part of a drain. A WebSocket connection has no {@code Connection: close} and never ends by itself: it
 * would stay with the draining process until the drain timeout and then die without a close frame (clients see 1006
 * and all reconnect at once). Instead each WebSocket session on the drained connectors is closed by the server with a
 * close frame: after a restart with <strong>1012 (Service Restart)</strong>, each at its own moment spread evenly over
 * the {@link io.jettygraceful.GracefulRestartConfiguration#setWebSocketCloseSpread close spread} (in a random order), so the replacement gets the
 * reconnects over that window rather than at one instant; on a real stop with <strong>1001 (Going Away)</strong> at
 * once, as Jetty's own stop does.
 *
 * <p>One mechanism for every API: Jetty's core WebSocket, the Jetty API and the Jakarta API (ee10, ee11) all run on
 * core's {@link WebSocketConnection} with its {@link CoreSession}, reached from the connectors' connected endpoints.
 * Core has no public getter from the connection to its session, so the session is read from the connection's field
 * once per connection (the classes are on the class path; in a named module that does not open
 * {@code org.eclipse.jetty.websocket.core} this fails with one warning, and WebSocket connections are left to Jetty's
 * stop as before). The close is core's: frames queued before it are sent first, the client answers with its own close
 * frame, and then the connection closes, which the drain waits for.</p>
 *
 * <p>Loaded only when Jetty's WebSocket core is on the class path ({@link #isAvailable()}): jetty-websocket-core-common
 * is an optional dependency. Not thread-safe: used by the one thread that drains.</p>
 */
final class WebSocketClose
{
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketClose.class);
    private static final boolean AVAILABLE = OptionalClasses.present("org.eclipse.jetty.websocket.core.WebSocketConnection");
    private static final Field CORE_SESSION = coreSessionField();

    private final int status;
    private final String reason;
    private final long startNanos;
    private final long spreadNanos;
    /** Sessions seen, to the moment (nanoTime) each is to be closed; Long.MIN_VALUE once closed. */
    private final Map<CoreSession, Long> sessions = new IdentityHashMap<>();
    private int closed;

    /** @return whether WebSocket core is on the class path; when not, no instance may be created */
    static boolean isAvailable()
    {
        return AVAILABLE;
    }

    /**
     * @param restart true after a handoff (1012, spread over {@code spreadNanos}); false for a real stop (1001, at once)
     */
    private WebSocketClose(boolean restart, long spreadNanos)
    {
        this.status = restart ? 1012 : 1001;
        this.reason = restart ? "Service Restart" : "Going Away";
        this.startNanos = System.nanoTime();
        this.spreadNanos = restart ? Math.max(0, spreadNanos) : 0;
    }

    /** Closes with 1012 (Service Restart), each session at its own moment within {@code spreadNanos} from now. */
    static WebSocketClose forRestart(long spreadNanos)
    {
        return new WebSocketClose(true, spreadNanos);
    }

    /** Closes with 1001 (Going Away), at once. */
    static WebSocketClose forStop()
    {
        return new WebSocketClose(false, 0);
    }

    /**
     * Finds the WebSocket sessions among {@code endPoints} not seen yet, schedules them, and closes those whose moment
     * has come. The sessions present at the first call are spread evenly (random order); one that appears later is
     * given a random moment within what is left of the spread.
     *
     * @return how many sessions were closed now
     */
    int closeDue(Collection<EndPoint> endPoints)
    {
        if (CORE_SESSION == null)
            return 0;
        long now = System.nanoTime();
        List<CoreSession> fresh = new ArrayList<>();
        for (EndPoint endPoint : endPoints)
        {
            CoreSession session = sessionOf(endPoint);
            if (session != null && !sessions.containsKey(session))
                fresh.add(session);
        }
        if (!fresh.isEmpty())
        {
            boolean first = sessions.isEmpty() && closed == 0;
            Collections.shuffle(fresh, ThreadLocalRandom.current());
            long left = Math.max(0, startNanos + spreadNanos - now);
            for (int i = 0; i < fresh.size(); i++)
            {
                long offset = first ? spreadNanos * i / fresh.size() : left == 0 ? 0 : ThreadLocalRandom.current().nextLong(left);
                sessions.put(fresh.get(i), (first ? startNanos : now) + offset);
            }
        }
        int count = 0;
        for (Map.Entry<CoreSession, Long> entry : sessions.entrySet())
        {
            long due = entry.getValue();
            if (due != Long.MIN_VALUE && now - due >= 0)
            {
                entry.setValue(Long.MIN_VALUE);
                CoreSession session = entry.getKey();
                if (session.isOutputOpen())
                    session.close(status, reason, Callback.NOOP);
                count++;
                closed++;
            }
        }
        return count;
    }

    /** @return sessions closed so far */
    int closed()
    {
        return closed;
    }

    /** @return the core session of a WebSocket connection (plain or TLS), else {@code null} */
    private static CoreSession sessionOf(EndPoint endPoint)
    {
        Connection connection = endPoint.getConnection();
        if (connection instanceof SslConnection tls)
            connection = tls.getSslEndPoint().getConnection();
        if (!(connection instanceof WebSocketConnection webSocket))
            return null;
        try
        {
            return (CoreSession)CORE_SESSION.get(webSocket);
        }
        catch (IllegalAccessException x)
        {
            return null;
        }
    }

    private static Field coreSessionField()
    {
        if (!AVAILABLE)
            return null;
        try
        {
            Field field = WebSocketConnection.class.getDeclaredField("coreSession");
            field.setAccessible(true);
            return field;
        }
        catch (ReflectiveOperationException | RuntimeException x)
        {
            LOG.warn("WebSocket sessions cannot be closed with 1012 on a restart ({}): they are left to the drain timeout", x.toString());
            return null;
        }
    }
}
