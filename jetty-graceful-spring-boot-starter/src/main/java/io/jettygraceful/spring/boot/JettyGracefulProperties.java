package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.WarmUpReadinessCheck;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code jetty.graceful.*}: how a Spring Boot application on Jetty restarts with zero downtime. Durations take Boot's
 * forms ({@code 500ms}, {@code 30s}, {@code 2m}; a bare number is milliseconds). {@link #validate()} checks the
 * values that binding alone accepts but that cannot work, with an {@link InvalidGracefulPropertyException} naming the
 * property and the fix.
 */
@ConfigurationProperties(prefix = JettyGracefulProperties.PREFIX)
public class JettyGracefulProperties
{
    public static final String PREFIX = "jetty.graceful";

    /** Whether Boot's Jetty connectors are replaced by inherited ones and the application restarts on the signal. */
    private boolean enabled = true;

    /** Signal that triggers a restart: HUP, USR1, USR2 (breaks HotSpot's JFR sampling) or none (actuator or API only). */
    private String signal = "HUP";

    /** How long a replacement may take to start and report ready before it is stopped and this process serves on. */
    private Duration readyTimeout = Duration.ofSeconds(60);

    /** How long a replaced process keeps serving its in-flight requests before it closes what is left. */
    private Duration drainTimeout = Duration.ofSeconds(30);

    /** How long a failed replacement gets to exit after SIGTERM before SIGKILL. */
    private Duration killGrace = Duration.ofSeconds(5);

    /** How long, at least, a replaced process stays able to take its sockets back should the replacement die (0: none). */
    private Duration takeBackWindow = Duration.ofSeconds(2);

    /**
     * How long both processes accept once the replacement serves, while the replaced one moves its connections over one
     * by one (0: all at once).
     */
    private Duration handoverSpread = Duration.ofSeconds(1);

    /** How much nicer (lower CPU priority) the replacement runs until it is told to accept, 0 to 19 (0: not at all). */
    private int replacementNice = 5;

    /**
     * Whether the replaced process moves its idle HTTP/1.1 keep-alive connections to the replacement with their
     * sockets open, so that their clients never reconnect (false: they are closed as the drain closes the others).
     */
    private boolean moveConnections = true;

    /** File that holds the pid of the serving process (rewritten at each restart); none by default. */
    private String pidFile;

    /** Command line of the replacement (e.g. a launcher script ending in exec java ...); default: this JVM's own command line. */
    private List<String> command = new ArrayList<>();

    /** Whether systemd's notify protocol (READY, RELOADING, MAINPID) is spoken when NOTIFY_SOCKET is set. */
    private boolean systemdNotify = true;

    /** Whether every connector must adopt an inherited socket (systemd socket activation) instead of binding its port. */
    private boolean inheritRequired;

    /** Warm-up of a replacement before it reports ready. */
    private final WarmUp warmUp = new WarmUp();

    /**
     * Checks what binding cannot: positive durations, a known signal.
     *
     * @throws InvalidGracefulPropertyException naming the first bad property, its value and the fix
     */
    public void validate()
    {
        positive("ready-timeout", readyTimeout);
        positive("drain-timeout", drainTimeout);
        positive("kill-grace", killGrace);
        if (takeBackWindow == null || takeBackWindow.isNegative())
            throw new InvalidGracefulPropertyException("take-back-window", takeBackWindow, "it must be zero or positive", "set a duration such as 2s, or 0 for none");
        if (handoverSpread == null || handoverSpread.isNegative())
            throw new InvalidGracefulPropertyException("handover-spread", handoverSpread, "it must be zero or positive", "set a duration such as 1s, or 0 to move every connection at once");
        if (replacementNice < 0 || replacementNice > 19)
            throw new InvalidGracefulPropertyException("replacement-nice", replacementNice, "it must be 0 to 19", "set 5 (the default), or 0 to start the replacement at this process's priority");
        String normalized = signal == null ? "NONE" : signal.trim().toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("HUP", "USR1", "USR2", "NONE", "").contains(normalized))
            throw new InvalidGracefulPropertyException("signal", signal, "the JVM can only handle HUP, USR1 or USR2 for a restart",
                "set HUP (the default), USR1, or none to restart through the actuator endpoint only");
        if (command != null && command.stream().anyMatch(part -> part == null || part.isBlank()))
            throw new InvalidGracefulPropertyException("command", command, "it has an empty element", "list the program and its arguments, or leave it unset to run this JVM's command line again");
        warmUp.readinessCheck();
    }

    private static void positive(String property, Duration value)
    {
        if (value == null || value.isNegative() || value.isZero())
            throw new InvalidGracefulPropertyException(property, value, "it must be a positive duration", "set a duration such as 30s or 500ms");
    }

    /** Applies these settings to {@code restart}; call {@link #validate()} first. */
    public void applyTo(GracefulRestart restart)
    {
        restart.setSignal(signal);
        restart.setReadyTimeout(readyTimeout);
        restart.setDrainTimeout(drainTimeout);
        restart.setKillGrace(killGrace);
        restart.setTakeBackWindow(takeBackWindow);
        restart.setHandoverSpread(handoverSpread);
        restart.setReplacementNice(replacementNice);
        restart.setMoveConnections(moveConnections);
        restart.setPidFile(pidFile);
        restart.setCommand(command == null || command.isEmpty() ? null : command);
        restart.setSystemdNotify(systemdNotify);
    }

    public boolean isEnabled()
    {
        return enabled;
    }

    public void setEnabled(boolean enabled)
    {
        this.enabled = enabled;
    }

    public String getSignal()
    {
        return signal;
    }

    public void setSignal(String signal)
    {
        this.signal = signal;
    }

    public Duration getReadyTimeout()
    {
        return readyTimeout;
    }

    public void setReadyTimeout(Duration readyTimeout)
    {
        this.readyTimeout = readyTimeout;
    }

    public Duration getDrainTimeout()
    {
        return drainTimeout;
    }

    public void setDrainTimeout(Duration drainTimeout)
    {
        this.drainTimeout = drainTimeout;
    }

    public Duration getKillGrace()
    {
        return killGrace;
    }

    public void setKillGrace(Duration killGrace)
    {
        this.killGrace = killGrace;
    }

    public Duration getTakeBackWindow()
    {
        return takeBackWindow;
    }

    public void setTakeBackWindow(Duration takeBackWindow)
    {
        this.takeBackWindow = takeBackWindow;
    }

    public Duration getHandoverSpread()
    {
        return handoverSpread;
    }

    public void setHandoverSpread(Duration handoverSpread)
    {
        this.handoverSpread = handoverSpread;
    }

    public int getReplacementNice()
    {
        return replacementNice;
    }

    public boolean isMoveConnections()
    {
        return moveConnections;
    }

    public void setMoveConnections(boolean moveConnections)
    {
        this.moveConnections = moveConnections;
    }

    public void setReplacementNice(int replacementNice)
    {
        this.replacementNice = replacementNice;
    }

    public String getPidFile()
    {
        return pidFile;
    }

    public void setPidFile(String pidFile)
    {
        this.pidFile = pidFile;
    }

    public List<String> getCommand()
    {
        return command;
    }

    public void setCommand(List<String> command)
    {
        this.command = command;
    }

    public boolean isSystemdNotify()
    {
        return systemdNotify;
    }

    public void setSystemdNotify(boolean systemdNotify)
    {
        this.systemdNotify = systemdNotify;
    }

    public boolean isInheritRequired()
    {
        return inheritRequired;
    }

    public void setInheritRequired(boolean inheritRequired)
    {
        this.inheritRequired = inheritRequired;
    }

    public WarmUp getWarmUp()
    {
        return warmUp;
    }

    /**
     * {@code jetty.graceful.warm-up.*}: a {@link WarmUpReadinessCheck} that a replacement runs before it reports ready,
     * after the application's own {@code ReadinessCheck} bean, if any. Off while {@code requests} is empty.
     */
    public static class WarmUp
    {
        /**
         * Requests a replacement replays through an in-process LocalConnector before it reports ready, each
         * "[METHOD ]target[ | Name: value]...", e.g. "/actuator/health" or "GET /api/items | Accept: application/json";
         * none by default (no warm-up).
         */
        private List<String> requests = new ArrayList<>();

        /** Warm-up requests sent in all, going round the list; 0 with a duration: for the duration only. */
        private int count = 1000;

        /** Threads sending warm-up requests at once, each on its own connection (1 to 64). */
        private int threads = 1;

        /** The longest the warm-up runs (it passes once over); 0: no limit. Keep it well within the ready timeout. */
        private Duration duration = Duration.ZERO;

        /**
         * Statuses a warm-up response may have: codes and classes, e.g. 2xx, 304; empty: every status below 500. A 5xx,
         * another status or no answer within 30 s fails readiness, and the serving process goes on.
         */
        private List<String> allowedStatuses = new ArrayList<>();

        /**
         * @return the warm-up these settings describe, or null when no request is set
         * @throws InvalidGracefulPropertyException naming the setting that cannot work and the fix
         */
        public WarmUpReadinessCheck readinessCheck()
        {
            if (requests == null || requests.isEmpty())
                return null;
            WarmUpReadinessCheck check;
            if (count < 0)
                throw new InvalidGracefulPropertyException("warm-up.count", count, "it is negative", "set the number of warm-up requests, or 0 with a warm-up.duration");
            try
            {
                check = WarmUpReadinessCheck.of(requests, count);
            }
            catch (IllegalArgumentException x)
            {
                throw new InvalidGracefulPropertyException("warm-up.requests", requests, x.getMessage(), "write each request as [METHOD ]target[ | Name: value], e.g. /actuator/health");
            }
            apply("warm-up.threads", threads, "set 1 to 64", () -> check.setThreads(threads));
            apply("warm-up.duration", duration, "set 0 (no limit) or a duration such as 5s", () -> check.setDuration(duration));
            apply("warm-up.allowed-statuses", allowedStatuses, "list codes below 500 or classes such as 2xx, or leave it empty",
                () -> check.setAllowedStatuses(allowedStatuses == null ? null : String.join(",", allowedStatuses)));
            return check;
        }

        private static void apply(String property, Object value, String fix, Runnable setter)
        {
            try
            {
                setter.run();
            }
            catch (IllegalArgumentException x)
            {
                throw new InvalidGracefulPropertyException(property, value, x.getMessage(), fix);
            }
        }

        public List<String> getRequests()
        {
            return requests;
        }

        public void setRequests(List<String> requests)
        {
            this.requests = requests;
        }

        public int getCount()
        {
            return count;
        }

        public void setCount(int count)
        {
            this.count = count;
        }

        public int getThreads()
        {
            return threads;
        }

        public void setThreads(int threads)
        {
            this.threads = threads;
        }

        public Duration getDuration()
        {
            return duration;
        }

        public void setDuration(Duration duration)
        {
            this.duration = duration;
        }

        public List<String> getAllowedStatuses()
        {
            return allowedStatuses;
        }

        public void setAllowedStatuses(List<String> allowedStatuses)
        {
            this.allowedStatuses = allowedStatuses;
        }
    }
}
