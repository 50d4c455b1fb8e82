package io.jettygraceful;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;

/**
 * Every setting of a zero-downtime restart, apart from the {@link GracefulRestart} bean that acts on them (as Jetty's
 * {@code HttpConfiguration} is apart from its connectors). It is the one configuration that every way of running
 * binds: jetty.xml and the jetty-home module properties ({@code jetty.graceful.restart.<name>}), Spring Boot
 * ({@code jetty.graceful.<kebab-name>}), Dropwizard ({@code gracefulRestart.<name>}), Javalin's plugin and the
 * example's options; {@link GracefulRestartSettings} lists them with their defaults, and each binding's tests check
 * themselves against that list.
 *
 * <p>Durations have a {@link Duration} setter and, for jetty.xml, a {@code ...Millis(long)} one. Each setter refuses a
 * value that cannot work with an {@link InvalidSettingException} naming the setting, the value and the fix;
 * {@link #validate()} checks the whole (the bean checks it again when it starts). Settings are read when a restart
 * starts, so a change through JMX applies to the next restart.</p>
 *
 * <pre>{@code
 * GracefulRestartConfiguration config = new GracefulRestartConfiguration();
 * config.setDrainTimeout(Duration.ofSeconds(20));
 * config.setPidFile("/run/app/app.pid");
 * server.addBean(new GracefulRestart(server, config));
 * }</pre>
 */
@ManagedObject("Settings of the zero-downtime restart")
public class GracefulRestartConfiguration
{
    private volatile String signal = "HUP";
    private volatile Duration readyTimeout = Duration.ofSeconds(60);
    private volatile Duration drainTimeout = Duration.ofSeconds(30);
    private volatile Duration killGrace = Duration.ofSeconds(5);
    private volatile List<String> command;
    private volatile boolean exitAfterDrain = true;
    private volatile String pidFile;
    private volatile boolean systemdNotify = true;
    private volatile boolean systemdFdStore;
    private volatile boolean drainOnStop = true;
    private volatile Duration takeBackWindow = Duration.ofSeconds(2);
    private volatile Duration handoverSpread = Duration.ofSeconds(1);
    private volatile int replacementNice = 5;
    private volatile boolean moveConnections = true;
    private volatile String holder = "auto";
    private volatile Duration webSocketCloseSpread = Duration.ofSeconds(5);
    private final WarmUp warmUp = new WarmUp();

    /**
     * Checks every setting together.
     *
     * @throws InvalidSettingException naming the first setting that cannot work, its value and the fix
     */
    public void validate()
    {
        setSignal(signal);
        setReadyTimeout(readyTimeout);
        setDrainTimeout(drainTimeout);
        setKillGrace(killGrace);
        setCommand(command);
        setTakeBackWindow(takeBackWindow);
        setHandoverSpread(handoverSpread);
        setReplacementNice(replacementNice);
        setHolder(holder);
        setWebSocketCloseSpread(webSocketCloseSpread);
        warmUp.readinessCheck();
    }

    /**
     * @param signal the signal that triggers a restart: {@code HUP} (default), {@code USR1}, {@code USR2} (logged
     *               warning: it breaks HotSpot's suspend/resume) or {@code none} for restarts through the API or JMX
     *               only; with or without {@code SIG}, in any case; null or blank is {@code none}
     */
    public void setSignal(String signal)
    {
        String normalized = signal == null || signal.isBlank() ? "none" : signal.trim();
        String upper = normalized.toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("HUP", "USR1", "USR2", "NONE").contains(upper))
            throw new InvalidSettingException("signal", signal, "the JVM can only take HUP, USR1 or USR2 for a restart " +
                "(QUIT belongs to its thread dumps, TERM and INT to its shutdown)", "HUP (the default), USR1, or none to restart through the API only");
        this.signal = "NONE".equals(upper) ? "none" : upper;
    }

    @ManagedAttribute("Signal that triggers a restart (HUP, USR1, USR2 or none)")
    public String getSignal()
    {
        return signal;
    }

    /** @param timeout how long a replacement may take from its start to "ready" before it is stopped; default 60 s */
    public void setReadyTimeout(Duration timeout)
    {
        this.readyTimeout = positive("readyTimeout", timeout, "60s");
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
     * @param timeout how long a replaced process keeps serving its in-flight requests (requests arriving on its open
     *                connections meanwhile are served too); connections still open after it are closed; default 30 s
     */
    public void setDrainTimeout(Duration timeout)
    {
        this.drainTimeout = positive("drainTimeout", timeout, "30s");
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
        this.killGrace = positive("killGrace", grace, "5s");
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
     * @param command the replacement's command line, e.g. a launcher script that ends in {@code exec java ...};
     *                {@code null} or empty (default) runs this JVM's own command line again
     */
    public void setCommand(List<String> command)
    {
        if (command != null && command.stream().anyMatch(part -> part == null || part.isBlank()))
            throw new InvalidSettingException("command", command, "it has an empty element",
                "list the program and its arguments, or leave it unset to run this JVM's command line again");
        this.command = command == null || command.isEmpty() ? null : List.copyOf(command);
    }

    /**
     * For jetty.xml and other text: {@link #setCommand(List)} with the program and its arguments separated by commas
     * ({@code /opt/app/bin/start,--port,8080}); blank for this JVM's own command line.
     */
    public void setCommandLine(String commaSeparated)
    {
        setCommand(commaSeparated == null || commaSeparated.isBlank() ? null : java.util.Arrays.stream(commaSeparated.split(",")).map(String::trim).toList());
    }

    @ManagedAttribute("Replacement command line; null runs this JVM's own command line")
    public List<String> getCommand()
    {
        return command;
    }

    /**
     * @param exit whether a replaced process calls {@code System.exit(0)} once drained (default true; shutdown hooks
     *             run); false only stops the server and leaves the end to the application (a framework's own shutdown)
     */
    public void setExitAfterDrain(boolean exit)
    {
        this.exitAfterDrain = exit;
    }

    @ManagedAttribute("Whether a replaced process exits (System.exit(0)) once drained")
    public boolean isExitAfterDrain()
    {
        return exitAfterDrain;
    }

    /**
     * @param path the file that holds the serving process's pid (rewritten atomically at each restart), or
     *             {@code null} (default) for none; an unwritable location fails the start. Under systemd it is the
     *             unit's {@code PIDFile=}, and a restart needs it
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

    /** @param notify whether systemd's notify protocol is spoken when {@code NOTIFY_SOCKET} is set (default true) */
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
     * @param store whether a first generation keeps the listening sockets it bound itself in systemd's fd store
     *              ({@code FDSTORE=1}; the unit needs {@code FileDescriptorStoreMax=}), so they stay open across
     *              {@code systemctl restart} and crashes. Default false, but on by itself when systemd 254+ sets
     *              {@code $FDSTORE} above 0
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
     * @param drain whether a real stop (SIGTERM, {@code server.stop()}) first drains like a handoff: stop accepting,
     *              {@code Connection: close} until the connections are gone or the server's stop timeout has passed;
     *              default true. Needs {@code Server.setStopTimeout} above 0
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
     * @param window how long, at least, a replaced process stays able to take its sockets back should the replacement
     *               die (within the drain timeout); default 2 s; zero to exit as soon as drained
     */
    public void setTakeBackWindow(Duration window)
    {
        this.takeBackWindow = notNegative("takeBackWindow", window, "a duration such as 2s, or 0 for none");
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
     * @param spread the overlap: once the replacement serves, the replaced process goes on accepting this long while
     *               it moves its connections over one by one, each at its own moment in the window; then it stops
     *               accepting and drains. Default 1 s; zero moves every connection as soon as the replacement serves.
     *               See {@link HandoffProtocol}, "The overlap"
     */
    public void setHandoverSpread(Duration spread)
    {
        this.handoverSpread = notNegative("handoverSpread", spread, "a duration such as 1s, or 0 to move every connection as soon as the replacement serves");
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
     * @param increment how much nicer (lower CPU priority) the replacement runs until it is told to accept, 0 to 19
     *                  (default 5; 0 turns it off). Applies only where a process may lower its nice value again
     *                  (CAP_SYS_NICE, or {@code LimitNICE=} under systemd); elsewhere the first restart logs why not
     */
    public void setReplacementNice(int increment)
    {
        if (increment < 0 || increment > 19)
            throw new InvalidSettingException("replacementNice", increment, "it must be 0 to 19 (how much nicer the replacement starts)",
                "5 (the default), or 0 to start the replacement at this process's priority");
        this.replacementNice = increment;
    }

    @ManagedAttribute("How much nicer (lower CPU priority) a replacement runs until it is told to accept, 0 for not at all")
    public int getReplacementNice()
    {
        return replacementNice;
    }

    /**
     * @param move whether a replaced process moves its idle plain HTTP/1.1 keep-alive connections to the replacement
     *             with their sockets open (their clients never reconnect) instead of closing them; default true. TLS,
     *             HTTP/2, WebSocket, PROXY-protocol and upgraded connections, and connections busy through the overlap
     *             and the take-back window after it, are closed as before either way. See {@link HandoffProtocol},
     *             "Moving connections"
     */
    public void setMoveConnections(boolean move)
    {
        this.moveConnections = move;
    }

    @ManagedAttribute("Whether a replaced process moves its idle plain HTTP/1.1 connections to the replacement, sockets open (else it closes them)")
    public boolean isMoveConnections()
    {
        return moveConnections;
    }

    /**
     * @param mode whether the first process stays after it handed over, as the container's holder: {@code auto}
     *             (default: when it is PID 1 of its PID namespace), {@code always} (the child of tini, dumb-init,
     *             {@code docker run --init}) or {@code never}; only a first generation holds
     */
    public void setHolder(String mode)
    {
        String value = mode == null ? "" : mode.trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "always", "never").contains(value))
            throw new InvalidSettingException("holder", mode, "it is not one of auto, always or never",
                "auto (hold when this JVM is PID 1, the default), always (the JVM is the child of tini, dumb-init or docker run --init) or never");
        this.holder = value;
    }

    @ManagedAttribute("Whether the first process stays after a handoff, as the container's holder: auto (when PID 1), always, never")
    public String getHolder()
    {
        return holder;
    }

    /**
     * @param spread the window over which a replaced process closes its WebSocket sessions with 1012 (Service Restart),
     *               each at its own moment; default 5 s; zero closes them all at once; at most half the drain timeout
     *               is used. A real stop closes them with 1001 at once
     */
    public void setWebSocketCloseSpread(Duration spread)
    {
        this.webSocketCloseSpread = notNegative("webSocketCloseSpread", spread, "a duration such as 5s, or 0 to close every session at once");
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

    /** @return the warm-up a replacement runs before it reports ready (none while it has no request) */
    @ManagedAttribute("Warm-up of a replacement before it reports ready")
    public WarmUp getWarmUp()
    {
        return warmUp;
    }

    @Override
    public String toString()
    {
        return "GracefulRestartConfiguration{signal=" + signal + ", readyTimeout=" + readyTimeout + ", drainTimeout=" + drainTimeout +
            ", killGrace=" + killGrace + ", command=" + command + ", exitAfterDrain=" + exitAfterDrain + ", pidFile=" + pidFile +
            ", systemdNotify=" + systemdNotify + ", systemdFdStore=" + systemdFdStore + ", drainOnStop=" + drainOnStop +
            ", takeBackWindow=" + takeBackWindow + ", handoverSpread=" + handoverSpread + ", replacementNice=" + replacementNice +
            ", moveConnections=" + moveConnections +
            ", holder=" + holder + ", webSocketCloseSpread=" + webSocketCloseSpread + ", warmUp=" + warmUp + "}";
    }

    private static Duration positive(String setting, Duration value, String example)
    {
        if (value == null || value.isNegative() || value.isZero())
            throw new InvalidSettingException(setting, value, "it must be a positive duration", "a duration such as " + example);
        return value;
    }

    private static Duration notNegative(String setting, Duration value, String fix)
    {
        if (value == null || value.isNegative())
            throw new InvalidSettingException(setting, value, "it must be zero or positive", fix);
        return value;
    }

    /**
     * The warm-up a replacement runs before it reports ready: a {@link WarmUpReadinessCheck} replaying these requests
     * through an in-process {@code LocalConnector} (never the shared socket), after the application's own
     * {@link ReadinessCheck}, if any. Off while {@link #getRequests()} is empty.
     */
    @ManagedObject("Warm-up of a replacement before it reports ready")
    public static class WarmUp
    {
        private volatile List<String> requests = List.of();
        private volatile int count = 1000;
        private volatile int threads = 1;
        private volatile Duration duration = Duration.ZERO;
        private volatile String allowedStatuses;

        /**
         * @param requests the requests, each {@code [METHOD ]target[ | Name: value]...} without a body, e.g.
         *                 {@code /} or {@code GET /status | Accept: application/json}; empty (default): no warm-up. Kept
         *                 in their full form ({@code GET /})
         */
        public void setRequests(List<String> requests)
        {
            List<String> parsed;
            try
            {
                parsed = WarmUpRequest.parseAll(requests == null ? List.of() : new ArrayList<>(requests)).stream().map(WarmUpRequest::toString).toList();
            }
            catch (IllegalArgumentException x)
            {
                throw new InvalidSettingException("warmUp.requests", requests, x.getMessage(),
                    "write each request as [METHOD ]target[ | Name: value], e.g. /status or GET /api/items | Accept: application/json");
            }
            this.requests = parsed;
        }

        /** For jetty.xml: {@link #setRequests(List)} as one text, the requests separated by commas or line breaks. */
        public void setRequestMix(String mix)
        {
            List<WarmUpRequest> parsed;
            try
            {
                parsed = WarmUpRequest.parseMix(mix);
            }
            catch (IllegalArgumentException x)
            {
                throw new InvalidSettingException("warmUp.requests", mix, x.getMessage(),
                    "write each request as [METHOD ]target[ | Name: value], separated by commas");
            }
            this.requests = parsed.stream().map(WarmUpRequest::toString).toList();
        }

        @ManagedAttribute("Warm-up requests, [METHOD ]target[ | Name: value]")
        public List<String> getRequests()
        {
            return requests;
        }

        /** @param count requests sent in all, going round the list (default 1000); 0 with a duration: for the duration */
        public void setCount(int count)
        {
            if (count < 0)
                throw new InvalidSettingException("warmUp.count", count, "it is negative", "the number of warm-up requests, or 0 with a warm-up duration");
            this.count = count;
        }

        @ManagedAttribute("Warm-up requests sent in all, going round the list")
        public int getCount()
        {
            return count;
        }

        /** @param threads threads sending warm-up requests at once, each on its own connection, 1 to 64 (default 1) */
        public void setThreads(int threads)
        {
            if (threads < 1 || threads > 64)
                throw new InvalidSettingException("warmUp.threads", threads, "it must be 1 to 64", "about the number of cores, or 1");
            this.threads = threads;
        }

        @ManagedAttribute("Threads sending warm-up requests at once")
        public int getThreads()
        {
            return threads;
        }

        /** @param duration the longest the warm-up runs (it passes once over); zero (default) for no limit */
        public void setDuration(Duration duration)
        {
            this.duration = notNegative("warmUp.duration", duration, "0 (no limit) or a duration such as 5s, well within readyTimeout");
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

        /**
         * @param statuses the statuses a warm-up response may have, codes and classes separated by commas
         *                 ({@code 2xx, 304}); null or blank (default): every status below 500. A 5xx always fails
         */
        public void setAllowedStatuses(String statuses)
        {
            try
            {
                AllowedStatuses.parse(statuses);
            }
            catch (IllegalArgumentException x)
            {
                throw new InvalidSettingException("warmUp.allowedStatuses", statuses, x.getMessage(),
                    "codes below 500 or classes such as 2xx, separated by commas, or leave it unset");
            }
            this.allowedStatuses = statuses == null || statuses.isBlank() ? null : statuses.trim();
        }

        @ManagedAttribute("Statuses a warm-up response may have; null: every status below 500")
        public String getAllowedStatuses()
        {
            return allowedStatuses;
        }

        /**
         * @return a new warm-up check with these settings, or {@code null} when there is no request
         * @throws InvalidSettingException when a setting cannot work
         */
        public WarmUpReadinessCheck readinessCheck()
        {
            if (requests.isEmpty())
                return null;
            WarmUpReadinessCheck check = WarmUpReadinessCheck.of(requests, count);
            check.setThreads(threads);
            check.setDuration(duration);
            check.setAllowedStatuses(allowedStatuses);
            return check;
        }

        @Override
        public String toString()
        {
            return requests.isEmpty() ? "none" : "{requests=" + requests + ", count=" + count + ", threads=" + threads + ", duration=" + duration +
                ", allowedStatuses=" + (allowedStatuses == null ? "below 500" : allowedStatuses) + "}";
        }
    }
}
