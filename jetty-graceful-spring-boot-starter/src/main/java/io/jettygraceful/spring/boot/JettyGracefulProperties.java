package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.InvalidSettingException;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code jetty.graceful.*}: how a Spring Boot application on Jetty restarts with zero downtime. Each property is a
 * setting of the library's {@link GracefulRestartConfiguration}, its name in kebab case, with the same default (a test
 * checks every setting against {@code GracefulRestartSettings}); only {@code exitAfterDrain} is not a property, since a
 * replaced Boot application always ends through its context. Durations take Boot's forms ({@code 500ms}, {@code 30s},
 * {@code 2m}; a bare number is milliseconds). {@link #toConfiguration()} checks every value the library's way and
 * reports the first that cannot work as an {@link InvalidGracefulPropertyException} naming the property and the fix.
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

    /** Whether systemd's notify protocol (READY, RELOADING, STATUS) is spoken when NOTIFY_SOCKET is set. */
    private boolean systemdNotify = true;

    /**
     * Whether the listening sockets a first generation bound itself are kept in systemd's fd store (the unit needs
     * FileDescriptorStoreMax=), so they stay open across systemctl restart; on by itself when systemd 254+ sets $FDSTORE.
     */
    private boolean systemdFdStore;

    /** Whether a real stop (SIGTERM, context close) with server.shutdown=graceful drains the way a restart does. */
    private boolean drainOnStop = true;

    /**
     * In a container: whether the first process stays after a restart as the container's holder (forwards signals, reaps
     * orphans): auto (when it is PID 1), always (under tini, dumb-init, docker run --init), never.
     */
    private String holder = "auto";

    /** Window over which a replaced process closes its WebSocket sessions with 1012 (Service Restart), 0: at once. */
    private Duration webSocketCloseSpread = Duration.ofSeconds(5);

    /** Whether every connector must adopt an inherited socket (systemd socket activation) instead of binding its port. */
    private boolean inheritRequired;

    /** Warm-up of a replacement before it reports ready. */
    private final WarmUp warmUp = new WarmUp();

    /**
     * Checks every value the library's way.
     *
     * @throws InvalidGracefulPropertyException naming the first bad property, its value and the fix
     */
    public void validate()
    {
        toConfiguration();
    }

    /**
     * @return the library's configuration with these settings (and {@code exitAfterDrain} at its default: the starter
     * turns it off itself)
     * @throws InvalidGracefulPropertyException naming the first property that cannot work, its value and the fix
     */
    public GracefulRestartConfiguration toConfiguration()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        try
        {
            config.setSignal(signal);
            config.setReadyTimeout(readyTimeout);
            config.setDrainTimeout(drainTimeout);
            config.setKillGrace(killGrace);
            config.setCommand(command);
            config.setPidFile(pidFile);
            config.setSystemdNotify(systemdNotify);
            config.setSystemdFdStore(systemdFdStore);
            config.setDrainOnStop(drainOnStop);
            config.setTakeBackWindow(takeBackWindow);
            config.setHandoverSpread(handoverSpread);
            config.setReplacementNice(replacementNice);
            config.setMoveConnections(moveConnections);
            config.setHolder(holder);
            config.setWebSocketCloseSpread(webSocketCloseSpread);
            GracefulRestartConfiguration.WarmUp target = config.getWarmUp();
            target.setRequests(warmUp.requests);
            target.setCount(warmUp.count);
            target.setThreads(warmUp.threads);
            target.setDuration(warmUp.duration);
            target.setAllowedStatuses(warmUp.allowedStatuses == null || warmUp.allowedStatuses.isEmpty() ? null : String.join(",", warmUp.allowedStatuses));
            config.validate();
        }
        catch (InvalidSettingException x)
        {
            throw InvalidGracefulPropertyException.of(x);
        }
        return config;
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

    public void setReplacementNice(int replacementNice)
    {
        this.replacementNice = replacementNice;
    }

    public boolean isMoveConnections()
    {
        return moveConnections;
    }

    public void setMoveConnections(boolean moveConnections)
    {
        this.moveConnections = moveConnections;
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

    public boolean isSystemdFdStore()
    {
        return systemdFdStore;
    }

    public void setSystemdFdStore(boolean systemdFdStore)
    {
        this.systemdFdStore = systemdFdStore;
    }

    public boolean isDrainOnStop()
    {
        return drainOnStop;
    }

    public void setDrainOnStop(boolean drainOnStop)
    {
        this.drainOnStop = drainOnStop;
    }

    public String getHolder()
    {
        return holder;
    }

    public void setHolder(String holder)
    {
        this.holder = holder;
    }

    public Duration getWebSocketCloseSpread()
    {
        return webSocketCloseSpread;
    }

    public void setWebSocketCloseSpread(Duration webSocketCloseSpread)
    {
        this.webSocketCloseSpread = webSocketCloseSpread;
    }

    public WarmUp getWarmUp()
    {
        return warmUp;
    }

    /**
     * {@code jetty.graceful.warm-up.*}: the warm-up ({@code WarmUpReadinessCheck}) a replacement runs before it reports
     * ready, after the application's own {@code ReadinessCheck} bean, if any. Off while {@code requests} is empty.
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
