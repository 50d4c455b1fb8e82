package io.jettygraceful.it.bench;

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
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import io.jettygraceful.it.Http;

/**
 * The benchmark's load client: closed-loop client threads on loopback, each doing one GET after another, that record
 * every request (start, end, outcome, kind) in plain per-thread arrays. Nothing is retried: a request that failed is
 * recorded as failed, and the thread goes on with its next request after {@link Config#pauseAfterFailure()} (so a
 * refused port is not hammered in a tight loop that would also steal CPU from the JVM starting up).
 *
 * <p>Kinds of client: keep-alive (one connection, many requests; a new connection after {@code Connection: close} or
 * after the server closed the idle connection, which loses no request) and close (a connection per request, which
 * asks {@code Connection: close}, as {@code wrk -H "Connection: close"}), each either fast ({@code /uuid}) or slow
 * ({@code /delayed?ms=N}); how many of each: {@link LoadShape}.</p>
 *
 * <p>Closed loop (the default): a client sends its next request when its previous one ended. Open loop
 * ({@link LoadShape#rate()} &gt; 0): fast client {@code j} of {@code F} sends its {@code k}-th request at
 * {@link #intendedStart}, evenly spread so that all together send {@code rate} per second; a client that is behind
 * (its previous request took longer than its interval) sends at once, and every request's start is recorded as its
 * intended start, so a stall adds to the latency of every request it delayed (no coordinated omission).</p>
 *
 * <p>Outcomes: see {@link Outcome}. A keep-alive connection found closed by the server before the next request was
 * written is not a request (counted in {@code idleCloses}); found reset, also not a request, but counted in
 * {@code idleResets}. A close noticed only while reading a response to a request already written is
 * {@link Outcome#CLOSED_EARLY}.</p>
 */
final class BenchClient implements AutoCloseable
{
    enum Outcome
    {
        OK("ok"), SERVER_ERROR("5xx"), REFUSED("refused"), RESET("reset"), TIMEOUT("timeout"), CLOSED_EARLY("closed early"), OTHER("other");

        final String label;

        Outcome(String label)
        {
            this.label = label;
        }
    }

    /** Flags of a request's kind. */
    static final int SLOW = 1;
    static final int KEEP_ALIVE = 2;

    /** @param pauseAfterFailure how long a closed-loop client waits after a failed request (an open-loop one keeps its schedule) */
    record Config(int port, LoadShape load, String fastPath, String slowPath, Duration timeout, Duration pauseAfterFailure)
    {
        static final String FAST_PATH = "/uuid";
        static final String SLOW_PATH = "/delayed?ms=200";
        static final Duration TIMEOUT = Duration.ofSeconds(5);
        static final Duration PAUSE_AFTER_FAILURE = Duration.ofMillis(10);

        static Config of(int port, LoadShape load)
        {
            return new Config(port, load, FAST_PATH, SLOW_PATH, TIMEOUT, PAUSE_AFTER_FAILURE);
        }

    }

    /** Requests of one thread, in the order it made them; times in ns relative to the client's origin. */
    private static final class Log
    {
        long[] start = new long[4096];
        long[] end = new long[4096];
        byte[] outcome = new byte[4096];
        byte[] kind = new byte[4096];
        volatile int size;

        void add(long s, long e, Outcome o, int k)
        {
            int n = size;
            if (n == start.length)
            {
                int grown = n * 2;
                start = java.util.Arrays.copyOf(start, grown);
                end = java.util.Arrays.copyOf(end, grown);
                outcome = java.util.Arrays.copyOf(outcome, grown);
                kind = java.util.Arrays.copyOf(kind, grown);
            }
            start[n] = s;
            end[n] = e;
            outcome[n] = (byte)o.ordinal();
            kind[n] = (byte)k;
            size = n + 1;
        }
    }

    private static final int MAX_REASONS = 20;
    private static final long MAX_PARK_NS = 50_000_000L;

    private final Config config;
    private final long origin;
    private final List<Thread> threads = new ArrayList<>();
    private final List<Log> logs = new ArrayList<>();
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder idleCloses = new LongAdder();
    /** Connections the keep-alive clients opened: one each at the start, plus one per reconnect. */
    private final LongAdder keepAliveConnects = new LongAdder();
    private final LongAdder idleResets = new LongAdder();
    private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile long stoppedAt = -1;

    /** Starts the client threads; request times are measured from {@code origin} (a System.nanoTime()). */
    static BenchClient start(Config config, long origin)
    {
        return new BenchClient(config, origin);
    }

    private BenchClient(Config config, long origin)
    {
        this.config = config;
        this.origin = origin;
        add(config.load().keepAlive(), "bench-ka-fast-", true, false);
        add(config.load().close(), "bench-close-fast-", false, false);
        add(config.load().slowKeepAlive(), "bench-ka-slow-", true, true);
        add(config.load().slowClose(), "bench-close-slow-", false, true);
        for (Thread thread : threads)
            thread.start();
    }

    private void add(int count, String name, boolean keepAlive, boolean slow)
    {
        for (int i = 0; i < count; i++)
        {
            Log log = new Log();
            logs.add(log);
            int kind = (slow ? SLOW : 0) | (keepAlive ? KEEP_ALIVE : 0);
            String path = slow ? config.slowPath() : config.fastPath();
            int scheduleSlot = threads.size(); // fast clients are added first: 0 .. F-1
            Thread thread = new Thread(() -> run(log, kind, path, scheduleSlot), name + i);
            thread.setDaemon(true);
            threads.add(thread);
        }
    }

    private long now()
    {
        return System.nanoTime() - origin;
    }

    /**
     * When open-loop client {@code slot} of {@code clients} should send its {@code k}-th request (ns after the client's
     * origin): client intervals of {@code clients / rate} s, the clients' phases spread evenly within one interval.
     */
    static long intendedStart(int slot, int clients, int rate, long k)
    {
        double interval = clients * 1e9 / rate;
        return (long)((k + (double)slot / clients) * interval);
    }

    /** Waits until {@code t} (ns after the origin); false when told to stop meanwhile. */
    private boolean awaitTime(long t)
    {
        long wait;
        while (running && (wait = t - now()) > 0)
            LockSupport.parkNanos(Math.min(wait, MAX_PARK_NS)); // in slices: a slow schedule still notices stop() soon
        return running;
    }

    private void run(Log log, int kind, String path, int scheduleSlot)
    {
        boolean keepAlive = (kind & KEEP_ALIVE) != 0;
        boolean openLoop = config.load().openLoop() && (kind & SLOW) == 0;
        long k = 0;
        Http.Connection connection = null;
        try
        {
            while (running)
            {
                long intended = openLoop ? intendedStart(scheduleSlot, config.load().fastClients(), config.load().rate(), k++) : 0;
                if (openLoop && !awaitTime(intended))
                    break;
                if (connection != null)
                {
                    Http.Connection.Reuse reuse;
                    try
                    {
                        reuse = connection.checkReuse();
                    }
                    catch (IOException x)
                    {
                        long t = now();
                        record(log, openLoop ? intended : t, t, kind, x);
                        connection.close();
                        connection = null;
                        if (!openLoop)
                            pause();
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
                long begin = openLoop ? intended : now();
                Outcome outcome;
                try
                {
                    if (connection == null)
                    {
                        if (keepAlive)
                            keepAliveConnects.increment();
                        connection = Http.Connection.open(Http.IPV4, config.port(), config.timeout(), config.timeout());
                    }
                    Http.Response response = connection.get(path, !keepAlive);
                    outcome = record(log, begin, now(), kind, response);
                    if (!keepAlive || response.connectionClose())
                    {
                        connection.close();
                        connection = null;
                    }
                }
                catch (IOException x)
                {
                    outcome = record(log, begin, now(), kind, x);
                    if (connection != null)
                        connection.close();
                    connection = null;
                }
                if (outcome != Outcome.OK && !openLoop)
                    pause();
            }
        }
        catch (RuntimeException x)
        {
            long t = now();
            log.add(t, t, Outcome.OTHER, kind);
            failed.increment();
            reason("client crashed: " + x);
        }
        finally
        {
            if (connection != null)
                connection.close();
        }
    }

    private void pause()
    {
        try
        {
            Thread.sleep(config.pauseAfterFailure().toMillis());
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private Outcome record(Log log, long begin, long end, int kind, Http.Response response)
    {
        int status = response.status();
        Outcome outcome = status / 100 == 2 ? Outcome.OK : status / 100 == 5 ? Outcome.SERVER_ERROR : Outcome.OTHER;
        if (outcome != Outcome.OK)
            reason("HTTP " + status);
        count(outcome);
        log.add(begin, end, outcome, kind);
        return outcome;
    }

    private Outcome record(Log log, long begin, long end, int kind, IOException x)
    {
        String message = String.valueOf(x.getMessage());
        Outcome outcome;
        if (x instanceof SocketTimeoutException)
            outcome = Outcome.TIMEOUT;
        else if (x instanceof ConnectException && message.contains("refused"))
            outcome = Outcome.REFUSED;
        else if (x instanceof Http.ClosedEarlyException)
            outcome = Outcome.CLOSED_EARLY;
        else if (x instanceof SocketException && (message.contains("Connection reset") || message.contains("Broken pipe")))
            outcome = Outcome.RESET;
        else
            outcome = Outcome.OTHER;
        reason(x.getClass().getSimpleName() + ": " + message);
        count(outcome);
        log.add(begin, end, outcome, kind);
        return outcome;
    }

    private void count(Outcome outcome)
    {
        if (outcome == Outcome.OK)
            ok.increment();
        else
            failed.increment();
    }

    private void reason(String reason)
    {
        if (reasons.size() < MAX_REASONS || reasons.containsKey(reason))
            reasons.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    long ok()
    {
        return ok.sum();
    }

    long failed()
    {
        return failed.sum();
    }

    /** Stops the clients after their current request, waits for them, and returns every request they made. */
    Recording stop()
    {
        running = false;
        long deadline = System.nanoTime() + config.timeout().multipliedBy(2).plusSeconds(2).toNanos();
        for (Thread thread : threads)
        {
            try
            {
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive())
                reason("client " + thread.getName() + " did not stop");
        }
        if (stoppedAt < 0)
            stoppedAt = now();
        int total = 0;
        for (Log log : logs)
            total += log.size;
        long[] start = new long[total];
        long[] end = new long[total];
        byte[] outcome = new byte[total];
        byte[] kind = new byte[total];
        int at = 0;
        for (Log log : logs)
        {
            int n = log.size;
            System.arraycopy(log.start, 0, start, at, n);
            System.arraycopy(log.end, 0, end, at, n);
            System.arraycopy(log.outcome, 0, outcome, at, n);
            System.arraycopy(log.kind, 0, kind, at, n);
            at += n;
        }
        Map<String, Long> reasonCounts = new TreeMap<>();
        reasons.forEach((k, v) -> reasonCounts.put(k, v.sum()));
        return new Recording(start, end, outcome, kind, stoppedAt, idleCloses.sum(), idleResets.sum(), reasonCounts, keepAliveConnects.sum());
    }

    @Override
    public void close()
    {
        if (stoppedAt < 0)
            stop();
    }
}
