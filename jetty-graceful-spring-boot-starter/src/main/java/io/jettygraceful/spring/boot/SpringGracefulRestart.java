package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InvalidSettingException;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.WarmUpReadinessCheck;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * The application's zero-downtime restart, Spring Boot's way: the Spring bean that owns the {@link GracefulRestart} of
 * Boot's Jetty {@link Server}, and the order in which Boot's lifecycle and the restart's meet.
 *
 * <ol>
 * <li>{@link #customizer()}, the last of the server's {@link JettyServerCustomizer}s, replaces Boot's connectors
 *     ({@link GracefulConnectors}) and creates the {@code GracefulRestart} from {@link JettyGracefulProperties}.</li>
 * <li>Boot starts the server, then its connectors (in a replacement they stay paused), then the application.</li>
 * <li>On {@link ApplicationReadyEvent} (the context refreshed, runners done) the {@code GracefulRestart} is started: a
 *     first process serves; a replacement runs the {@link ReadinessCheck} bean (if there is one), then the
 *     {@code jetty.graceful.warm-up} requests (if any; see {@link #effectiveReadinessCheck()}), reports ready, and
 *     accepts once its parent hands over.</li>
 * <li>A replaced process drains, then {@link ContextClosingListener} closes the context and exits 0.</li>
 * <li>A real stop (SIGTERM, {@code context.close()}) with {@code server.shutdown=graceful}: {@link #stop()} runs just
 *     before Boot's graceful shutdown phase and drains the way a handoff does (see {@link io.jettygraceful.GracefulRestartConfiguration#setDrainOnStop}),
 *     bounded by {@code spring.lifecycle.timeout-per-shutdown-phase}. With {@code server.shutdown=immediate} Boot stops
 *     as usual.</li>
 * </ol>
 */
public class SpringGracefulRestart implements SmartLifecycle, ApplicationListener<ApplicationReadyEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(SpringGracefulRestart.class);

    private final JettyGracefulProperties properties;
    private final ReadinessCheck readinessCheck;
    private final List<RestartListener> listeners;
    private final Duration shutdownTimeout;
    private final boolean gracefulShutdown;

    private volatile Server server;
    private volatile GracefulRestart restart;
    private volatile List<InheritedServerConnector> connectors = List.of();
    private volatile boolean running;

    /**
     * @param readinessCheck   the application's {@link ReadinessCheck} bean, or null
     * @param listeners        the application's {@link RestartListener} beans, and this starter's own
     * @param gracefulShutdown whether {@code server.shutdown} is {@code graceful} (Boot's default)
     * @param shutdownTimeout  {@code spring.lifecycle.timeout-per-shutdown-phase}
     * @throws InvalidGracefulPropertyException when a property cannot work
     */
    public SpringGracefulRestart(JettyGracefulProperties properties, ReadinessCheck readinessCheck, List<RestartListener> listeners,
                                 boolean gracefulShutdown, Duration shutdownTimeout)
    {
        properties.validate();
        this.properties = properties;
        this.readinessCheck = readinessCheck;
        this.listeners = List.copyOf(listeners);
        this.gracefulShutdown = gracefulShutdown;
        this.shutdownTimeout = shutdownTimeout;
    }

    /** @return the customizer that must run after every other one of the server (see {@link GracefulServerCustomizerOrdering}) */
    public JettyServerCustomizer customizer()
    {
        return this::attach;
    }

    private void attach(Server jetty)
    {
        if (restart != null && server != jetty)
        {
            LOG.warn("A second Jetty server ({}) is not restarted with zero downtime: only the first one ({}) is", jetty, server);
            return;
        }
        List<InheritedServerConnector> replaced = GracefulConnectors.replace(jetty, properties.isInheritRequired());
        GracefulRestartConfiguration configuration = properties.toConfiguration();
        // The replaced process ends through the application context (ContextClosingListener), not System.exit right away.
        configuration.setExitAfterDrain(false);
        GracefulRestart created = new GracefulRestart(jetty, configuration);
        // The configuration's warm-up (jetty.graceful.warm-up.*) runs after it.
        created.setReadinessCheck(readinessCheck);
        listeners.forEach(created::addRestartListener);
        this.server = jetty;
        this.connectors = List.copyOf(replaced);
        this.restart = created;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event)
    {
        if (!(event.getApplicationContext() instanceof WebServerApplicationContext))
            return; // a child context (management port) announcing itself
        GracefulRestart created = restart;
        if (created == null || created.isStarted() || created.isHandedOff())
            return;
        try
        {
            server.addBean(created, true);
            created.start();
        }
        catch (InvalidSettingException x)
        {
            // e.g. a PID file that cannot be written: named as the property that set it
            throw InvalidGracefulPropertyException.of(x);
        }
        catch (IllegalArgumentException x)
        {
            throw new InvalidGracefulPropertyException("signal", properties.getSignal(), "this JVM refuses to handle it (" + x.getMessage() + ")",
                "set HUP, USR1, or none", x);
        }
        catch (Exception x)
        {
            throw new IllegalStateException("cannot start jetty-graceful's restart on " + server + ": " + x.getMessage(), x);
        }
    }

    // ---- SmartLifecycle: a real stop drains like a handoff --------------------------------------------------------

    @Override
    public void start()
    {
        running = true;
    }

    @Override
    public void stop()
    {
        running = false;
        GracefulRestart current = restart;
        Server jetty = server;
        if (!gracefulShutdown || jetty == null || current == null || !current.isStarted() || current.isHandedOff() || !jetty.isStarted())
            return;
        // Boot set the stop timeout to 0 (it drains in its own phase, next): give GracefulRestart's drain that phase's time.
        long timeout = Math.max(1000L, shutdownTimeout.toMillis() - 500L);
        jetty.setStopTimeout(timeout);
        LOG.info("Stopping: draining the connections (at most {} ms), then stopping Jetty", timeout);
        try
        {
            jetty.stop();
        }
        catch (Exception x)
        {
            LOG.warn("Stopping Jetty after the drain failed: {}", x.toString());
        }
    }

    @Override
    public boolean isRunning()
    {
        return running;
    }

    /** Just above Boot's graceful shutdown phase: stops (drains) right before it, starts right after the web server. */
    @Override
    public int getPhase()
    {
        return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1;
    }

    // ---- API -----------------------------------------------------------------------------------------------------

    /**
     * Starts a restart; see {@link GracefulRestart#restart()}.
     *
     * @return completes with the outcome; a failed one when Jetty is not (yet) running
     */
    public CompletableFuture<RestartOutcome> restart()
    {
        GracefulRestart current = restart;
        if (current == null || !current.isStarted())
            return CompletableFuture.failedFuture(new IllegalStateException("jetty-graceful is not running yet: the application is still starting, or is not on Boot's Jetty"));
        return current.restart();
    }

    /** @return the restart component, or null before Boot created its Jetty server */
    public GracefulRestart getGracefulRestart()
    {
        return restart;
    }

    /**
     * @return what a replacement runs before it reports ready: the application's {@link ReadinessCheck} bean, then the
     * {@code jetty.graceful.warm-up.*} warm-up (either alone when the other is absent; null when both are)
     */
    public ReadinessCheck effectiveReadinessCheck()
    {
        WarmUpReadinessCheck warmUp = properties.toConfiguration().getWarmUp().readinessCheck();
        if (readinessCheck == null)
            return warmUp;
        return readinessCheck.andThen(warmUp);
    }

    /** @return the connectors that replaced Boot's, in order */
    public List<InheritedServerConnector> getConnectors()
    {
        return connectors;
    }

    /** @return the longest a restart may take to end, from the trigger: the ready timeout plus the stopping of a failed replacement */
    public Duration getRestartTimeout()
    {
        return properties.getReadyTimeout().plus(properties.getKillGrace().multipliedBy(2)).plusSeconds(5);
    }
}
