package io.jettygraceful.internal.handoff;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.internal.inherit.ConnectionReceiver;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.inherit.InheritedEnvironment;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replacement's half of a restart, as its {@link io.jettygraceful.GracefulRestart} bean runs it ({@link HandoffProtocol}): from the
 * bean's start the handed-over connectors are paused, so that they accept nothing before the parent has committed;
 * once the server has started, the {@link TakeoverHandshake} runs on a thread of its own (readiness check,
 * {@code READY}, {@code GO}, {@code SERVING}, {@code DONE}).
 *
 * <p>On success the owner's {@code serving} hook runs. On any failure (the readiness check failed or threw, the parent
 * went away before {@code GO} in a way the handshake cannot serve through, the server failed to start) this JVM stops
 * its server and exits with status 1: the parent, which has not committed, keeps serving as if nothing happened. The
 * handshake owns the control socket and closes it; nothing here holds an fd.</p>
 */
public final class ReplacementTakeover
{
    private static final Logger LOG = LoggerFactory.getLogger(ReplacementTakeover.class);

    /** Set once this JVM's takeover has ended, either way: from then on no connector pauses itself (see {@link #awaitingGo()}). */
    private static volatile boolean ended;

    private final TakeoverHandshake handshake;
    private final InheritedSockets registry;
    private final AtomicBoolean begun = new AtomicBoolean();
    private volatile boolean pending = true;

    private ReplacementTakeover(TakeoverHandshake handshake, InheritedSockets registry)
    {
        this.handshake = handshake;
        this.registry = registry;
    }

    /**
     * @return the takeover of this process when a parent's restart started it ({@link InheritedSockets.Source#HANDOFF})
     * on a supported platform, its connectors now paused; null otherwise (a process started by hand or by systemd)
     */
    public static ReplacementTakeover ifReplacement(Os os, InheritedSockets registry, List<HandedOverConnector> connectors)
    {
        if (registry.source() != InheritedSockets.Source.HANDOFF || os == null)
            return null;
        TakeoverHandshake handshake = new TakeoverHandshake(os, registry.controlFd(), registry.parentPid(),
            InheritedEnvironment.original().get(HandoffProtocol.NICE));
        // The connectors are open but not started: keep them from accepting until the parent has committed.
        for (HandedOverConnector connector : connectors)
            connector.pauseForTakeover();
        return new ReplacementTakeover(handshake, registry);
    }

    /**
     * @return whether this JVM is a replacement whose parent has not yet said {@code GO} (and whose takeover has not
     * failed): a connector that starts now must not accept yet. A connector asks this itself when it starts, so a
     * framework that starts its connectors late (after the {@link io.jettygraceful.GracefulRestart} bean, as Spring Boot does) needs to
     * do nothing; the takeover resumes every connector still paused once {@code GO} came.
     */
    public static boolean awaitingGo()
    {
        if (ended || Os.current() == null)
            return false;
        try
        {
            return InheritedSockets.get().source() == InheritedSockets.Source.HANDOFF;
        }
        catch (InheritedSocketException x)
        {
            return false; // reported, with the fix, by the connector that adopts a socket
        }
    }

    /** @return true until the handshake has ended, either way */
    public boolean pending()
    {
        return pending;
    }

    /**
     * The server has started (its connectors are open and paused): runs the handshake on a daemon thread and returns.
     * Only the first call does anything.
     *
     * @param connectors read when the readiness is reported, the connectors that resume on {@code GO}
     * @param serving    run on that thread once this process serves as the new generation
     */
    public void serverStarted(Server server, ReadinessCheck readinessCheck, Supplier<List<HandedOverConnector>> connectors, Runnable serving)
    {
        if (!begun.compareAndSet(false, true))
            return;
        Thread thread = new Thread(() -> complete(server, readinessCheck, connectors, serving), "graceful-takeover");
        thread.setDaemon(true);
        thread.start();
    }

    /** The server failed to start: the parent is told why (it stops and reaps this process, and keeps serving). */
    public void serverFailed(Throwable cause)
    {
        if (!pending)
            return;
        pending = false;
        handshake.reportFailure("the server failed to start: " + cause);
    }

    /**
     * Starts the {@link ConnectionReceiver} on the connections channel the parent passed ({@link HandoffProtocol#CONNECTIONS_FD}),
     * if it passed one.
     */
    private void receiveConnections(Supplier<List<HandedOverConnector>> connectors)
    {
        String variable = InheritedEnvironment.original().get(HandoffProtocol.CONNECTIONS_FD);
        if (variable == null || variable.isBlank())
            return;
        try
        {
            ConnectionReceiver.startIfValid(handshake.os(), Integer.parseInt(variable.trim()), registry.parentPid(), connectors);
        }
        catch (NumberFormatException x)
        {
            LOG.warn("{}={} is not an fd: no connections will be moved in", HandoffProtocol.CONNECTIONS_FD, variable);
        }
    }

    private void complete(Server server, ReadinessCheck readinessCheck, Supplier<List<HandedOverConnector>> connectors, Runnable serving)
    {
        try
        {
            boolean go = handshake.reportReady(server, readinessCheck, connectors.get());
            pending = false;
            ended = true;
            // A connector that started after the readiness was reported paused itself (awaitingGo): resume it too.
            for (HandedOverConnector connector : connectors.get())
            {
                if (connector.isPausedForTakeover())
                    connector.resumeAccepting();
            }
            if (go)
                receiveConnections(connectors);
            LOG.info("Took over from parent pid {} as generation {}{}", registry.parentPid(), registry.generation(), go ? "" : " (parent gone)");
            serving.run();
        }
        catch (Throwable x)
        {
            pending = false;
            ended = true;
            LOG.error("Not ready to take over from parent pid {}: {}. Exiting; the parent keeps serving", registry.parentPid(), x.toString());
            // On a thread that is not a daemon: stopping the server lets main() return from join(), and the JVM must
            // not end (with 0) before the exit status says it failed.
            Thread exit = new Thread(() ->
            {
                try
                {
                    server.stop();
                }
                catch (Exception e)
                {
                    LOG.debug("stop after failed readiness", e);
                }
                System.exit(1);
            }, "graceful-takeover-failed");
            exit.setDaemon(false);
            exit.start();
        }
    }
}
