package io.jettygraceful.internal.drain;

import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Predicate;

import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;

/**
 * The HTTP/2 part of a drain. HTTP/2 has no {@code Connection: close}: a busy HTTP/2 connection would stay with the
 * draining process until the drain timeout, when Jetty's graceful stop sends it away. Instead each HTTP/2 session on
 * the drained connectors gets that same graceful shutdown at once: a GOAWAY with last stream id 2<sup>31</sup>-1 (the
 * client opens no new stream on this connection), the streams in progress finish, then the final GOAWAY naming the
 * last stream processed, and the connection closes. The client opens its next streams on a new connection, which the
 * replacement accepts.
 *
 * <p>Jetty sends the final GOAWAY as soon as the streams in progress are done, without waiting a round trip: a stream
 * the client sent before it read the first GOAWAY can be refused as unprocessed (id above the final GOAWAY's last
 * stream id). RFC 9113 §6.8 makes such streams safe to retry, and HTTP/2 clients retry them (Jetty's client reports a
 * {@code RetryableStreamException}). The same happens, later, with Jetty's own graceful stop.</p>
 *
 * <p>Sessions are shut down one by one, not through the connection factory's session container, which would also
 * refuse every later session: a process that takes its sockets back must serve HTTP/2 again. Each session is told
 * once per drain; a session that appears during the drain (a connection accepted just before accepting stopped) is
 * told when it is first seen.</p>
 *
 * <p>Loaded only when Jetty's HTTP/2 classes are on the class path ({@link #isAvailable()}): jetty-http2-common is
 * an optional dependency. Not thread-safe: used by the one thread that drains.</p>
 */
final class Http2GoAway
{
    private static final boolean AVAILABLE = OptionalClasses.present("org.eclipse.jetty.http2.HTTP2Connection");

    private final Set<HTTP2Session> told = Collections.newSetFromMap(new IdentityHashMap<>());

    /** @return whether HTTP/2 is on the class path; when not, no instance may be created */
    static boolean isAvailable()
    {
        return AVAILABLE;
    }

    /**
     * Shuts down, gracefully, every HTTP/2 session among {@code endPoints} (plain or TLS) not told yet.
     *
     * @return how many sessions were told now
     */
    int sendTo(Collection<EndPoint> endPoints)
    {
        return sendTo(endPoints, connection -> true);
    }

    /**
     * As {@link #sendTo(Collection)}, only to the sessions whose connection {@code due} accepts now (the overlap's
     * gradual move: each session at its own moment).
     *
     * @return how many sessions were told now
     */
    int sendTo(Collection<EndPoint> endPoints, Predicate<Connection> due)
    {
        int count = 0;
        for (EndPoint endPoint : endPoints)
        {
            Connection connection = endPoint.getConnection();
            if (connection instanceof SslConnection tls)
                connection = tls.getSslEndPoint().getConnection();
            if (connection instanceof HTTP2Connection http2 && !told.contains(http2.getSession()) && due.test(http2) && told.add(http2.getSession()))
            {
                http2.getSession().shutdown();
                count++;
            }
        }
        return count;
    }
}
