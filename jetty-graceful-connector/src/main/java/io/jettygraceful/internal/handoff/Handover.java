package io.jettygraceful.internal.handoff;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.internal.drain.ConnectionDrain;
import io.jettygraceful.internal.drain.ConnectionMover;
import io.jettygraceful.internal.drain.DrainCustomizer;
import io.jettygraceful.internal.holder.ContainerHolder;
import io.jettygraceful.internal.holder.HolderLink;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.supervise.RestartListeners;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replaced process's side of a restart, from the moment its replacement has taken over ({@code SERVING}, then
 * {@code DONE} sent) to its end: the overlap ({@link ConnectionDrain#overlap}), then stop accepting and tell the
 * listeners (systemd's {@code READY=1}), the drain ({@link ConnectionDrain#closeGently}) while watching the
 * replacement for the take-back window, Jetty's graceful stop, the outcome line, and the end (exit 0, or hold the
 * container). Runs once, on the restart thread; {@link #stopRequested} may come from any other thread.
 *
 * <p>If the replacement dies (see {@link #crashed}) during the overlap or the take-back window, this process takes
 * its sockets back and serves on ({@link Owner#tookBack}); in the overlap it never stopped accepting, so only the
 * gradual move is undone. Whatever else goes wrong, the process still ends: the replacement serves.</p>
 */
public final class Handover
{
    private static final Logger LOG = LoggerFactory.getLogger(Handover.class);

    /** What the {@link io.jettygraceful.GracefulRestart} that started the restart keeps track of. */
    public interface Owner
    {
        /** The replacement died and this process serves again: count and remember {@code failure}. */
        void tookBack(RestartOutcome failure);

        /** The handover is over: this process has drained, and is about to end (or, without exit, its server stopped). */
        void ended();
    }

    /** The settings of the restart, as they were when it committed. */
    public record Settings(Duration spread, Duration drainTimeout, Duration takeBackWindow, Duration webSocketCloseSpread, boolean exitAfterDrain)
    {
    }

    private final Os os;
    private final Server server;
    private final ConnectionDrain drain;
    private final DrainCustomizer customizer;
    private final RestartListeners listeners;
    private final ContainerHolder holder;
    private final HolderLink holderLink;
    private final Settings settings;
    private final Owner owner;
    /** Moves idle connections to the replacement during the overlap and the drain; null when they are not moved. */
    private final ConnectionMover mover;
    private volatile long closedBefore;
    private final CountDownLatch drainedGently = new CountDownLatch(1);
    private volatile boolean stopRequested;

    public Handover(Os os, Server server, ConnectionDrain drain, DrainCustomizer customizer, RestartListeners listeners, ContainerHolder holder,
             HolderLink holderLink, Settings settings, ConnectionMover mover, Owner owner)
    {
        this.mover = mover;
        this.os = os;
        this.server = server;
        this.drain = drain;
        this.customizer = customizer;
        this.listeners = listeners;
        this.holder = holder;
        this.holderLink = holderLink;
        this.settings = settings;
        this.owner = owner;
    }

    /**
     * Runs the handover to its end. Returns only when this process took its sockets back, or does not exit after a
     * drain ({@code exitAfterDrain} false); a container holder never returns.
     */
    public void run(List<HandedOverConnector> connectors, RestartOutcome outcome, int childPid)
    {
        closedBefore = closedConnections(connectors);
        // Connections busy all through the overlap get the take-back window (at most half the drain timeout) to move too.
        drain.moveConnectionsWith(mover, Math.min(settings.takeBackWindow().toNanos(), settings.drainTimeout().toNanos() / 2));
        try
        {
            ExitStatus exitedInOverlap = null;
            long overlapStart = System.nanoTime();
            if (!settings.spread().isZero() && !stopRequested)
            {
                ExitStatus[] childExit = new ExitStatus[1];
                boolean ended = drain.overlap(connectors, settings.spread().toNanos(), () -> stopRequested, () ->
                {
                    childExit[0] = reapQuietly(childPid);
                    return childExit[0] != null;
                });
                if (ended)
                    LOG.info("Restart: overlap of {} ms ended: replacement pid {} ended with {}", settings.spread().toMillis(), childPid, childExit[0]);
                if (ended && crashed(childExit[0]) && takeBack(connectors, outcome, childExit[0], false))
                    return;
                exitedInOverlap = childExit[0];
            }
            // Stop accepting before the listeners hear of the success: systemd ends a reload job at the READY=1 this
            // sends, and a client that connects once `systemctl reload` has returned must reach the replacement.
            drain.stopAccepting(connectors);
            LOG.info("Restart: pid {} no longer accepts, after an overlap of {} ms{}; {} connection(s) moved over by Connection: close",
                os.pid(), (System.nanoTime() - overlapStart) / 1_000_000L,
                stopRequested ? " (cut short by a stop)" : exitedInOverlap != null ? " (the replacement ended)" : "", customizer.movedDuringSpread());
            listeners.outcome(outcome);
            drainAndEnd(connectors, outcome, childPid, exitedInOverlap);
        }
        catch (Throwable x)
        {
            // The replacement serves: whatever broke the drain, this process must not linger with a dead restart thread.
            LOG.error("Drain failed after the handover to pid {}: {}; stopping and exiting anyway", outcome.childPid(), x.toString());
            try
            {
                server.stop();
            }
            catch (Throwable ignored)
            {
                // exiting regardless
            }
            owner.ended();
            end();
        }
        finally
        {
            endMoving();
            drainedGently.countDown();
        }
    }

    /** @return connections moved to the replacement so far */
    public long connectionsMoved()
    {
        return mover == null ? 0 : mover.moved();
    }

    /**
     * @return connections of the handed-over connectors that ended in this process since the handover began, not
     * moved: closed by either side (a client's own close counts, as do Connection: close, idle close, GOAWAY, the final stop)
     */
    public long connectionsClosed()
    {
        return Math.max(0, closedConnections(drain.connectors()) - closedBefore - connectionsMoved());
    }

    private static long closedConnections(List<HandedOverConnector> connectors)
    {
        return connectors.stream().mapToLong(HandedOverConnector::closedConnections).sum();
    }

    /** No more moving: the connections channel is closed (the replacement's receiver ends). */
    private void endMoving()
    {
        drain.moveConnectionsWith(null);
        if (mover != null)
            mover.close();
    }

    /**
     * A real stop (SIGTERM, {@code server.stop()}) of this process, on another thread than the restart thread: the
     * overlap ends now, and this waits (at most the drain timeout) until the gentle drain is over, so that Jetty's
     * graceful stop never closes connections under responses that do not say {@code Connection: close}.
     */
    public void stopRequested()
    {
        stopRequested = true;
        try
        {
            if (!drainedGently.await(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS))
                LOG.warn("Stopping: the drain after the handover has not ended within {} ms", settings.drainTimeout().toMillis());
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Drains in two phases. First the {@link ConnectionDrain}: stop accepting, answer every HTTP/1 request with
     * {@code Connection: close} until the connections are gone or the drain timeout has passed, while watching the
     * replacement for the take-back window ({@link #takeBack}; not again when it already exited in the overlap). Then
     * Jetty's graceful stop ends the rest within what is left of the drain timeout, at least one second. Logs the
     * outcome line, then ends the process ({@link #end}).
     */
    private void drainAndEnd(List<HandedOverConnector> connectors, RestartOutcome outcome, int childPid, ExitStatus exitedInOverlap)
    {
        long start = System.nanoTime();
        long inFlightAtHandoff = customizer.inFlight();
        Duration drainTimeout = settings.drainTimeout();
        long deadline = start + drainTimeout.toNanos();
        int connectionsAtStart = drain.openConnections();
        ExitStatus[] childExit = {exitedInOverlap};
        long watchUntil = exitedInOverlap != null ? start : start + Math.min(settings.takeBackWindow().toNanos(), drainTimeout.toNanos());
        long webSocketSpread = Math.min(settings.webSocketCloseSpread().toNanos(), drainTimeout.toNanos() / 2);
        drain.closeGently(connectors, deadline, watchUntil, () ->
        {
            if (childExit[0] != null)
                return false;
            ExitStatus exited = reapQuietly(childPid);
            if (exited == null)
                return false;
            childExit[0] = exited;
            return crashed(exited);
        }, webSocketSpread);
        drainedGently.countDown();
        if (exitedInOverlap == null && childExit[0] != null && crashed(childExit[0]) && takeBack(connectors, outcome, childExit[0], true))
            return;
        if (childExit[0] != null && holderLink != null)
            holderLink.ended(outcome.childPid(), childExit[0]); // the serving process ended, and nobody serves: the holder must know how

        endMoving();
        int left = drain.openConnections();
        server.setStopTimeout(Math.max(1000L, (deadline - System.nanoTime()) / 1_000_000L));
        try
        {
            server.stop();
        }
        catch (Throwable x)
        {
            LOG.warn("Drain: stopping the server failed: {}", x.toString());
        }
        LOG.info("Restart: pid {} moved {} connection(s) to pid {} and closed {}{}", os.pid(), connectionsMoved(), outcome.childPid(), connectionsClosed(),
            mover == null ? " (moving connections is off)" : mover.takenBack() > 0 ? "; " + mover.takenBack() + " taken back" : "");
        long arrived = customizer.requestsDuringDrain();
        Duration drainTime = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("Restart succeeded: pid {} -> pid {}, handoff {} ms, drain {} ms, {} request(s) drained ({} in flight at handoff, {} arrived during the drain), " +
                "{} connection(s) open at handoff, {} left to the final stop; {}",
            os.pid(), outcome.childPid(), outcome.handoffTime().toMillis(), drainTime.toMillis(),
            inFlightAtHandoff + arrived, inFlightAtHandoff, arrived, connectionsAtStart, left,
            holder != null ? "holding the container" : settings.exitAfterDrain() ? "exiting" : "server stopped");
        owner.ended();
        listeners.drained(outcome, drainTime);
        end();
    }

    /**
     * The end of a process that handed over and drained (or failed to): a container holder holds, and never returns;
     * otherwise the JVM exits 0 unless {@code exitAfterDrain} is false.
     */
    private void end()
    {
        if (holder != null)
            holder.hold(settings.drainTimeout()); // never returns: exits with the serving generation's status
        if (settings.exitAfterDrain())
            System.exit(0);
    }

    /**
     * The replacement died (see {@link #crashed}) after it had taken over, while this process still overlapped or
     * drained: take the listening sockets back and serve on, rather than leave nobody accepting. Supervisors are
     * pointed back at this process (the listeners' outcome: the PID file; under systemd this process never stopped
     * being the main pid, see {@link io.jettygraceful.internal.protocol.HandoffProtocol}).
     *
     * @param stoppedAccepting whether the connectors had stopped accepting (the drain), or still accept (the overlap,
     *                         which has already undone its gradual move)
     * @return true when this process serves again
     */
    private boolean takeBack(List<HandedOverConnector> connectors, RestartOutcome handedOver, ExitStatus childExit, boolean stoppedAccepting)
    {
        try
        {
            if (stoppedAccepting)
                drain.resume(connectors); // the overlap undid its own gradual move when it saw the replacement end
        }
        catch (Throwable x)
        {
            LOG.error("Restart: replacement pid {} died after it took over ({}), and this process cannot take the sockets back: {}. Draining and exiting",
                handedOver.childPid(), childExit, x.toString());
            return false;
        }
        endMoving();
        if (holder != null)
            holder.stopHolding();
        else if (holderLink != null)
            holderLink.serving(os.pid());
        for (HandedOverConnector connector : connectors)
            connector.setServing(true);
        RestartOutcome outcome = RestartOutcome.failure(handedOver.childPid(), "the replacement died after it took over; pid " + os.pid() +
            " took the sockets back", handedOver.handoffTime(), childExit);
        owner.tookBack(outcome);
        LOG.warn("Restart failed: replacement pid {} died after it took over ({}); pid {} took the sockets back and keeps serving",
            handedOver.childPid(), childExit, os.pid());
        listeners.outcome(outcome);
        return true;
    }

    /**
     * @return whether a replacement that ended this way died (killed by a signal, or an error exit) rather than was
     * stopped on purpose (0, or 129/130/143: the JVM's clean exit after SIGHUP, SIGINT, SIGTERM)
     */
    public static boolean crashed(ExitStatus status)
    {
        if (status.signal() != 0)
            return true;
        int code = status.code();
        return code != 0 && code != 129 && code != 130 && code != 143;
    }

    private ExitStatus reapQuietly(int pid)
    {
        try
        {
            return pid > 0 ? os.reap(pid, false) : null;
        }
        catch (OsException x)
        {
            return null;
        }
    }
}
