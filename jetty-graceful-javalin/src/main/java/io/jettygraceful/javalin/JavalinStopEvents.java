package io.jettygraceful.javalin;

import io.javalin.config.JavalinState;
import io.javalin.event.EventManager;
import io.javalin.event.JavalinLifecycleEvent;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Javalin's {@code serverStopping} / {@code serverStopped} events for a stop of its server that does not go through
 * {@code app.stop()}: the stop that ends a process after it handed over and drained, and the stop at JVM shutdown
 * (SIGTERM, Ctrl-C) that the plugin asks Jetty for. Around such a stop they fire as {@code app.stop()} fires them:
 * {@code serverStopping} before the server stops (before the drain of a real stop), {@code serverStopped} once it has
 * stopped, {@code serverStopFailed} when the stop fails; each once.
 *
 * <p>A stop through {@code app.stop()} is Javalin's own: it fires the events itself, and this listener then stays
 * silent (it learns of it from Javalin's own {@code serverStopping}, which fires before the server stops). Nothing
 * fires for a server that never finished starting (Javalin's failed start stops its server and fires
 * {@code serverStartFailed}).</p>
 */
final class JavalinStopEvents implements LifeCycle.Listener
{
    private static final Logger LOG = LoggerFactory.getLogger(JavalinStopEvents.class);

    private final Server server;
    private final EventManager events;
    private volatile boolean started;
    private volatile boolean javalinStopping;
    private volatile boolean fired;

    private JavalinStopEvents(Server server, EventManager events)
    {
        this.server = server;
        this.events = events;
    }

    /** Listens to {@code server}'s lifecycle and to Javalin's own {@code serverStopping}. */
    static void install(Server server, JavalinState state)
    {
        JavalinStopEvents bridge = new JavalinStopEvents(server, state.eventManager);
        // Registered through Javalin's own events: app.stop() fires serverStopping before it stops the server.
        state.events.serverStopping(() -> bridge.javalinStopping = true);
        server.addEventListener(bridge);
    }

    @Override
    public void lifeCycleStarted(LifeCycle event)
    {
        if (event == server)
            started = true;
    }

    @Override
    public void lifeCycleStopping(LifeCycle event)
    {
        if (event != server || !started || javalinStopping || fired)
            return;
        fired = true;
        LOG.info("Stopping Javalin ...");
        events.fireEvent(JavalinLifecycleEvent.SERVER_STOPPING);
    }

    @Override
    public void lifeCycleStopped(LifeCycle event)
    {
        if (event != server || !fired)
            return;
        LOG.info("Javalin has stopped");
        events.fireEvent(JavalinLifecycleEvent.SERVER_STOPPED);
    }

    @Override
    public void lifeCycleFailure(LifeCycle event, Throwable cause)
    {
        if (event == server && fired && server.isStopping())
            events.fireEvent(JavalinLifecycleEvent.SERVER_STOP_FAILED);
    }
}
