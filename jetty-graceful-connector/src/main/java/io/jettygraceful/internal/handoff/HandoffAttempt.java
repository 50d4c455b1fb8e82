package io.jettygraceful.internal.handoff;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.ControlChannel;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restart attempt, parent side: spawn the replacement with the listeners and a control socket, wait for its
 * readiness, and either commit (tell it to take over) or stop and reap it. Used once, on the restart thread.
 *
 * <p>Fds: the listener fds passed in stay owned by their connectors (the spawn dups them). The control socket pair is
 * created here; the child's end is closed right after the spawn, the parent's end when {@link #run()} returns.</p>
 */
public final class HandoffAttempt
{
    private static final Logger LOG = LoggerFactory.getLogger(HandoffAttempt.class);
    /** How often the wait for readiness also checks whether the child has exited. */
    private static final long POLL_SLICE_NANOS = 200_000_000L;

    private final Os os;
    private final List<String> argv;
    private final Map<String, String> env;
    private final List<Integer> listenerFds;
    private final Duration readyTimeout;
    private final Duration killGrace;
    private final IntConsumer onChildServing;
    private final int holderFd;
    private volatile int childPid;
    private volatile String abortReason;
    private boolean moveConnections;
    /** The parent's end of the connections channel, owned here until {@link #takeConnectionsChannel()}; -1 for none. */
    private int connectionsFd = -1;

    public HandoffAttempt(Os os, List<String> argv, Map<String, String> env, List<Integer> listenerFds, Duration readyTimeout, Duration killGrace, IntConsumer onChildServing)
    {
        this(os, argv, env, listenerFds, readyTimeout, killGrace, onChildServing, -1);
    }

    /**
     * @param holderFd the container holder's channel ({@link io.jettygraceful.internal.holder.HolderLink#passOnFd()}), passed to the child at the fd
     *                 after the control socket ({@link HandoffProtocol#HOLDER_FD}), or -1 for none; stays owned by the caller
     */
    public HandoffAttempt(Os os, List<String> argv, Map<String, String> env, List<Integer> listenerFds, Duration readyTimeout, Duration killGrace,
                   IntConsumer onChildServing, int holderFd)
    {
        this.holderFd = holderFd;
        this.os = os;
        this.argv = argv;
        this.env = env;
        this.listenerFds = listenerFds;
        this.readyTimeout = readyTimeout;
        this.killGrace = killGrace;
        this.onChildServing = onChildServing;
    }

    /**
     * Passes the replacement a connections channel ({@link HandoffProtocol#CONNECTIONS_FD}) over which established
     * connections can be moved to it once it has taken over. Call before {@link #run()}.
     */
    public HandoffAttempt withConnectionsChannel()
    {
        moveConnections = true;
        return this;
    }

    /**
     * @return after a successful {@link #run()}, the parent's end of the connections channel, now owned by the caller;
     * -1 when there is none (not asked for, or it could not be created)
     */
    public int takeConnectionsChannel()
    {
        int fd = connectionsFd;
        connectionsFd = -1;
        return fd;
    }

    /** @return the spawned child's pid, 0 before the spawn */
    public int childPid()
    {
        return childPid;
    }

    /**
     * Ends the attempt from another thread (the server is stopping): before the spawn it is not made; after, the wait
     * for readiness ends within one poll slice (200 ms) and the child is stopped and reaped as for any failure. No
     * effect once the child has confirmed {@code SERVING} and been told it is the main process ({@code DONE}).
     */
    public void abort(String reason)
    {
        abortReason = reason;
    }

    public RestartOutcome run()
    {
        long start = System.nanoTime();
        int[] pair;
        try
        {
            pair = os.socketPair();
        }
        catch (OsException x)
        {
            return RestartOutcome.failure(0, "cannot create the control socket: " + x.getMessage(), elapsed(start), null);
        }
        try (ControlChannel control = new ControlChannel(os, pair[0]))
        {
            Map<Integer, Integer> fdMap = new LinkedHashMap<>();
            for (int i = 0; i < listenerFds.size(); i++)
                fdMap.put(HandoffProtocol.LISTEN_FDS_START + i, listenerFds.get(i));
            fdMap.put(HandoffProtocol.LISTEN_FDS_START + listenerFds.size(), pair[1]);
            if (holderFd >= 0)
                fdMap.put(HandoffProtocol.holderFdOf(listenerFds.size()), holderFd);
            Map<String, String> childEnv = env;
            int[] connections = moveConnections ? connectionsPair() : null;
            if (connections != null)
            {
                int target = HandoffProtocol.connectionsFdOf(listenerFds.size());
                fdMap.put(target, connections[1]);
                childEnv = new LinkedHashMap<>(env);
                childEnv.put(HandoffProtocol.CONNECTIONS_FD, Integer.toString(target));
                connectionsFd = connections[0];
            }
            try
            {
                if (abortReason != null)
                    return closeConnections(RestartOutcome.failure(0, abortReason, elapsed(start), null)); // pair[1] closed below
                childPid = os.spawn(argv, childEnv, fdMap);
            }
            catch (OsException x)
            {
                String message = String.valueOf(x.getMessage());
                // LinuxOs names the program only when posix_spawnp itself fails, not when preparing the fds does.
                String reason = message.contains(argv.get(0)) ? message : "cannot start " + argv.get(0) + ": " + message;
                return closeConnections(RestartOutcome.failure(0, reason, elapsed(start), null));
            }
            finally
            {
                os.close(pair[1]);
                if (connections != null)
                    os.close(connections[1]);
            }
            LOG.info("Restart: started replacement pid {}: {}", childPid, String.join(" ", argv));
            return closeConnections(awaitReady(control, start));
        }
    }

    /** @return a new connections channel pair (parent's end, child's end), or null when it cannot be made: nothing is moved then */
    private int[] connectionsPair()
    {
        try
        {
            return os.seqPacketPair();
        }
        catch (OsException x)
        {
            LOG.warn("Restart: cannot create the connections channel ({}): connections will not be moved", x.getMessage());
            return null;
        }
    }

    /** Closes the parent's end of the connections channel unless {@code outcome} succeeded (then the caller takes it). */
    private RestartOutcome closeConnections(RestartOutcome outcome)
    {
        if (!outcome.succeeded() && connectionsFd >= 0)
        {
            os.close(connectionsFd);
            connectionsFd = -1;
        }
        return outcome;
    }

    private RestartOutcome awaitReady(ControlChannel control, long start)
    {
        long deadline = start + readyTimeout.toNanos();
        try
        {
            while (true)
            {
                ControlChannel.Received received = control.readLine(Math.min(deadline, System.nanoTime() + POLL_SLICE_NANOS));
                if (received instanceof ControlChannel.Line line)
                    return onMessage(control, line.text(), start);
                if (received instanceof ControlChannel.EndOfStream)
                    return fail("the replacement closed the control socket before it was ready (it exited or closed fd " +
                        (HandoffProtocol.LISTEN_FDS_START + listenerFds.size()) + ")", start);
                if (abortReason != null)
                    return fail(abortReason, start);
                ExitStatus exited = os.reap(childPid, false);
                if (exited != null)
                    return RestartOutcome.failure(childPid, "the replacement exited before it was ready", elapsed(start), exited);
                if (System.nanoTime() - deadline >= 0)
                    return fail("the replacement was not ready within the ready timeout of " + readyTimeout.toMillis() + " ms", start);
            }
        }
        catch (OsException x)
        {
            return fail("the control socket failed: " + x.getMessage(), start);
        }
    }

    private RestartOutcome onMessage(ControlChannel control, String message, long start) throws OsException
    {
        if (message.startsWith(HandoffProtocol.FAILED))
            return failOnItsOwn("the replacement failed to start: " + message.substring(HandoffProtocol.FAILED.length()).trim(), start);
        if (!message.startsWith(HandoffProtocol.READY + " "))
            return fail("the replacement sent an unexpected message '" + message + "'", start);
        int reportedPid;
        try
        {
            reportedPid = Integer.parseInt(message.substring(HandoffProtocol.READY.length()).trim());
        }
        catch (NumberFormatException x)
        {
            return fail("the replacement sent a READY without a pid: '" + message + "'", start);
        }
        if (reportedPid != childPid)
            LOG.info("Restart: spawned pid {} reports ready as pid {} (a launcher in between): {} is the new main process", childPid, reportedPid, reportedPid);

        if (abortReason != null)
            return fail(abortReason, start);
        // Let it accept, and hand over only once it says it does: a replacement that dies now leaves this process serving.
        control.writeLine(HandoffProtocol.GO);
        ControlChannel.Received answer = control.readLine(System.nanoTime() + killGrace.toNanos());
        if (!(answer instanceof ControlChannel.Line line) || !line.text().equals(HandoffProtocol.SERVING))
            return fail("the replacement did not confirm that it accepts after GO (" + describe(answer) + ")", start);
        if (abortReason != null)
            return fail(abortReason, start); // it drains what it accepted since GO when it gets SIGTERM
        onChildServing.accept(reportedPid);
        control.writeLine(HandoffProtocol.DONE);
        return RestartOutcome.success(reportedPid, elapsed(start));
    }

    private static String describe(ControlChannel.Received received)
    {
        if (received instanceof ControlChannel.Line line)
            return "it sent '" + line.text() + "'";
        return received instanceof ControlChannel.EndOfStream ? "it closed the control socket" : "no answer in time";
    }

    private RestartOutcome fail(String reason, long start)
    {
        Duration elapsed = elapsed(start);
        ExitStatus status = stopChild();
        return RestartOutcome.failure(childPid, reason, elapsed, status);
    }

    /**
     * A child that reported {@code FAILED} exits by itself (with its own status, typically 1): give it the kill grace
     * period to do so before stopping it like any other failed child.
     */
    private RestartOutcome failOnItsOwn(String reason, long start)
    {
        Duration elapsed = elapsed(start);
        return RestartOutcome.failure(childPid, reason, elapsed, stopChild(killGrace));
    }

    /**
     * Stops the child: SIGTERM (its JVM stops Jetty gracefully, so connections it accepted are finished), then SIGKILL
     * after the kill grace period. Always reaps it.
     */
    public ExitStatus stopChild()
    {
        return stopChild(Duration.ZERO);
    }

    /** As {@link #stopChild()}, after giving the child {@code ownExit} to exit by itself. */
    private ExitStatus stopChild(Duration ownExit)
    {
        int pid = childPid;
        if (pid <= 0)
            return null;
        try
        {
            ExitStatus status = awaitExit(pid, ownExit);
            if (status != null)
                return status;
            os.signal(pid, Os.Signal.TERM);
            status = awaitExit(pid, killGrace);
            if (status != null)
                return status;
            LOG.warn("Restart: replacement pid {} did not stop within {} ms of SIGTERM: sending SIGKILL", pid, killGrace.toMillis());
            os.signal(pid, Os.Signal.KILL);
            return os.reap(pid, true);
        }
        catch (OsException x)
        {
            LOG.warn("Restart: cannot stop or reap replacement pid {}: {}", pid, x.getMessage());
            return null;
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            try
            {
                os.signal(pid, Os.Signal.KILL);
                return os.reap(pid, true);
            }
            catch (OsException e)
            {
                return null;
            }
        }
    }

    /** Reaps {@code pid} if it exits within {@code within} (checked at once, then every 20 ms); @return null if not */
    private ExitStatus awaitExit(int pid, Duration within) throws OsException, InterruptedException
    {
        long deadline = System.nanoTime() + within.toNanos();
        while (true)
        {
            ExitStatus status = os.reap(pid, false);
            if (status != null || System.nanoTime() - deadline >= 0)
                return status;
            Thread.sleep(20);
        }
    }

    private static Duration elapsed(long start)
    {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
