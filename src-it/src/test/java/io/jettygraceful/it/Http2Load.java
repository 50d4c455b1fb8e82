package io.jettygraceful.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * HTTP/2 load for restart tests: {@code clients} threads, each with its own connection to 127.0.0.1 (h2c with prior
 * knowledge, or h2 over TLS chosen by ALPN), sending {@code GET path} one stream at a time, bounded in count and time. Every outcome is counted and
 * nothing is retried:
 * <ul>
 *   <li>ok: 200, the body (the answering process's uuid) recorded;</li>
 *   <li>not sent: the connection had received GOAWAY or was closed before the stream could be opened, so the client
 *       knows the request never left; it opens a new connection for its next request, as every HTTP/2 client must.
 *       Not a failure, but counted;</li>
 *   <li>unprocessed: the stream failed and its id is above the last stream id of a GOAWAY the server sent, so by
 *       RFC 9113 §6.8 the server did not process it and it is safe to send again (HTTP/2 clients do so on their own;
 *       Jetty's reports a {@code RetryableStreamException}). Counted apart, not retried here;</li>
 *   <li>failed: everything else (reset, connection failure, no response in time, a status other than 200, refused
 *       connection), with the reason.</li>
 * </ul>
 */
public final class Http2Load implements AutoCloseable
{
    private final HTTP2Client client = new HTTP2Client();
    /** TLS settings of the connections, or {@code null} for h2c. */
    private final SslContextFactory.Client tls;
    private final InetSocketAddress address;
    private final String path;
    private final Duration timeout;
    private final long maxRequests;
    private final long deadlineNanos;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder issued = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder notSent = new LongAdder();
    private final LongAdder unprocessed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder connections = new LongAdder();
    private final LongAdder goAways = new LongAdder();
    private final Map<String, LongAdder> answeredBy = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    /** @param tls a context that trusts the server's certificate, for h2 over TLS; {@code null} for h2c */
    public Http2Load(int port, String path, int clients, long maxRequests, Duration maxDuration, Duration timeout, SSLContext tls) throws Exception
    {
        this.address = new InetSocketAddress("127.0.0.1", port);
        this.path = path;
        this.timeout = timeout;
        this.maxRequests = maxRequests;
        this.deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        if (tls != null)
        {
            this.tls = new SslContextFactory.Client();
            this.tls.setSslContext(tls);
            this.tls.start();
        }
        else
        {
            this.tls = null;
        }
        client.start();
        for (int i = 0; i < clients; i++)
        {
            Thread thread = new Thread(this::client, "h2-load-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /** What a connection learned from the server: whether it sent GOAWAY, and the lowest last stream id it named. */
    private final class Connection implements Session.Listener
    {
        volatile boolean goAway;
        volatile int lastStreamId = Integer.MAX_VALUE;
        Session session;

        @Override
        public void onGoAway(Session session, GoAwayFrame frame)
        {
            goAway = true;
            lastStreamId = Math.min(lastStreamId, frame.getLastStreamId());
            goAways.increment();
        }

        boolean usable()
        {
            return session != null && !goAway && !session.isClosed();
        }
    }

    private record Response(int status, String body)
    {
    }

    /** Collects one response: status from HEADERS, body from DATA frames. */
    private static final class ResponseListener implements Stream.Listener
    {
        final CompletableFuture<Response> result = new CompletableFuture<>();
        private final StringBuilder body = new StringBuilder();
        private volatile int status;

        @Override
        public void onHeaders(Stream stream, HeadersFrame frame)
        {
            if (frame.getMetaData() instanceof MetaData.Response response)
                status = response.getStatus();
            if (frame.isEndStream())
                result.complete(new Response(status, body.toString()));
            else
                stream.demand();
        }

        @Override
        public void onDataAvailable(Stream stream)
        {
            Stream.Data data = stream.readData();
            if (data == null)
            {
                stream.demand();
                return;
            }
            ByteBuffer buffer = data.frame().getByteBuffer();
            body.append(StandardCharsets.UTF_8.decode(buffer.slice()));
            boolean end = data.frame().isEndStream();
            data.release();
            if (end)
                result.complete(new Response(status, body.toString()));
            else
                stream.demand();
        }

        @Override
        public void onReset(Stream stream, ResetFrame frame, Callback callback)
        {
            result.completeExceptionally(new IOException("stream reset by the server, error " + frame.getError()));
            callback.succeeded();
        }

        @Override
        public void onFailure(Stream stream, int error, String reason, Throwable failure, Callback callback)
        {
            result.completeExceptionally(new IOException("stream failed, error " + error + " " + reason, failure));
            callback.succeeded();
        }
    }

    private boolean next()
    {
        if (!running || System.nanoTime() - deadlineNanos >= 0)
            return false;
        issued.increment();
        return issued.sum() <= maxRequests;
    }

    private void client()
    {
        Connection connection = null;
        while (next())
        {
            try
            {
                if (connection == null || !connection.usable())
                {
                    if (connection != null && connection.session != null)
                        connection.session.close(0, "client done with it", Callback.NOOP);
                    connection = new Connection();
                    connection.session = client.connect(tls, address, connection).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    connections.increment();
                }
            }
            catch (Exception x)
            {
                fail("connect: " + rootMessage(x));
                connection = null;
                Restarts.pause(Duration.ofMillis(10));
                continue;
            }
            request(connection);
        }
        if (connection != null && connection.session != null)
            connection.session.close(0, "load done", Callback.NOOP);
    }

    private void request(Connection connection)
    {
        ResponseListener listener = new ResponseListener();
        MetaData.Request request = new MetaData.Request("GET", HttpURI.from((tls != null ? "https" : "http") + "://127.0.0.1:" + address.getPort() + path), HttpVersion.HTTP_2, HttpFields.EMPTY);
        Stream stream;
        try
        {
            stream = connection.session.newStream(new HeadersFrame(request, null, true), listener).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException x)
        {
            if (connection.goAway || connection.session.isClosed())
                notSent.increment();
            else
                fail("new stream: " + rootMessage(x));
            return;
        }
        catch (TimeoutException x)
        {
            fail("new stream: no answer within " + timeout.toMillis() + " ms");
            return;
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            running = false;
            return;
        }
        try
        {
            Response response = listener.result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (response.status() == 200)
            {
                ok.increment();
                answeredBy.computeIfAbsent(response.body().trim(), k -> new LongAdder()).increment();
            }
            else
            {
                fail("status " + response.status());
            }
        }
        catch (ExecutionException x)
        {
            if (connection.goAway && stream.getId() > connection.lastStreamId)
                unprocessed.increment();
            else
                fail(rootMessage(x));
        }
        catch (TimeoutException x)
        {
            fail("no response within " + timeout.toMillis() + " ms");
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void fail(String reason)
    {
        failed.increment();
        if (reasons.size() < 20 || reasons.containsKey(reason))
            reasons.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    private static String rootMessage(Throwable x)
    {
        Throwable t = x;
        while (t.getCause() != null && t.getCause() != t)
            t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** @return requests finished so far, every outcome */
    public long completed()
    {
        return ok.sum() + notSent.sum() + unprocessed.sum() + failed.sum();
    }

    /** Waits until {@code n} requests have finished; @return false after {@code within} */
    public boolean awaitCompleted(long n, Duration within)
    {
        long deadline = System.nanoTime() + within.toNanos();
        while (completed() < n)
        {
            if (System.nanoTime() - deadline >= 0)
                return false;
            Restarts.pause(Duration.ofMillis(20));
        }
        return true;
    }

    public record Summary(long ok, long notSent, long unprocessed, long failed, long connections, long goAways, Map<String, Long> answeredBy, Map<String, Long> reasons)
    {
        @Override
        public String toString()
        {
            return "ok=" + ok + " failed=" + failed + " notSent(after GOAWAY, never left the client)=" + notSent + " unprocessed(above GOAWAY last stream id)=" +
                unprocessed + " | connections=" + connections + " goAways=" + goAways + " | answeredBy=" + answeredBy + " reasons=" + reasons;
        }
    }

    /** Stops the clients (each finishes its current request) and @return the totals. */
    public Summary stop() throws InterruptedException
    {
        running = false;
        for (Thread thread : threads)
            thread.join(timeout.toMillis() * 3);
        return new Summary(ok.sum(), notSent.sum(), unprocessed.sum(), failed.sum(), connections.sum(), goAways.sum(), sums(answeredBy), sums(reasons));
    }

    private static Map<String, Long> sums(Map<String, LongAdder> adders)
    {
        Map<String, Long> result = new java.util.TreeMap<>();
        adders.forEach((k, v) -> result.put(k, v.sum()));
        return result;
    }

    @Override
    public void close() throws Exception
    {
        running = false;
        for (Thread thread : threads)
            thread.join(timeout.toMillis() * 3);
        client.stop();
        if (tls != null)
            tls.stop();
    }
}
