package io.jettygraceful.dropwizard;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import io.dropwizard.core.Configuration;
import io.dropwizard.core.ConfiguredBundle;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.logging.common.LoggingFactory;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Zero-downtime restarts for a Dropwizard application, configured from a {@code gracefulRestart:} block
 * ({@link GracefulRestartFactory}). Use it with connectors of type {@code inherited-http} / {@code inherited-https}:
 *
 * <pre>{@code
 * public void initialize(Bootstrap<AppConfiguration> bootstrap) {
 *     bootstrap.addBundle(new GracefulRestartBundle<>(AppConfiguration::getGracefulRestart));
 * }
 * }</pre>
 *
 * <p>What it does, in {@code run}: when Dropwizard starts its {@link Server} (a lifecycle listener on the server, so
 * before any connector opens), it adds a {@link GracefulRestart} bean built from the configuration, and puts a
 * {@link HandoffGracefulHandler} in place of Dropwizard's {@link GracefulHandler} (which would answer 503 to requests
 * arriving during a handoff's drain). It registers the admin task {@code POST /tasks/graceful-restart}
 * ({@link GracefulRestartTask}), the health check {@code graceful-restart} ({@link LastRestartHealthCheck}) and metrics
 * ({@link RestartMetrics}).</p>
 *
 * <p>A process that handed over drains, then stops its server, which stops every {@code Managed} object (they are
 * beans of the server), runs Dropwizard's cleanup, and exits with status 0 ({@link ExitAfterDrain}). A real stop
 * (SIGTERM, Ctrl-C) is Dropwizard's own, within {@code server.shutdownGracePeriod}.</p>
 */
public class GracefulRestartBundle<T extends Configuration> implements ConfiguredBundle<T>
{
    private final Function<T, GracefulRestartFactory> settings;
    private final List<RestartListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ReadinessCheck readinessCheck;
    private volatile GracefulRestart restart;

    /** @param settings the {@code gracefulRestart:} block of the configuration, e.g. {@code AppConfiguration::getGracefulRestart} */
    public GracefulRestartBundle(Function<T, GracefulRestartFactory> settings)
    {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * @param check run in a replacement once its server started, before it tells the parent it is ready (warm-up,
     *              a check of the application's health); the parent keeps serving when it throws. The
     *              {@code gracefulRestart.warmUp} requests, if any, run after it.
     * @return this bundle
     */
    public GracefulRestartBundle<T> readinessCheck(ReadinessCheck check)
    {
        this.readinessCheck = check;
        GracefulRestart attached = restart;
        if (attached != null)
            attached.setReadinessCheck(check);
        return this;
    }

    /**
     * @return what a replacement runs before it reports ready: {@link #readinessCheck(ReadinessCheck)}'s check, then the
     * {@code gracefulRestart.warmUp} requests (either alone when the other is absent; null when both are, or before the
     * server starts)
     */
    public ReadinessCheck effectiveReadinessCheck()
    {
        ReadinessCheck own = readinessCheck;
        GracefulRestart attached = restart;
        ReadinessCheck warmUp = attached == null ? null : attached.getConfiguration().getWarmUp().readinessCheck();
        return own == null ? warmUp : own.andThen(warmUp);
    }

    /** @return this bundle; {@code listener} hears of every restart phase (see {@link RestartListener}) */
    public GracefulRestartBundle<T> addRestartListener(RestartListener listener)
    {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        GracefulRestart attached = restart;
        if (attached != null)
            attached.addRestartListener(listener);
        return this;
    }

    /** @return the server's GracefulRestart (to call {@code restart()}, read the generation), or null before the server starts */
    public GracefulRestart getGracefulRestart()
    {
        return restart;
    }

    @Override
    public void run(T configuration, Environment environment)
    {
        GracefulRestartFactory factory = Objects.requireNonNull(settings.apply(configuration),
            "the gracefulRestart settings of the configuration are null. Fix: add a gracefulRestart: block, or initialise the field");
        environment.lifecycle().addEventListener(new LifeCycle.Listener()
        {
            @Override
            public void lifeCycleStarting(LifeCycle event)
            {
                if (event instanceof Server server && restart == null)
                    attach(server, factory, environment, configuration.getLoggingFactory());
            }
        });
        environment.admin().addTask(new GracefulRestartTask(this::attached));
        environment.healthChecks().register(LastRestartHealthCheck.NAME, new LastRestartHealthCheck(this::attached));
    }

    private void attach(Server server, GracefulRestartFactory factory, Environment environment, LoggingFactory logging)
    {
        GracefulRestart graceful = factory.build(server);
        // The configuration's warm-up (gracefulRestart.warmUp) runs after it.
        graceful.setReadinessCheck(readinessCheck);
        graceful.addRestartListener(new RestartMetrics(environment.metrics(), graceful));
        for (RestartListener listener : listeners)
            graceful.addRestartListener(listener);
        graceful.addRestartListener(new ExitAfterDrain(environment.lifecycle(), logging));
        Handler handler = server.getHandler();
        if (handler instanceof GracefulHandler dropwizards && handler.getClass() == GracefulHandler.class)
        {
            Handler inner = dropwizards.getHandler();
            dropwizards.setHandler((Handler) null);
            HandoffGracefulHandler replacement = new HandoffGracefulHandler(graceful::isHandedOff);
            replacement.setHandler(inner);
            server.setHandler(replacement);
        }
        restart = graceful;
        server.addBean(graceful, true);
    }

    private GracefulRestart attached()
    {
        GracefulRestart attached = restart;
        if (attached == null)
            throw new IllegalStateException("the server has not started yet: no GracefulRestart attached");
        return attached;
    }
}
