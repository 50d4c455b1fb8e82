package io.jettygraceful.javalin;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import io.javalin.config.JavalinState;
import io.javalin.http.sse.SseClient;
import io.javalin.plugin.Plugin;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InvalidSettingException;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero-downtime restarts for a Javalin 7 application, in one line:
 *
 * <pre>{@code
 * Javalin.create(config -> {
 *     config.registerPlugin(new GracefulRestartPlugin(graceful -> graceful.getRestart().setDrainTimeout(Duration.ofSeconds(20))));
 *     config.routes.get("/", ctx -> ctx.result("hello"));
 * }).start(8080);
 * }</pre>
 *
 * <p>{@code kill -HUP <pid>} (or {@link #restart()}) then starts a replacement JVM that inherits the listening sockets,
 * waits until it is ready, and this process drains and exits 0.</p>
 *
 * <p>What it does, through Javalin's own hooks ({@code config.jetty.modifyServer}, {@code config.events}):</p>
 * <ul>
 * <li>When Javalin starts its Jetty {@link Server} (a lifecycle listener on the server, so after Javalin and the SSL
 *     plugin added their connectors and before any opens), every {@code ServerConnector} is replaced by an
 *     {@link InheritedServerConnector} with the same host, port, connection factories (TLS, ALPN, HTTP/2, the
 *     {@code HttpConfiguration}) and settings ({@link InheritedConnectors}); then the {@link GracefulRestart} bean, with
 *     the {@linkplain Config#getRestart() restart settings}, is added to the server.</li>
 * <li>A process that handed over drains, then its server stops and Javalin's {@code serverStopping} and
 *     {@code serverStopped} events fire as for {@code app.stop()} ({@link JavalinStopEvents}); then it exits 0.</li>
 * <li>A real stop drains the library's way first ({@code drainOnStop}): {@code app.stop()}, and SIGTERM / Ctrl-C, for
 *     which the plugin asks Jetty to stop the server at JVM shutdown ({@link Config#setStopAtShutdown}), with Javalin's
 *     events. The server's stop timeout, when Javalin left it at 0, becomes {@link Config#getStopTimeout()}.</li>
 * <li>WebSockets are closed with 1012 (Service Restart) at a restart by the library; Server-Sent Events streams
 *     registered through {@link #sse(Consumer)} end cleanly once the replacement serves.</li>
 * </ul>
 *
 * <p>A setting that cannot work fails where it is set, inside {@code Javalin.create}, with an exception naming the
 * setting, the value and the fix; a PID file that cannot be written fails the start ({@code app.start()}).</p>
 */
public class GracefulRestartPlugin extends Plugin<GracefulRestartPlugin.Config>
{
    private static final Logger LOG = LoggerFactory.getLogger(GracefulRestartPlugin.class);

    private final SseClients sseClients = new SseClients();
    private volatile GracefulRestart restart;
    private volatile List<InheritedServerConnector> connectors = List.of();

    /** The plugin with the default settings. */
    public GracefulRestartPlugin()
    {
        this(config -> {});
    }

    /** @param userConfig sets the plugin's {@link Config} (called once, here) */
    public GracefulRestartPlugin(Consumer<Config> userConfig)
    {
        super(Objects.requireNonNull(userConfig, "userConfig"), new Config());
    }

    @Override
    public String name()
    {
        return "jetty-graceful";
    }

    /** Checks the settings as a whole inside {@code Javalin.create}: a setting that cannot work fails there, not at start. */
    @Override
    public void onInitialize(JavalinState state)
    {
        pluginConfig.getRestart().validate();
    }

    @Override
    public void onStart(JavalinState state)
    {
        Config config = pluginConfig;
        state.jetty.modifyServer(server ->
        {
            JavalinStopEvents.install(server, state);
            if (config.isStopAtShutdown())
                server.setStopAtShutdown(true);
            server.addEventListener(new LifeCycle.Listener()
            {
                @Override
                public void lifeCycleStarting(LifeCycle event)
                {
                    if (event == server && restart == null)
                        attach(server, config);
                }
            });
        });
    }

    /** On the server's start, once every connector is there: the inherited connectors, then the restart bean. */
    private void attach(Server server, Config config)
    {
        List<InheritedServerConnector> replaced = InheritedConnectors.replace(server, config.isInheritRequired());
        if (replaced.isEmpty())
            LOG.warn("No ServerConnector on {}: nothing will be handed over on restart", server);
        GracefulRestart created = new GracefulRestart(server, config.getRestart());
        created.setReadinessCheck(config.getReadinessCheck());
        created.addRestartListener(new RestartListener()
        {
            @Override
            public void restartSucceeded(RestartOutcome outcome)
            {
                sseClients.closeAll();
            }
        });
        config.getRestartListeners().forEach(created::addRestartListener);
        if (server.getStopTimeout() <= 0)
            server.setStopTimeout(config.getStopTimeout().toMillis());
        connectors = List.copyOf(replaced);
        restart = created;
        server.addBean(created, true);
    }

    /**
     * Starts a restart; see {@link GracefulRestart#restart()}.
     *
     * @return completes with the outcome; a failed one before Javalin's server has started
     */
    public CompletableFuture<RestartOutcome> restart()
    {
        GracefulRestart current = restart;
        if (current == null || !current.isStarted())
            return CompletableFuture.failedFuture(new IllegalStateException("jetty-graceful is not running yet: Javalin's server has not started"));
        return current.restart();
    }

    /** @return the server's restart component (generation, parent pid, counters), or null before Javalin's server starts */
    public GracefulRestart getGracefulRestart()
    {
        return restart;
    }

    /** @return the connectors that replaced Javalin's, in order (empty before the server starts) */
    public List<InheritedServerConnector> getConnectors()
    {
        return connectors;
    }

    /**
     * An event stream that ends cleanly at a restart: use it around an SSE handler,
     * {@code config.routes.sse("/events", graceful.sse(client -> { client.keepAlive(); ... }))}. Once the replacement
     * serves, every client still open is closed ({@link SseClient#close()}): its response ends normally and the browser
     * reconnects, to the replacement, instead of holding this process's drain until the drain timeout.
     *
     * @return {@code handler}, tracking each client it is given
     */
    public Consumer<SseClient> sse(Consumer<SseClient> handler)
    {
        return sseClients.track(Objects.requireNonNull(handler, "handler"));
    }

    /** Ends every tracked event stream, as a restart does once the replacement serves: for tests. */
    void endSseStreams()
    {
        sseClients.closeAll();
    }

    /** Open SSE clients tracked by {@link #sse(Consumer)}: for tests. */
    int openSseClients()
    {
        return sseClients.size();
    }

    /** The plugin's settings: the library's restart settings, and how the plugin fits Javalin. */
    public static final class Config
    {
        private final GracefulRestartConfiguration restart = new GracefulRestartConfiguration();
        private final List<RestartListener> listeners = new CopyOnWriteArrayList<>();
        private volatile boolean inheritRequired;
        private volatile boolean stopAtShutdown = true;
        private volatile Duration stopTimeout;
        private volatile ReadinessCheck readinessCheck;

        /**
         * @return the library's settings of the restart itself (signal, readyTimeout, drainTimeout, pidFile, warmUp, ...),
         * each checked as it is set; the plugin's {@link GracefulRestart} acts on this very object
         */
        public GracefulRestartConfiguration getRestart()
        {
            return restart;
        }

        /**
         * @param required whether every connector must adopt an inherited socket (systemd socket activation, a
         *                 restart) rather than bind its own; default false
         */
        public Config setInheritRequired(boolean required)
        {
            this.inheritRequired = required;
            return this;
        }

        public boolean isInheritRequired()
        {
            return inheritRequired;
        }

        /**
         * @param stop whether a JVM shutdown (SIGTERM, Ctrl-C) stops Javalin's server (Jetty's stop-at-shutdown),
         *             draining first and firing Javalin's stop events; default true. Javalin alone does not stop its
         *             server at JVM shutdown.
         */
        public Config setStopAtShutdown(boolean stop)
        {
            this.stopAtShutdown = stop;
            return this;
        }

        public boolean isStopAtShutdown()
        {
            return stopAtShutdown;
        }

        /**
         * @param timeout how long a real stop ({@code app.stop()}, SIGTERM) may drain: the server's stop timeout, set
         *                when Javalin's server has none (0); default the restart's {@code drainTimeout}
         * @throws InvalidSettingException when not positive
         */
        public Config setStopTimeout(Duration timeout)
        {
            if (timeout == null || timeout.isNegative() || timeout.isZero())
                throw new InvalidSettingException("stopTimeout", timeout, "a real stop needs time to drain",
                    "a positive duration such as Duration.ofSeconds(30), or leave it unset for the drainTimeout");
            this.stopTimeout = timeout;
            return this;
        }

        public Duration getStopTimeout()
        {
            Duration timeout = stopTimeout;
            return timeout != null ? timeout : restart.getDrainTimeout();
        }

        /**
         * @param check runs in a replacement once its server started, before it reports ready (a check of the
         *              application's health, a warm-up of its own), and before the configuration's warm-up
         *              ({@code getRestart().getWarmUp()}); the parent keeps serving when it throws
         */
        public Config setReadinessCheck(ReadinessCheck check)
        {
            this.readinessCheck = check;
            return this;
        }

        public ReadinessCheck getReadinessCheck()
        {
            return readinessCheck;
        }

        /** @param listener hears of every restart phase (see {@link RestartListener}) */
        public Config addRestartListener(RestartListener listener)
        {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        List<RestartListener> getRestartListeners()
        {
            return listeners;
        }
    }
}
