package io.jettygraceful;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.jettygraceful.os.Os;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.ManagedOperation;
import org.eclipse.jetty.util.annotation.Name;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero-downtime restart of a Jetty {@link Server}: a lifecycle bean that, when triggered (by a signal, SIGHUP by
 * default, or by {@link #restart()}), starts a replacement JVM that inherits every listening socket of the server's
 * {@link HandedOverConnector}s ({@link InheritedServerConnector} for TCP, {@link InheritedUnixDomainConnector} for
 * Unix-domain sockets), waits until the replacement is ready, then stops accepting, drains in-flight
 * requests and exits. If the replacement fails in any way (cannot start, exits, reports a failure, is not ready in
 * time), it is stopped and reaped, and this process keeps serving as if nothing happened.
 *
 * <pre>{@code
 * Server server = new Server();
 * server.addConnector(new InheritedServerConnector(server));
 * server.addBean(new GracefulRestart(server));
 * }</pre>
 *
 * <p>In the replacement, the same bean performs the other half of {@link HandoffProtocol}: its connectors do not
 * accept until the parent has committed, so a replacement that is stopped for being late never held a request.</p>
 *
 * <p>Usually a managed bean of its server, started with it. It may also be started on a server that is already started
 * ({@code server.addBean(restart, true); restart.start();}: frameworks such as Spring Boot start the server before they
 * start its connectors one by one): it then takes the server as started at once, so start it only once the connectors
 * are started. In a replacement, such a framework must
 * call {@link InheritedServerConnector#pauseForTakeover()} on each connector before it starts, because this bean can
 * no longer do it in time.</p>
 *
 * <p>Only one restart runs at a time; a trigger during one is refused with a log line. A replacement may restart
 * again as soon as it has taken over, while its predecessor still drains. On an unsupported platform (not Linux)
 * the server runs normally and every restart fails with a reason saying so.</p>
 */
@ManagedObject("Zero-downtime restart: hands the listening sockets to a replacement JVM, then drains and exits")
public class GracefulRestart extends AbstractLifeCycle
{
    private static final Logger LOG = LoggerFactory.getLogger(GracefulRestart.class);

    private final Server server;
    private final RestartListeners listeners = new RestartListeners();
    private final AtomicReference<HandoffAttempt> inProgress = new AtomicReference<>();
    private final AtomicInteger succeeded = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final LifeCycle.Listener serverListener = new ServerListener();
    private final DrainCustomizer drainCustomizer = new DrainCustomizer();
    private final ConnectionDrain drain;

    private volatile String signal = "HUP";
    private volatile Duration readyTimeout = Duration.ofSeconds(60);
    private volatile Duration drainTimeout = Duration.ofSeconds(30);
    private volatile Duration killGrace = Duration.ofSeconds(5);
    private volatile List<String> command;
    private volatile ReadinessCheck readinessCheck;
    private volatile boolean exitAfterDrain = true;
    private volatile boolean drainOnStop = true;
    private volatile Duration takeBackWindow = Duration.ofSeconds(2);
    private volatile Duration handoverSpread = Duration.ofSeconds(1);
    private volatile int replacementNice = 5;
    /** The handover after the last restart that committed, while this process has handed over; else null. */
    private volatile Handover handover;
    /** The counts of the last handover that ended with a take-back. */
    private volatile long lastConnectionsMoved;
    private volatile long lastConnectionsClosed;
    private volatile Duration webSocketCloseSpread = Duration.ofSeconds(5);
    private volatile String pidFile;
    private volatile boolean systemdNotify = true;
    private volatile boolean systemdFdStore;
    private volatile ContainerHolder.Mode holderMode = ContainerHolder.Mode.AUTO;
    private volatile boolean moveConnections = true;

    private volatile Os os;
    private volatile InheritedSockets registry;
    /** The replacement's half of the restart that started this process, or null for a first process. */
    private volatile ReplacementTakeover takeover;
    private volatile SignalTrigger trigger;
    private volatile boolean serving;
    private volatile boolean handedOff;
    private volatile RestartOutcome lastOutcome;
    private volatile Thread restartThread;
    private volatile ClassPreloader.Background preloader;
    /** This process as the container's holder, or null (see {@link ContainerHolder}). */
    private volatile ContainerHolder holder;
    /** The holder channel: the holder itself, a later generation's inherited end, or null without a holder. */
    private volatile HolderLink holderLink;

    public GracefulRestart(@Name("server") Server server)
    {
        this.server = Objects.requireNonNull(server, "server");
        this.drain = new ConnectionDrain(server, drainCustomizer);
    }

    // ---- configuration -------------------------------------------------------------------------------------------

    /**
     * @param signal the signal that triggers a restart: {@code HUP} (default), {@code USR1}, {@code USR2} (logged
     *               warning: it breaks HotSpot's suspend/resume) or {@code none} for API-only restarts
     */
    public void setSignal(String signal)
    {
        this.signal = signal == null || signal.isBlank() ? "none" : signal;
    }

    @ManagedAttribute("Signal that triggers a restart (HUP, USR1, USR2 or none)")
    public String getSignal()
    {
        return signal;
    }

    /** @param timeout how long a replacement may take to report ready before it is stopped; default 60 s */
    public void setReadyTimeout(Duration timeout)
    {
        this.readyTimeout = positive(timeout, "readyTimeout");
    }

    public Duration getReadyTimeout()
    {
        return readyTimeout;
    }

    /** For jetty.xml: {@link #setReadyTimeout(Duration)} in milliseconds. */
    public void setReadyTimeoutMillis(long millis)
    {
        setReadyTimeout(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds a replacement may take to report ready")
    public long getReadyTimeoutMillis()
    {
        return readyTimeout.toMillis();
    }

    /**
     * @param timeout how long this process, once replaced, keeps serving its in-flight requests (requests arriving on
     *                its open connections meanwhile are served too, with {@code Connection: close}); connections still
     *                open after it are closed; default 30 s
     */
    public void setDrainTimeout(Duration timeout)
    {
        this.drainTimeout = positive(timeout, "drainTimeout");
    }

    public Duration getDrainTimeout()
    {
        return drainTimeout;
    }

    /** For jetty.xml: {@link #setDrainTimeout(Duration)} in milliseconds. */
    public void setDrainTimeoutMillis(long millis)
    {
        setDrainTimeout(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds a replaced process drains in-flight requests")
    public long getDrainTimeoutMillis()
    {
        return drainTimeout.toMillis();
    }

    /** @param grace how long a failed replacement gets to exit after SIGTERM before SIGKILL; default 5 s */
    public void setKillGrace(Duration grace)
    {
        this.killGrace = positive(grace, "killGrace");
    }

    public Duration getKillGrace()
    {
        return killGrace;
    }

    /** For jetty.xml: {@link #setKillGrace(Duration)} in milliseconds. */
    public void setKillGraceMillis(long millis)
    {
        setKillGrace(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds a failed replacement gets to exit after SIGTERM before SIGKILL")
    public long getKillGraceMillis()
    {
        return killGrace.toMillis();
    }

    /**
     * @param command the replacement's command line, e.g. a launcher script that ends in {@code exec java …}; {@code null}
     *                (default) runs this JVM's own command line again (see {@link ReplacementCommand})
     */
    public void setCommand(List<String> command)
    {
        this.command = command == null || command.isEmpty() ? null : List.copyOf(command);
    }

    @ManagedAttribute("Replacement command line; null runs this JVM's own command line")
    public List<String> getCommand()
    {
        return command;
    }

    /** @param check run in a replacement after its server started, before it reports ready; default none */
    public void setReadinessCheck(ReadinessCheck check)
    {
        this.readinessCheck = check;
    }

    /**
     * @param exit whether this process calls {@code System.exit(0)} once drained (default true; shutdown hooks run).
     *             With false it only stops the server, and the application decides. A container holder
     *             ({@link #setHolder(String)}) neither exits nor returns after the drain: it holds.
     */
    public void setExitAfterDrain(boolean exit)
    {
        this.exitAfterDrain = exit;
    }

    @ManagedAttribute("Whether this process exits (System.exit(0)) once drained after a handoff")
    public boolean isExitAfterDrain()
    {
        return exitAfterDrain;
    }

    /**
     * @param path a file to keep the serving process's pid in (see {@link PidFile}), or {@code null} (default) for
     *             none; checked when this bean starts: an unwritable location fails the start
     */
    public void setPidFile(String path)
    {
        this.pidFile = path == null || path.isBlank() ? null : path;
    }

    @ManagedAttribute("File holding the serving process's pid, null for none")
    public String getPidFile()
    {
        return pidFile;
    }

    /**
     * @param notify whether to speak systemd's notify protocol when {@code NOTIFY_SOCKET} is set (default true; see
     *               {@link SystemdNotifier})
     */
    public void setSystemdNotify(boolean notify)
    {
        this.systemdNotify = notify;
    }

    @ManagedAttribute("Whether systemd's notify protocol is spoken when NOTIFY_SOCKET is set")
    public boolean isSystemdNotify()
    {
        return systemdNotify;
    }

    /**
     * @param store whether a first generation stores the listening sockets it bound itself in systemd's fd store
     *              ({@code FDSTORE=1}, {@code FDNAME=} the connector's socket name, else {@code port-<port>}) once it
     *              serves, so that they stay open across {@code systemctl restart} and a crash followed by
     *              {@code Restart=}: connections wait in the backlog instead of being refused. Needs
     *              {@code FileDescriptorStoreMax=} above 0 in the unit. Default false, but on by itself when systemd
     *              254+ says the store is there ({@code $FDSTORE} above 0). Sockets systemd passed in (a socket unit,
     *              or the store itself) are never stored again.
     */
    public void setSystemdFdStore(boolean store)
    {
        this.systemdFdStore = store;
    }

    @ManagedAttribute("Whether listening sockets this process bound are kept in systemd's fd store (also on when $FDSTORE > 0)")
    public boolean isSystemdFdStore()
    {
        return systemdFdStore;
    }

    /**
     * @param drain whether a real stop of the server (SIGTERM, {@code server.stop()}) drains like a handoff first:
     *              stop accepting, answer HTTP/1 requests with {@code Connection: close} until the connections are gone
     *              or the server's stop timeout has passed, then Jetty's graceful stop; default true. Needs a stop
     *              timeout above 0 ({@code Server.setStopTimeout}); with 0 the stop aborts as Jetty does.
     */
    public void setDrainOnStop(boolean drain)
    {
        this.drainOnStop = drain;
    }

    @ManagedAttribute("Whether a real stop drains like a handoff first (Connection: close until the connections are gone)")
    public boolean isDrainOnStop()
    {
        return drainOnStop;
    }

    /**
     * @param window how long, at least, a process that handed over stays able to take its sockets back should the
     *               replacement die (within the drain timeout); default 2 s; zero to exit as soon as drained
     */
    public void setTakeBackWindow(Duration window)
    {
        if (window == null || window.isNegative())
            throw new IllegalArgumentException("takeBackWindow must be zero or positive, was " + window);
        this.takeBackWindow = window;
    }

    public Duration getTakeBackWindow()
    {
        return takeBackWindow;
    }

    /** For jetty.xml: {@link #setTakeBackWindow(Duration)} in milliseconds. */
    public void setTakeBackWindowMillis(long millis)
    {
        setTakeBackWindow(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds a replaced process stays able to take its sockets back if the replacement dies")
    public long getTakeBackWindowMillis()
    {
        return takeBackWindow.toMillis();
    }

    /**
     * @param spread the overlap of a handover: once the replacement serves, this process goes on accepting for this
     *               long while it moves its connections over one by one, each at its own moment in the window (an
     *               HTTP/1 keep-alive connection by {@code Connection: close} on its next response; an HTTP/2
     *               session by GOAWAY), so the cold replacement takes the load at an even rate instead
     *               of all at once; then it stops accepting and drains. Default 1 s; zero moves every connection at
     *               once, as soon as the replacement serves. Under systemd, {@code READY=1} (the end of the reload)
     *               comes at the end of the window. See {@link HandoffProtocol}, "The overlap".
     */
    public void setHandoverSpread(Duration spread)
    {
        if (spread == null || spread.isNegative())
            throw new IllegalArgumentException("handoverSpread must be zero or positive, was " + spread +
                ". Fix: a duration such as 1s, or 0 to move every connection as soon as the replacement serves");
        this.handoverSpread = spread;
    }

    public Duration getHandoverSpread()
    {
        return handoverSpread;
    }

    /** For jetty.xml: {@link #setHandoverSpread(Duration)} in milliseconds. */
    public void setHandoverSpreadMillis(long millis)
    {
        setHandoverSpread(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds both processes accept after a handover while the old one moves its connections over one by one")
    public long getHandoverSpreadMillis()
    {
        return handoverSpread.toMillis();
    }

    /**
     * @param increment how much nicer (lower CPU priority) the replacement runs while it starts, 0 to 19; default 5.
     *                  Its JVM start then takes less CPU from this process, which serves meanwhile; on GO, before it
     *                  accepts, the replacement goes back to this process's priority. Applies only where a process may
     *                  lower a nice value again (CAP_SYS_NICE, or RLIMIT_NICE: {@code LimitNICE=} under systemd);
     *                  elsewhere the replacement starts at this process's priority, and the first restart logs why.
     *                  0 turns it off. See {@link HandoffProtocol}, "Priority of the child".
     * @throws IllegalArgumentException outside 0 to 19
     */
    public void setReplacementNice(int increment)
    {
        if (increment < 0 || increment > 19)
            throw new IllegalArgumentException("replacementNice must be 0 to 19 (how much nicer the replacement starts), was " + increment +
                ". Fix: 5 (the default), or 0 to start the replacement at this process's priority");
        this.replacementNice = increment;
    }

    @ManagedAttribute("How much nicer (lower CPU priority) a replacement runs until it is told to accept, 0 for not at all")
    public int getReplacementNice()
    {
        return replacementNice;
    }

    /**
     * @param mode whether the first process stays after it handed over, as the container's holder ({@link ContainerHolder}):
     *             {@code auto} (default) when this JVM is PID 1 of its PID namespace; {@code always} when it must not
     *             exit although it is not PID 1 (the child of tini, dumb-init, {@code docker run --init}); {@code never}.
     *             A holder forwards SIGTERM, SIGINT and SIGHUP to the serving generation, reaps orphans, and exits with
     *             the serving generation's status. Only a first generation holds; replacements ignore the setting.
     * @throws IllegalArgumentException for any other value, naming the three
     */
    public void setHolder(String mode)
    {
        this.holderMode = ContainerHolder.Mode.parse(mode);
    }

    @ManagedAttribute("Whether the first process stays after a handoff, as the container's holder: auto (when PID 1), always, never")
    public String getHolder()
    {
        return holderMode.name().toLowerCase(java.util.Locale.ROOT);
    }

    @ManagedAttribute("Whether this process has handed over and now holds the container (forwards signals to the serving generation)")
    public boolean isHolding()
    {
        ContainerHolder current = holder;
        return current != null && current.isHolding();
    }

    /**
     * @param spread the window over which a replaced process closes its WebSocket sessions with 1012 (Service
     *               Restart), each at its own moment, so the replacement gets the reconnects spread out rather than at
     *               one instant; default 5 s; zero closes them all at once. At most half the drain timeout is used, so
     *               the close handshakes end within it. A real stop closes them with 1001 at once.
     */
    public void setWebSocketCloseSpread(Duration spread)
    {
        if (spread == null || spread.isNegative())
            throw new IllegalArgumentException("webSocketCloseSpread must be zero or positive, was " + spread);
        this.webSocketCloseSpread = spread;
    }

    public Duration getWebSocketCloseSpread()
    {
        return webSocketCloseSpread;
    }

    /** For jetty.xml: {@link #setWebSocketCloseSpread(Duration)} in milliseconds. */
    public void setWebSocketCloseSpreadMillis(long millis)
    {
        setWebSocketCloseSpread(Duration.ofMillis(millis));
    }

    @ManagedAttribute("Milliseconds over which a replaced process closes its WebSocket sessions with 1012 (Service Restart)")
    public long getWebSocketCloseSpreadMillis()
    {
        return webSocketCloseSpread.toMillis();
    }

    /**
     * @param move whether a replaced process moves its idle plain HTTP/1.1 connections to the replacement (their
     *             sockets stay open: the clients never reconnect) instead of closing them with {@code Connection: close}
     *             or after a second of silence; default true. TLS, HTTP/2, WebSocket and PROXY-protocol connections are
     *             closed as before either way. See {@link HandoffProtocol}, "Moving connections".
     */
    public void setMoveConnections(boolean move)
    {
        this.moveConnections = move;
    }

    @ManagedAttribute("Whether a replaced process moves its idle plain HTTP/1.1 connections to the replacement (else it closes them)")
    public boolean isMoveConnections()
    {
        return moveConnections;
    }

    @ManagedAttribute("Connections the last handover of this process moved to the replacement (their clients did not reconnect)")
    public long getConnectionsMoved()
    {
        Handover current = handover;
        return current != null ? current.connectionsMoved() : lastConnectionsMoved;
    }

    @ManagedAttribute("Connections the last handover of this process closed (Connection: close, idle close, GOAWAY, final stop) instead of moving them")
    public long getConnectionsClosed()
    {
        Handover current = handover;
        return current != null ? current.connectionsClosed() : lastConnectionsClosed;
    }

    public void addRestartListener(RestartListener listener)
    {
        listeners.add(listener);
    }

    public void removeRestartListener(RestartListener listener)
    {
        listeners.remove(listener);
    }

    // ---- state ---------------------------------------------------------------------------------------------------

    @ManagedAttribute("1 for a process started by hand or by systemd, parent's + 1 after a restart")
    public int getGeneration()
    {
        InheritedSockets sockets = registry;
        return sockets == null ? 1 : sockets.generation();
    }

    @ManagedAttribute("Pid of the process this one took over from, 0 when none")
    public int getParentPid()
    {
        InheritedSockets sockets = registry;
        return sockets == null ? 0 : sockets.parentPid();
    }

    /**
     * @return whether the classes and native calls a restart needs have been loaded since the start (in the background,
     * a few hundred ms): from then on the application's jar may be overwritten in place ({@code cp new.jar app.jar})
     * before a restart; see {@link ClassPreloader}
     */
    @ManagedAttribute("Whether what a restart needs is loaded, so that the jar may now be overwritten in place (cp) before a restart")
    public boolean isRestartPathLoaded()
    {
        ClassPreloader.Background preload = preloader;
        return preload != null && preload.isDone();
    }

    @ManagedAttribute("Whether a restart is in progress")
    public boolean isRestarting()
    {
        return inProgress.get() != null;
    }

    @ManagedAttribute("Whether this process has handed over to a replacement (it is draining or about to exit)")
    public boolean isHandedOff()
    {
        return handedOff;
    }

    @ManagedAttribute("Restarts that succeeded from this process")
    public int getRestartsSucceeded()
    {
        return succeeded.get();
    }

    @ManagedAttribute("Restarts that failed in this process")
    public int getRestartsFailed()
    {
        return failed.get();
    }

    @ManagedAttribute("Requests received and not yet completed, on the handed-over connectors")
    public long getRequestsInFlight()
    {
        return drainCustomizer.inFlight();
    }

    @ManagedAttribute("Outcome of the last restart tried in this process")
    public String getLastResult()
    {
        RestartOutcome outcome = lastOutcome;
        return outcome == null ? "none" : outcome.toString();
    }

    /** @return the last restart's outcome in this process, or {@code null} when none was tried */
    public RestartOutcome getLastOutcome()
    {
        return lastOutcome;
    }

    /** @return why restarts cannot work on this platform, or {@code null} when they can */
    public static String unsupportedReason()
    {
        return Os.unsupportedReason();
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------------

    @Override
    protected void doStart() throws Exception
    {
        SignalTrigger kept = trigger;
        trigger = null;
        if (kept != null)
            kept.uninstall(); // kept installed by a stop after a handover (see doStop): start from the JVM's handling again
        os = Os.current();
        // Before a deploy can overwrite the jar in place: the restart path must never need to read it again. In the
        // background, so as not to delay the start; a restart waits for it (startRestart).
        preloader = ClassPreloader.startInBackground(os);
        registry = InheritedSockets.get();
        serving = false;
        handedOff = false;
        drainCustomizer.stopDraining();
        if (holderLink == null)
        {
            holder = ContainerHolder.forFirstProcess(os, holderMode, registry);
            holderLink = holder != null ? holder : HolderLink.inherited(os, registry, InheritedEnvironment.original());
        }
        // Once per process: a bean started again after the takeover does not take over a second time.
        if (takeover == null)
            takeover = ReplacementTakeover.ifReplacement(os, registry, connectors());
        List<RestartListener> supervisors = Supervisors.forStart(os, pidFile, systemdNotify, systemdFdStore, registry, this::connectors);
        listeners.setSupervisors(supervisors);
        InheritedEnvironment.hideFromChildProcesses(os);
        for (HandedOverConnector connector : connectors())
        {
            // Every HttpConnectionFactory in the connector's tree, also one wrapped by another factory that holds it as a
            // bean (Dropwizard's InstrumentedConnectionFactory), which getConnectionFactory(Class) does not see.
            for (HttpConnectionFactory http : connector.getContainedBeans(HttpConnectionFactory.class))
            {
                if (!http.getHttpConfiguration().getCustomizers().contains(drainCustomizer))
                    http.getHttpConfiguration().addCustomizer(drainCustomizer);
            }
        }
        server.addEventListener(serverListener);
        try
        {
            String signalName = signal;
            if (!"NONE".equals(SignalTrigger.normalize(signalName)))
            {
                if (os == null)
                    LOG.warn("Zero-downtime restart is unsupported here ({}): SIG{} will not restart this server", Os.unsupportedReason(), SignalTrigger.normalize(signalName));
                else
                    trigger = SignalTrigger.install(signalName, this::onSignal, os);
            }
        }
        catch (RuntimeException x)
        {
            server.removeEventListener(serverListener);
            throw x;
        }
        super.doStart();
        // Added to a server that already runs (a framework that starts its server first and its connectors later, as
        // Spring Boot does): the server's started event is over, so take the server as started now.
        if (server.isStarted())
            serverListener.lifeCycleStarted(server);
    }

    @Override
    protected void doStop() throws Exception
    {
        SignalTrigger installed = trigger;
        // A process that handed over stops its server while it drains, then exits. Restoring the JVM's own handling of
        // the signal here would let a late SIGHUP (a storm, a deploy script retrying) run the shutdown hooks and end the
        // draining process with 129 instead of 0: keep the handler, which refuses ("already handed over").
        if (installed != null && !handedOff)
        {
            trigger = null;
            installed.uninstall();
        }
        abortAttempt();
        server.removeEventListener(serverListener);
        // Only a process that serves as the service stops the service: not one that handed over, nor a replacement
        // stopped before it took over.
        if (serving && !handedOff)
            listeners.stopping();
        super.doStop();
    }

    private void onSignal()
    {
        LOG.info("Restart requested by {}", trigger == null ? "signal" : trigger.name());
        restart();
    }

    /**
     * A real stop while a replacement is starting: the attempt fails ("the server is stopping"), its child is stopped
     * and reaped, and this returns once the restart thread has ended (at most the kill grace period twice, plus a
     * second). Nothing to do once this process has handed over, nor on the restart thread itself (its drain stops the
     * server).
     */
    private void abortAttempt()
    {
        HandoffAttempt attempt = inProgress.get();
        Thread thread = restartThread;
        if (attempt == null || handedOff || thread == null || thread == Thread.currentThread())
            return;
        attempt.abort("the server is stopping");
        try
        {
            thread.join(2 * killGrace.toMillis() + 1000L);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
            LOG.warn("Stopping: the restart in progress (replacement pid {}) has not ended yet", attempt.childPid());
    }

    private final class ServerListener implements LifeCycle.Listener
    {
        @Override
        public void lifeCycleStopping(LifeCycle event)
        {
            // A real stop of a serving process (not a handoff's drain, not a replacement that never took over).
            if (event == server)
                abortAttempt();
            if (event == server && handedOff && Thread.currentThread() != restartThread)
            {
                // A real stop of a process that handed over: end its overlap, and let the drain finish first.
                Handover committed = handover;
                if (committed != null)
                    committed.stopRequested();
                return;
            }
            long stopTimeout = server.getStopTimeout();
            if (event != server || !drainOnStop || !serving || handedOff || stopTimeout <= 0)
                return;
            long start = System.nanoTime();
            drain.closeGently(connectors(), start + stopTimeout * 1_000_000L);
            long left = Math.max(1000L, stopTimeout - (System.nanoTime() - start) / 1_000_000L);
            server.setStopTimeout(left);
            LOG.info("Stopping: drained in {} ms, {} request(s) arrived during the drain, {} connection(s) left to the graceful stop",
                (System.nanoTime() - start) / 1_000_000L, drainCustomizer.requestsDuringDrain(), openConnections());
        }

        @Override
        public void lifeCycleStarted(LifeCycle event)
        {
            ReplacementTakeover replacement = takeover;
            if (replacement == null || !replacement.pending())
                markServing();
            else
                replacement.serverStarted(server, readinessCheck, GracefulRestart.this::connectors, GracefulRestart.this::markServing);
        }

        @Override
        public void lifeCycleFailure(LifeCycle event, Throwable cause)
        {
            ReplacementTakeover replacement = takeover;
            if (replacement != null && event == server)
                replacement.serverFailed(cause);
        }
    }

    private void markServing()
    {
        serving = true;
        HolderLink link = holderLink;
        if (link != null && holder == null)
            link.serving(os.pid());
        for (HandedOverConnector connector : connectors())
            connector.setServing(true);
        listeners.serving();
    }

    // ---- restart -------------------------------------------------------------------------------------------------

    /**
     * Starts a restart and returns at once.
     *
     * @return completes when the restart has succeeded (the replacement is ready and has taken over; this process then
     * drains and exits) or failed (this process keeps serving); never completes exceptionally
     */
    @ManagedOperation(value = "Restart with zero downtime", impact = "ACTION")
    public CompletableFuture<RestartOutcome> restart()
    {
        try
        {
            return startRestart();
        }
        catch (Throwable x)
        {
            // Whatever went wrong on the way in (a class that can no longer be loaded, an OutOfMemoryError, a bug), the
            // trigger still ends in an outcome: logged, counted, told to systemd and the listeners, and returned.
            return failBeforeSpawn("unexpected error: " + x);
        }
    }

    private CompletableFuture<RestartOutcome> failBeforeSpawn(String reason)
    {
        RestartOutcome outcome = RestartOutcome.failure(0, reason, Duration.ZERO, null);
        lastOutcome = outcome;
        failed.incrementAndGet();
        LOG.warn("Restart failed: pid {} keeps serving; {}", os != null ? os.pid() : ProcessHandle.current().pid(), reason);
        listeners.restartStarting();
        listeners.outcome(outcome);
        return CompletableFuture.completedFuture(outcome);
    }

    private CompletableFuture<RestartOutcome> startRestart() throws InterruptedException
    {
        ClassPreloader.Background preload = preloader;
        if (preload != null)
            preload.await(10_000L);
        String refusal = refusal();
        if (refusal != null)
            return refuse(refusal);
        List<HandedOverConnector> connectors = connectors().stream().filter(c -> c.getAcceptFd() >= 0).toList();
        if (connectors.isEmpty())
            return refuse("no open InheritedServerConnector or InheritedUnixDomainConnector in " + server + ": nothing to hand over");
        List<String> argv;
        try
        {
            argv = command != null ? command : ReplacementCommand.currentCommandLine();
        }
        catch (IOException x)
        {
            // A failure, not a refusal: logged, counted and reported like any other (e.g. no fd left to read /proc).
            return failBeforeSpawn("cannot read this JVM's command line to start the replacement: " + x.getMessage());
        }
        for (Connector connector : server.getConnectors())
        {
            if (!(connector instanceof HandedOverConnector) && (connector instanceof org.eclipse.jetty.server.NetworkConnector ||
                connector.getTransport() instanceof java.nio.channels.ServerSocketChannel))
                LOG.warn("Restart: {} is neither an InheritedServerConnector nor an InheritedUnixDomainConnector: its socket is not handed over, and the replacement must bind its own", connector);
        }
        List<Integer> fds = connectors.stream().map(HandedOverConnector::getAcceptFd).toList();
        HolderLink link = holderLink;
        int holderFd = link == null ? -1 : link.passOnFd();
        ReplacementPriority priority = ReplacementPriority.forSpawn(os, replacementNice);
        Map<String, String> env = ReplacementCommand.environment(InheritedEnvironment.original(), connectors, os.pid(), registry.generation(),
            holderFd >= 0, priority);
        HandoffAttempt attempt = new HandoffAttempt(os, argv, env, fds, readyTimeout, killGrace, listeners::childReady, holderFd);
        if (moveConnections)
            attempt.withConnectionsChannel();
        if (!inProgress.compareAndSet(null, attempt))
        {
            HandoffAttempt running = inProgress.get();
            return refuse("a restart is already in progress" + (running != null && running.childPid() > 0 ? " (replacement pid " + running.childPid() + ")" : ""));
        }
        CompletableFuture<RestartOutcome> result = new CompletableFuture<>();
        // Not a daemon, whatever thread triggered it (a signal handler thread is one): the drain stops the server, which
        // lets main() return from Server.join(); a daemon thread would then die with the JVM before it logged the
        // outcome and exited through System.exit(0).
        Thread thread = new Thread(() -> runRestart(attempt, priority, connectors, result), "graceful-restart");
        thread.setDaemon(false);
        restartThread = thread;
        try
        {
            thread.start();
        }
        catch (Throwable x)
        {
            inProgress.compareAndSet(attempt, null);
            throw x;
        }
        return result;
    }

    private CompletableFuture<RestartOutcome> refuse(String reason)
    {
        LOG.warn("Restart refused: {}", reason);
        listeners.refused(reason);
        return CompletableFuture.completedFuture(RestartOutcome.failure(0, reason, Duration.ZERO, null));
    }

    private String refusal()
    {
        if (handedOff)
        {
            RestartOutcome last = lastOutcome;
            return "this process has already handed over to a replacement" + (last != null ? " (pid " + last.childPid() + ")" : "") +
                " and is draining; restart that one (under systemd: reload again once it is the main pid)";
        }
        // before os: it is null until this bean starts, which says nothing about the platform
        if (!isStarted() || !server.isStarted())
            return "the server is not running (" + server.getState() + ")";
        if (os == null)
            return "zero-downtime restart is unsupported here: " + Os.unsupportedReason();
        if (!serving)
            return "this process is still taking over from its parent pid " + registry.parentPid() + "; try again once it serves";
        if (Supervisors.underSystemd(os, systemdNotify) && pidFile == null)
            return "running under systemd (NOTIFY_SOCKET is set) without a PID file. " + Supervisors.PID_FILE_FIX;
        return null;
    }

    private void runRestart(HandoffAttempt attempt, ReplacementPriority priority, List<HandedOverConnector> connectors, CompletableFuture<RestartOutcome> result)
    {
        listeners.restartStarting();
        RestartOutcome outcome;
        try
        {
            // The replacement inherits the spawning thread's nice value: this thread's, for the attempt.
            if (priority != null)
                priority.lowerCallingThread(os);
            outcome = attempt.run();
        }
        catch (Throwable x)
        {
            attempt.stopChild();
            outcome = RestartOutcome.failure(attempt.childPid(), "unexpected error: " + x, Duration.ZERO, null);
        }
        finally
        {
            if (priority != null)
                priority.restoreCallingThread(os);
        }
        lastOutcome = outcome;
        if (!outcome.succeeded())
        {
            failed.incrementAndGet();
            LOG.warn("Restart failed: pid {} {}; {} after {} ms{}", os.pid(), server.isRunning() && !server.isStopping() ? "keeps serving" : "is stopping",
                outcome.reason(), outcome.handoffTime().toMillis(),
                outcome.childPid() > 0 ? "; replacement pid " + outcome.childPid() + (outcome.childExit() != null ? " ended with " + outcome.childExit() : "") : "");
            inProgress.set(null);
            result.complete(outcome);
            listeners.outcome(outcome);
            return;
        }
        Handover.Settings settings = new Handover.Settings(handoverSpread, drainTimeout, takeBackWindow, webSocketCloseSpread, exitAfterDrain);
        int connectionsFd = attempt.takeConnectionsChannel();
        ConnectionMover mover = connectionsFd >= 0 ? new ConnectionMover(os, connectionsFd, connectors) : null;
        Handover[] self = new Handover[1];
        Handover committed = new Handover(os, server, drain, drainCustomizer, listeners, holder, holderLink, settings, mover, new Handover.Owner()
        {
            @Override
            public void tookBack(RestartOutcome failure)
            {
                lastConnectionsMoved = self[0].connectionsMoved();
                lastConnectionsClosed = self[0].connectionsClosed();
                handedOff = false;
                handover = null;
                lastOutcome = failure;
                succeeded.decrementAndGet();
                failed.incrementAndGet();
                inProgress.set(null);
            }

            @Override
            public void ended()
            {
                inProgress.set(null);
            }
        });
        self[0] = committed;
        handover = committed; // before handedOff: a real stop that sees handedOff finds the handover to wait for
        handedOff = true;
        for (HandedOverConnector connector : connectors)
            connector.setServing(false);
        succeeded.incrementAndGet();
        LOG.info("Restart: pid {} took over after {} ms; {}draining (timeout {} ms)", outcome.childPid(), outcome.handoffTime().toMillis(),
            handoverSpread.isZero() ? "" : "both accept while connections move over for " + handoverSpread.toMillis() + " ms, then ", drainTimeout.toMillis());
        ContainerHolder containerHolder = holder;
        if (containerHolder != null)
            containerHolder.startHolding(outcome.childPid());
        result.complete(outcome);
        committed.run(connectors, outcome, attempt.childPid());
    }

    private List<HandedOverConnector> connectors()
    {
        return drain.connectors();
    }

    private int openConnections()
    {
        return drain.openConnections();
    }

    private static Duration positive(Duration duration, String name)
    {
        if (duration == null || duration.isNegative() || duration.isZero())
            throw new IllegalArgumentException(name + " must be a positive duration, was " + duration);
        return duration;
    }
}
