package io.jettygraceful.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP load on loopback for restart tests: keep-alive clients (one connection, many requests) and new-connection
 * clients (a connection per request), each a thread doing one GET after another, bounded by a total request count
 * and by wall time. Every outcome is counted, nothing is retried.
 *
 * <p>Outcomes of a request: {@code ok} (2xx), {@code serverError} (5xx), {@code refused} (connect refused),
 * {@code reset} (connection reset while connecting, writing or reading), {@code timeout} (connect or read timeout),
 * {@code closedEarly} (EOF before a complete response), {@code other} (any other status or exception; the reasons are
 * kept). Only {@code ok} is success.</p>
 *
 * <p>A keep-alive client whose server ended the connection in an orderly way opens a new one, and nothing is lost:
 * after a response with {@code Connection: close} ({@code connectionCloses}), or when the server closed the idle
 * connection before the next request was written ({@code idleCloses}, checked without blocking just before each
 * write). A close noticed only while reading the response to a request already written is a failure
 * ({@code closedEarly}). An idle connection found reset before the write is counted as {@code idleResets}: no request
 * was lost, but the server did not close cleanly.</p>
 *
 * <p>Which process answered: the first UUID in each successful body ({@code /uuid}, {@code /delayed}, {@code /status}
 * all carry the process uuid) is counted in {@link Summary#answeredBy()}.</p>
 */
public final class LoadGenerator implements AutoCloseable
{
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final int MAX_REASONS = 20;

    private final Builder config;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong issued = new AtomicLong();
    private final LongAdder ok = new LongAdder();
    private final LongAdder serverError = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder reset = new LongAdder();
    private final LongAdder timeout = new LongAdder();
    private final LongAdder closedEarly = new LongAdder();
    private final LongAdder other = new LongAdder();
    private final LongAdder connectionCloses = new LongAdder();
    private final LongAdder idleCloses = new LongAdder();
    private final LongAdder idleResets = new LongAdder();
    private final LongAdder connections = new LongAdder();
    private final Map<String, LongAdder> answeredBy = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
    private final long deadlineNanos;
    private volatile boolean running = true;
    private final long startNanos;
    private volatile long endNanos;

    public static Builder builder(int port)
    {
        return new Builder(port);
    }

    public static final class Builder
    {
        private final int port;
        private String host = Http.IPV4;
        private String path = "/uuid";
        private int keepAliveClients = 2;
        private int newConnectionClients = 2;
        private long maxRequests = 10_000;
        private Duration maxDuration = Duration.ofSeconds(30);
        private Duration timeout = Duration.ofSeconds(10);
        private javax.net.ssl.SSLContext tls;
        private java.nio.file.Path unixSocket;

        private Builder(int port)
        {
            this.port = port;
        }

        public Builder host(String host)
        {
            this.host = host;
            return this;
        }

        public Builder path(String path)
        {
            this.path = path;
            return this;
        }

        public Builder keepAliveClients(int n)
        {
            this.keepAliveClients = n;
            return this;
        }

        public Builder newConnectionClients(int n)
        {
            this.newConnectionClients = n;
            return this;
        }

        /** Total requests over all clients; the run ends when they are issued. */
        public Builder maxRequests(long n)
        {
            this.maxRequests = n;
            return this;
        }

        /** Hard cap on wall time: no request starts after it. */
        public Builder maxDuration(Duration duration)
        {
            this.maxDuration = duration;
            return this;
        }

        /** Connect timeout and read timeout of each request. */
        public Builder timeout(Duration timeout)
        {
            this.timeout = timeout;
            return this;
        }

        /** Speak HTTPS with this context (its trust store must trust the server's certificate); default plain HTTP. */
        public Builder tls(javax.net.ssl.SSLContext context)
        {
            this.tls = context;
            return this;
        }

        /** Connect to this Unix-domain socket instead of host:port (plain HTTP). */
        public Builder unixSocket(java.nio.file.Path path)
        {
            this.unixSocket = path;
            return this;
        }

        public LoadGenerator start()
        {
            return new LoadGenerator(this);
        }
    }

    private LoadGenerator(Builder config)
    {
        this.config = config;
        this.startNanos = System.nanoTime();
        this.deadlineNanos = startNanos + config.maxDuration.toNanos();
        for (int i = 0; i < config.keepAliveClients; i++)
            threads.add(new Thread(this::keepAliveClient, "load-keepalive-" + i));
        for (int i = 0; i < config.newConnectionClients; i++)
            threads.add(new Thread(this::newConnectionClient, "load-newconn-" + i));
        for (Thread thread : threads)
        {
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Claims the next request; false when the count or the time is used up, or stop() was called. */
    private boolean next()
    {
        return running && System.nanoTime() < deadlineNanos && issued.incrementAndGet() <= config.maxRequests;
    }

    private void keepAliveClient()
    {
        Http.Connection connection = null;
        try
        {
            while (next())
            {
                if (connection != null)
                {
                    Http.Connection.Reuse reuse;
                    try
                    {
                        reuse = connection.checkReuse();
                    }
                    catch (IOException x)
                    {
                        record(x);
                        connection.close();
                        connection = null;
                        continue;
                    }
                    if (reuse == Http.Connection.Reuse.CLOSED_BY_SERVER)
                        idleCloses.increment();
                    else if (reuse == Http.Connection.Reuse.RESET)
                    {
                        idleResets.increment();
                        reason("idle connection: Connection reset");
                    }
                    if (reuse != Http.Connection.Reuse.REUSE)
                    {
                        connection.close();
                        connection = null;
                    }
                }
                try
                {
                    if (connection == null)
                    {
                        connection = open();
                        connections.increment();
                    }
                    Http.Response response = connection.get(config.path);
                    record(response);
                    if (response.connectionClose())
                    {
                        connectionCloses.increment();
                        connection.close();
                        connection = null;
                    }
                }
                catch (IOException x)
                {
                    record(x);
                    if (connection != null)
                        connection.close();
                    connection = null;
                }
            }
        }
        catch (RuntimeException x)
        {
            other.increment();
            reason("client crashed: " + x);
        }
        finally
        {
            if (connection != null)
                connection.close();
        }
    }

    private void newConnectionClient()
    {
        try
        {
            while (next())
            {
                try (Http.Connection connection = open())
                {
                    connections.increment();
                    record(connection.get(config.path));
                }
                catch (IOException x)
                {
                    record(x);
                }
            }
        }
        catch (RuntimeException x)
        {
            other.increment();
            reason("client crashed: " + x);
        }
    }

    private Http.Connection open() throws IOException
    {
        return config.unixSocket != null ? Http.Connection.openUnix(config.unixSocket, config.timeout)
            : Http.Connection.open(config.host, config.port, config.timeout, config.timeout, config.tls);
    }

    private void record(Http.Response response)
    {
        int status = response.status();
        if (status / 100 == 2)
        {
            ok.increment();
            Matcher m = UUID.matcher(response.body());
            answeredBy.computeIfAbsent(m.find() ? m.group() : "(no uuid)", k -> new LongAdder()).increment();
        }
        else if (status / 100 == 5)
        {
            serverError.increment();
            reason("HTTP " + status);
        }
        else
        {
            other.increment();
            reason("HTTP " + status);
        }
    }

    private void record(IOException x)
    {
        String message = String.valueOf(x.getMessage());
        if (x instanceof SocketTimeoutException)
            timeout.increment();
        else if (x instanceof ConnectException && message.contains("refused"))
        {
            refused.increment();
            // Nothing listens: do not spin on a closed port, taking the CPU a starting JVM needs.
            Restarts.pause(java.time.Duration.ofMillis(10));
        }
        else if (x instanceof Http.ClosedEarlyException)
            closedEarly.increment();
        else if (x instanceof SocketException && message.contains("Connection reset"))
            reset.increment();
        else
            other.increment();
        reason(x.getClass().getSimpleName() + ": " + message);
    }

    private void reason(String reason)
    {
        if (reasons.size() < MAX_REASONS || reasons.containsKey(reason))
            reasons.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** @return requests finished so far (every outcome) */
    public long completed()
    {
        return ok.sum() + serverError.sum() + refused.sum() + reset.sum() + timeout.sum() + closedEarly.sum() + other.sum();
    }

    /** @return successful requests so far */
    public long succeeded()
    {
        return ok.sum();
    }

    /** Waits until at least {@code n} requests have finished, the load has ended, or {@code timeout}; @return whether n were reached. */
    public boolean awaitCompleted(long n, Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completed() < n && isRunning() && System.nanoTime() < deadline)
            Restarts.pause(Duration.ofMillis(5));
        return completed() >= n;
    }

    /** @return whether any client thread is still working */
    public boolean isRunning()
    {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    /** Waits for the clients to finish on their own (count or time used up), at most {@code timeout}. */
    public Summary awaitFinished(Duration timeout)
    {
        join(System.nanoTime() + timeout.toNanos());
        return stop();
    }

    /** Stops the clients after their current request and waits for them; @return the summary. */
    public Summary stop()
    {
        running = false;
        // A request in flight ends within connect + read timeout.
        join(System.nanoTime() + config.timeout.multipliedBy(2).plusSeconds(5).toNanos());
        for (Thread thread : threads)
        {
            if (thread.isAlive())
            {
                thread.interrupt();
                reason("client " + thread.getName() + " did not stop");
            }
        }
        if (endNanos == 0)
            endNanos = System.nanoTime();
        return summary();
    }

    private void join(long deadlineNanos)
    {
        for (Thread thread : threads)
        {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0)
                return;
            try
            {
                thread.join(Math.max(1, left / 1_000_000));
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close()
    {
        stop();
    }

    /** @return the counts so far */
    public Summary summary()
    {
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        return new Summary(ok.sum(), serverError.sum(), refused.sum(), reset.sum(), timeout.sum(), closedEarly.sum(), other.sum(),
            connectionCloses.sum(), idleCloses.sum(), idleResets.sum(), connections.sum(), snapshot(answeredBy), snapshot(reasons),
            Duration.ofNanos(end - startNanos));
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counts)
    {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    /** Counts of one run. {@code answeredBy}: process uuid to successful responses; {@code reasons}: failure reasons (first 20 kinds). */
    public record Summary(long ok, long serverError, long refused, long reset, long timeout, long closedEarly, long other,
                          long connectionCloses, long idleCloses, long idleResets, long connections,
                          Map<String, Long> answeredBy, Map<String, Long> reasons, Duration elapsed)
    {
        public long total()
        {
            return ok + failed();
        }

        /** @return requests that did not succeed */
        public long failed()
        {
            return serverError + refused + reset + timeout + closedEarly + other;
        }

        @Override
        public String toString()
        {
            return String.format("%d requests in %d ms: ok=%d 5xx=%d refused=%d reset=%d timeout=%d closedEarly=%d other=%d" +
                    " | connections=%d connectionClose=%d idleClosed=%d idleReset=%d | answeredBy=%s reasons=%s",
                total(), elapsed.toMillis(), ok, serverError, refused, reset, timeout, closedEarly, other,
                connections, connectionCloses, idleCloses, idleResets, answeredBy, reasons);
        }
    }
}
