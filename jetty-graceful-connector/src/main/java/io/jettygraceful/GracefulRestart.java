package io.jettygraceful;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.jettygraceful.internal.drain.ConnectionDrain;
import io.jettygraceful.internal.drain.ConnectionMover;
import io.jettygraceful.internal.drain.DrainCustomizer;
import io.jettygraceful.internal.handoff.ClassPreloader;
import io.jettygraceful.internal.handoff.HandoffAttempt;
import io.jettygraceful.internal.handoff.Handover;
import io.jettygraceful.internal.handoff.ReplacementCommand;
import io.jettygraceful.internal.handoff.ReplacementPriority;
import io.jettygraceful.internal.handoff.ReplacementTakeover;
import io.jettygraceful.internal.handoff.SignalTrigger;
import io.jettygraceful.internal.holder.ContainerHolder;
import io.jettygraceful.internal.holder.HolderLink;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.inherit.InheritedEnvironment;
import io.jettygraceful.internal.mavenplugin.PluginTokenFile;
import io.jettygraceful.internal.mavenplugin.StopPortHandover;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import io.jettygraceful.internal.supervise.RestartListeners;
import io.jettygraceful.internal.supervise.Supervisors;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.ManagedOperation;
import org.eclipse.jetty.util.annotation.Name;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
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
 * GracefulRestartConfiguration config = new GracefulRestartConfiguration();
 * config.setPidFile("/run/app/app.pid");
 * server.addBean(new GracefulRestart(server, config));
 * }</pre>
 *
 * <p>In the replacement, the same bean performs the other half of {@link HandoffProtocol}: its connectors do not
 * accept until the parent has committed, so a replacement that is stopped for being late never held a request.</p>
 *
 * <p>Usually a managed bean of its server, started with it. It may also be started on a server that is already started
 * ({@code server.addBean(restart, true); restart.start();}: frameworks such as Spring Boot start the server before they
 * start its connectors one by one): it then takes the server as started at once, so start it only once the connectors
 * are started. In a replacement, connectors that start before the parent said {@code GO} pause themselves, so
 * such a framework needs to do nothing more.</p>
 *
 * <p>Its settings are a {@link GracefulRestartConfiguration}, shown as a bean of this one; they are validated when
 * this bean starts and read again at each restart.</p>
 *
 * <p>Only one restart runs at a time; a trigger during one is refused with a log line. A replacement may restart
 * again as soon as it has taken over, while its predecessor still drains. On an unsupported platform (not Linux)
 * the server runs normally and every restart fails with a reason saying so.</p>
 */
@ManagedObject("Zero-downtime restart: hands the listening sockets to a replacement JVM, then drains and exits")
public class GracefulRestart extends ContainerLifeCycle
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

    private final GracefulRestartConfiguration configuration;
    private volatile ReadinessCheck readinessCheck;
    /** What a replacement runs before it reports ready: the application's check, then the configured warm-up; or null. */
    private volatile ReadinessCheck startupCheck;
    /** The handover after the last restart that committed, while this process has handed over; else null. */
    private volatile Handover handover;
    /** The counts of the last handover that ended with a take-back. */
    private volatile long lastConnectionsMoved;
    private volatile long lastConnectionsClosed;

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

    /** A restart with the default settings: change them through {@link #getConfiguration()}. */
    public GracefulRestart(@Name("server") Server server)
    {
        this(server, new GracefulRestartConfiguration());
    }

    /**
     * @param configuration the settings, read when this bean starts (validated then) and when each restart starts;
     *                      shown as a bean of this one (dump, JMX)
     */
    public GracefulRestart(@Name("server") Server server, @Name("configuration") GracefulRestartConfiguration configuration)
    {
        this.server = Objects.requireNonNull(server, "server");
        this.configuration = Objects.requireNonNull(configuration, "configuration");
        this.drain = new ConnectionDrain(server, drainCustomizer);
        addBean(configuration);
        // jetty-maven-plugin and jetty-home: each generation creates the plugin's token file anew, and the serving
        // generation answers the stop port. Both act before the server starts, so they listen from construction on.
        server.addEventListener(new PluginTokenFile(server));
        StopPortHandover stopPort = new StopPortHandover(server);
        server.addEventListener(stopPort);
        listeners.add(stopPort);
    }

    // ---- configuration -------------------------------------------------------------------------------------------

    /** @return the settings this bean acts on (the same object, also while it runs: a change applies to the next restart) */
    public GracefulRestartConfiguration getConfiguration()
    {
        return configuration;
    }

    /**
     * @param check run in a replacement after its server started, before it reports ready (before the configuration's
     *              warm-up, if any); default none
     */
    public void setReadinessCheck(ReadinessCheck check)
    {
        this.readinessCheck = check;
    }

    /** @return the application's own readiness check, or null */
    public ReadinessCheck getReadinessCheck()
    {
        return readinessCheck;
    }

    @ManagedAttribute("Whether this process has handed over and now holds the container (forwards signals to the serving generation)")
    public boolean isHolding()
    {
        ContainerHolder current = holder;
        return current != null && current.isHolding();
    }

    @ManagedAttribute("Connections the last handover of this process moved to the replacement (their clients did not reconnect)")
    public long getConnectionsMoved()
    {
        Handover current = handover;
        return current != null ? current.connectionsMoved() : lastConnectionsMoved;
    }

    @ManagedAttribute("Connections of the last handover of this process that ended here instead of moving (closed by either side: the client, Connection: close, idle close, GOAWAY, the final stop)")
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
        configuration.validate();
        WarmUpReadinessCheck warmUp = configuration.getWarmUp().readinessCheck();
        ReadinessCheck own = readinessCheck;
        startupCheck = own == null ? warmUp : own.andThen(warmUp);
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
            holder = ContainerHolder.forFirstProcess(os, ContainerHolder.Mode.parse(configuration.getHolder()), registry);
            holderLink = holder != null ? holder : HolderLink.inherited(os, registry, InheritedEnvironment.original());
        }
        // Once per process: a bean started again after the takeover does not take over a second time.
        if (takeover == null)
            takeover = ReplacementTakeover.ifReplacement(os, registry, connectors());
        List<RestartListener> supervisors = Supervisors.forStart(os, configuration.getPidFile(), configuration.isSystemdNotify(), configuration.isSystemdFdStore(), registry, this::connectors);
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
            String signalName = configuration.getSignal();
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
            thread.join(2 * configuration.getKillGraceMillis() + 1000L);
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
            if (event != server || !configuration.isDrainOnStop() || !serving || handedOff || stopTimeout <= 0)
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
                replacement.serverStarted(server, startupCheck, GracefulRestart.this::connectors, GracefulRestart.this::markServing);
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
            List<String> command = configuration.getCommand();
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
        ReplacementPriority priority = ReplacementPriority.forSpawn(os, configuration.getReplacementNice());
        Map<String, String> env = ReplacementCommand.environment(InheritedEnvironment.original(), connectors, os.pid(), registry.generation(),
            holderFd >= 0, priority);
        HandoffAttempt attempt = new HandoffAttempt(os, argv, env, fds, configuration.getReadyTimeout(), configuration.getKillGrace(), listeners::childReady, holderFd);
        if (configuration.isMoveConnections())
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
        if (Supervisors.underSystemd(os, configuration.isSystemdNotify()) && configuration.getPidFile() == null)
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
        Duration handoverSpread = configuration.getHandoverSpread();
        Duration drainTimeout = configuration.getDrainTimeout();
        Handover.Settings settings = new Handover.Settings(handoverSpread, drainTimeout, configuration.getTakeBackWindow(),
            configuration.getWebSocketCloseSpread(), configuration.isExitAfterDrain());
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
            containerHolder.startHolding(outcome.childPid(), configuration.getDrainTimeout());
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
