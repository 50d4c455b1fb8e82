package io.jettygraceful;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.LocalConnector.LocalEndPoint;

/**
 * One run of a {@link WarmUpReadinessCheck}: sends the mix, in order and round and round, over a started
 * {@link LocalConnector} from a few threads, each on its own keep-alive connection (a new one when the server closed
 * it), until the request count or the deadline is reached or a response is not allowed. Does not own the connector.
 */
final class WarmUpReplay
{
    /** How long one warm-up request may take before the warm-up fails. */
    static final long REQUEST_TIMEOUT_MS = 30_000;
    private static final int BODY_EXCERPT = 200;

    private final LocalConnector connector;
    private final List<WarmUpRequest> mix;
    private final long count;
    private final long deadlineNanos;
    private final int threads;
    private final AllowedStatuses allowed;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    /**
     * @param count    requests to send in all, or 0 for no limit (then {@code deadline} must be set)
     * @param deadline {@code System.nanoTime()} at which no further request starts, or null for none
     */
    WarmUpReplay(LocalConnector connector, List<WarmUpRequest> mix, long count, Long deadline, int threads, AllowedStatuses allowed)
    {
        this.connector = connector;
        this.mix = List.copyOf(mix);
        this.count = count;
        this.deadlineNanos = deadline == null ? 0 : deadline;
        this.threads = threads;
        this.allowed = allowed;
        if (count <= 0 && deadline == null)
            throw new IllegalArgumentException("a warm-up needs a request count or a deadline");
    }

    /**
     * @return the number of requests that were answered with an allowed status
     * @throws IllegalStateException for the first request that was answered with a status not allowed, or not at all:
     *                               the message names the request, the status and the fix
     */
    long run() throws Exception
    {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++)
        {
            Thread worker = new Thread(this::work, "graceful-warm-up-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        try
        {
            for (Thread worker : workers)
                worker.join();
        }
        catch (InterruptedException x)
        {
            failure.compareAndSet(null, x);
            workers.forEach(Thread::interrupt);
            throw x;
        }
        Exception failed = failure.get();
        if (failed != null)
            throw failed;
        return completed.get();
    }

    private boolean more(long index)
    {
        if (failure.get() != null || count > 0 && index >= count)
            return false;
        return deadlineNanos == 0 || System.nanoTime() - deadlineNanos < 0;
    }

    private void work()
    {
        LocalEndPoint endpoint = null;
        try
        {
            for (long index = next.getAndIncrement(); more(index); index = next.getAndIncrement())
            {
                WarmUpRequest request = mix.get((int)(index % mix.size()));
                if (endpoint == null || !endpoint.isOpen())
                    endpoint = connector.connect();
                AtomicInteger status = new AtomicInteger(-1);
                endpoint.addInput(request.toHttp());
                ByteBuffer response = endpoint.waitForResponse(request.isHead(), REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS, status::set);
                String text = response == null ? null : StandardCharsets.ISO_8859_1.decode(response).toString();
                if (text == null || status.get() < 0)
                    throw new IllegalStateException(describe(index, request) + " got no complete response within " + REQUEST_TIMEOUT_MS / 1000 +
                        " s. Fix: make the handler answer it, or leave it out of the warm-up requests; this replacement does not take over");
                if (!allowed.allows(status.get()))
                    throw new IllegalStateException(describe(index, request) + " was answered " + status.get() + excerpt(text) + ", " + expectation(status.get()));
                completed.incrementAndGet();
                if (closes(text))
                    endpoint.close();
            }
        }
        catch (Exception x)
        {
            failure.compareAndSet(null, x);
        }
        finally
        {
            if (endpoint != null)
                endpoint.close();
        }
    }

    private String describe(long index, WarmUpRequest request)
    {
        return "warm-up request " + (index + 1) + (count > 0 ? " of " + count : "") + " (" + request + ")";
    }

    private String expectation(int status)
    {
        if (status >= 500)
            return "a server error. Fix: the application (this build is broken, so it does not take over and the serving process goes on), " +
                "or leave the request out of the warm-up requests";
        return "not one of the allowed statuses (" + allowed + "). Fix: correct the request in the warm-up requests, or add " + status +
            " to the allowed statuses";
    }

    /** @return the start of the response body, for the failure message */
    private static String excerpt(String response)
    {
        int end = response.indexOf("\r\n\r\n");
        String body = end < 0 ? "" : response.substring(end + 4).strip();
        if (body.isEmpty())
            return "";
        body = body.length() > BODY_EXCERPT ? body.substring(0, BODY_EXCERPT) + "..." : body;
        return " (body: " + body.replaceAll("\\s+", " ") + ")";
    }

    /** @return whether the response says the server closes the connection after it */
    private static boolean closes(String response)
    {
        int end = response.indexOf("\r\n\r\n");
        String head = (end < 0 ? response : response.substring(0, end + 2)).toLowerCase(Locale.ROOT);
        return head.contains("\r\nconnection: close\r\n") || head.startsWith("http/1.0");
    }
}
