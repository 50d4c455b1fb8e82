package io.jettygraceful;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.Name;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReadinessCheck} that warms a replacement up before it takes over: it replays a mix of requests
 * ({@link WarmUpRequest}: {@code /uuid}, {@code GET /status | Accept: application/json}) through the replacement's own
 * server, so that the classes of the request path are loaded and the JIT has compiled them when the first client
 * arrives. A response with a 5xx, or with a status not {@linkplain #setAllowedStatuses(String) allowed} (by default
 * every status below 500 is), or no response at all, fails readiness with a message naming the request, the status and
 * the fix: the replacement exits and the serving process goes on, so a broken build never takes over.
 *
 * <p>{@link GracefulRestart} calls a readiness check only in a replacement, once its server has started and while its
 * connectors do not accept (the parent still serves the shared socket). The warm-up never touches that socket: for
 * its run it adds a {@link LocalConnector} to the server (with the {@link HttpConfiguration} of the server's first
 * HTTP connector, so the same request customizers run, and with requests that name that connector as theirs, so that
 * handlers routing by connector treat them as that connector's), starts it, and removes and stops it afterwards, also
 * when the warm-up fails. It sends {@link #getCount() count} requests in all, going round the mix in order, from
 * {@link #getThreads() threads} threads at once (each on its own keep-alive connection), and stops early once
 * {@link #getDurationMillis() duration} is over, when one is set. With a count and a duration of 0, or an empty mix,
 * it does nothing (so jetty.xml can always declare it). Each request may take 30 s; requests have no body. The
 * whole warm-up runs within the restart's ready timeout.</p>
 *
 * <p>In jetty.xml (the {@code graceful-restart} module always declares one, idle while
 * {@code jetty.graceful.restart.warmUp.requests} is unset):</p>
 * <pre>{@code
 * <Set name="readinessCheck">
 *   <New class="io.jettygraceful.WarmUpReadinessCheck">
 *     <Arg name="requests">/uuid, GET /status | Accept: application/json</Arg>
 *     <Arg name="count" type="int">2000</Arg>
 *     <Set name="threads">2</Set>
 *   </New>
 * </Set>
 * }</pre>
 */
@ManagedObject("Warm-up of a replacement: replays a request mix through an in-process LocalConnector before it reports ready")
public class WarmUpReadinessCheck implements ReadinessCheck
{
    private static final Logger LOG = LoggerFactory.getLogger(WarmUpReadinessCheck.class);
    private static final int MAX_THREADS = 64;

    private final List<WarmUpRequest> requests;
    private final int count;
    private volatile Duration duration = Duration.ZERO;
    private volatile int threads = 1;
    private volatile AllowedStatuses allowedStatuses = AllowedStatuses.BELOW_500;
    private volatile long lastRequests = -1;
    private volatile long lastMillis = -1;

    /**
     * @param requests the mix, separated by commas or line breaks (see {@link WarmUpRequest#parseMix(String)}); null or
     *                 blank for no warm-up
     * @param count    requests to send in all (going round the mix), or 0 to run for {@link #setDurationMillis(long)} only
     * @throws IllegalArgumentException for a request that does not parse or a negative count, naming it and the fix
     */
    public WarmUpReadinessCheck(@Name("requests") String requests, @Name("count") int count)
    {
        this(WarmUpRequest.parseMix(requests), count);
    }

    /** @return a warm-up of {@code requests}, one request per element (a header value may hold a comma here) */
    public static WarmUpReadinessCheck of(List<String> requests, int count)
    {
        return new WarmUpReadinessCheck(WarmUpRequest.parseAll(requests == null ? List.of() : requests), count);
    }

    private WarmUpReadinessCheck(List<WarmUpRequest> requests, int count)
    {
        if (count < 0)
            throw new IllegalArgumentException("warm-up count " + count + " is negative: give the number of requests to send, or 0 to " +
                "warm up for a duration only");
        this.requests = requests;
        this.count = count;
    }

    /** @return whether this check sends any request */
    @ManagedAttribute("Whether the warm-up sends any request (a mix, and a count or a duration)")
    public boolean isEnabled()
    {
        return !requests.isEmpty() && (count > 0 || !duration.isZero());
    }

    public List<WarmUpRequest> getRequests()
    {
        return requests;
    }

    @ManagedAttribute("Request mix, in the form [METHOD ]target[ | Name: value], separated by commas")
    public String getRequestMix()
    {
        return requests.stream().map(WarmUpRequest::toString).collect(Collectors.joining(", "));
    }

    @ManagedAttribute("Requests sent in all, going round the mix; 0: for the duration only")
    public int getCount()
    {
        return count;
    }

    /** @param duration the longest the warm-up runs (it ends early, and passes, once over); zero (default) for no limit */
    public void setDuration(Duration duration)
    {
        if (duration == null || duration.isNegative())
            throw new IllegalArgumentException("warm-up duration " + duration + " is negative: give a duration such as 5s, or 0 for no limit");
        this.duration = duration;
    }

    public Duration getDuration()
    {
        return duration;
    }

    /** For jetty.xml: {@link #setDuration(Duration)} in milliseconds. */
    public void setDurationMillis(long millis)
    {
        setDuration(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds the warm-up runs at most; 0: no limit")
    public long getDurationMillis()
    {
        return duration.toMillis();
    }

    /** @param threads how many threads send requests at once, each on its own connection (1 to 64; default 1) */
    public void setThreads(int threads)
    {
        if (threads < 1 || threads > MAX_THREADS)
            throw new IllegalArgumentException("warm-up threads " + threads + " is not between 1 and " + MAX_THREADS +
                ": give about the number of cores, or 1");
        this.threads = threads;
    }

    @ManagedAttribute("Threads that send warm-up requests at once")
    public int getThreads()
    {
        return threads;
    }

    /**
     * @param statuses the statuses a warm-up response may have, codes and classes separated by commas
     *                 ({@code 200, 3xx, 401}); null or blank (default): every status below 500. A 5xx always fails.
     * @throws IllegalArgumentException naming an entry that is not a status below 500 or a class such as 2xx
     */
    public void setAllowedStatuses(String statuses)
    {
        this.allowedStatuses = AllowedStatuses.parse(statuses);
    }

    @ManagedAttribute("Statuses a warm-up response may have")
    public String getAllowedStatuses()
    {
        return allowedStatuses.toString();
    }

    @ManagedAttribute("Requests the last warm-up in this process sent with an allowed answer; -1: none ran")
    public long getLastRequests()
    {
        return lastRequests;
    }

    @ManagedAttribute("Milliseconds the last warm-up in this process took; -1: none ran")
    public long getLastMillis()
    {
        return lastMillis;
    }

    /**
     * Replays the mix through a {@link LocalConnector} added to {@code server} for the run.
     *
     * @throws IllegalStateException when a response is not allowed or missing (the message names the request, the
     *                               status and the fix), or when {@code server} has not started
     */
    @Override
    public void awaitReady(Server server) throws Exception
    {
        if (requests.isEmpty())
        {
            LOG.debug("No warm-up: no warm-up requests are set");
            return;
        }
        if (!isEnabled())
        {
            LOG.info("No warm-up: its count and duration are 0");
            return;
        }
        if (!server.isStarted())
            throw new IllegalStateException("the warm-up needs a started server (" + server.getState() + "): run it as the readiness check " +
                "of GracefulRestart, which calls it once the server has started");
        long start = System.nanoTime();
        LocalConnector local = new LocalConnector(server, new HttpConnectionFactory(httpConfiguration(server)));
        local.setName("graceful-warm-up");
        server.addConnector(local);
        try
        {
            local.start();
            Long deadline = duration.isZero() ? null : start + duration.toNanos();
            long sent = new WarmUpReplay(local, requests, count, deadline, threads, allowedStatuses).run();
            lastRequests = sent;
            lastMillis = (System.nanoTime() - start) / 1_000_000L;
            LOG.info("Warmed up with {} requests in {} ms ({} thread{}, a mix of {} request{})", sent, lastMillis, threads, threads == 1 ? "" : "s",
                requests.size(), requests.size() == 1 ? "" : "s");
        }
        finally
        {
            server.removeConnector(local);
            local.stop();
        }
    }

    /**
     * @return a copy of the configuration of the server's first HTTP/1.1 connector (the same customizers run), whose
     * first customizer makes each warm-up request name that connector as its own: handlers that route by connector
     * (Dropwizard's application/admin split, virtual hosts {@code @name}) send it where that connector's clients go
     */
    private static HttpConfiguration httpConfiguration(Server server)
    {
        for (Connector connector : server.getConnectors())
        {
            HttpConnectionFactory http = httpConnectionFactory(connector);
            if (http != null)
            {
                HttpConfiguration copy = new HttpConfiguration(http.getHttpConfiguration());
                List<HttpConfiguration.Customizer> customizers = new ArrayList<>();
                customizers.add((request, responseHeaders) -> asIfThrough(connector, request));
                customizers.addAll(copy.getCustomizers());
                copy.setCustomizers(customizers);
                return copy;
            }
        }
        return new HttpConfiguration();
    }

    /** @return the connector's HTTP/1.1 factory, also one wrapped by another (Dropwizard's instrumented factories) */
    private static HttpConnectionFactory httpConnectionFactory(Connector connector)
    {
        HttpConnectionFactory http = connector.getConnectionFactory(HttpConnectionFactory.class);
        if (http == null && connector instanceof ContainerLifeCycle container)
            http = container.getContainedBeans(HttpConnectionFactory.class).stream().findFirst().orElse(null);
        return http;
    }

    private static Request asIfThrough(Connector connector, Request request)
    {
        ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(request.getConnectionMetaData())
        {
            @Override
            public Connector getConnector()
            {
                return connector;
            }
        };
        return new Request.Wrapper(request)
        {
            @Override
            public ConnectionMetaData getConnectionMetaData()
            {
                return metaData;
            }
        };
    }

    @Override
    public String toString()
    {
        return "WarmUpReadinessCheck[" + getRequestMix() + ", count=" + count + ", duration=" + duration + ", threads=" + threads + "]";
    }
}
