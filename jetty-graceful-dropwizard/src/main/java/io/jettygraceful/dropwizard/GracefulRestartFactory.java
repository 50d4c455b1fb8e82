package io.jettygraceful.dropwizard;

import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.InvalidSettingException;
import jakarta.annotation.Nullable;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.eclipse.jetty.server.Server;

/**
 * The {@code gracefulRestart:} block of an application's configuration: every setting of the library's
 * {@link GracefulRestartConfiguration} but {@code exitAfterDrain} (the bundle ends a replaced process through Dropwizard's
 * shutdown), each under its own name with the same default (a test checks this against {@code GracefulRestartSettings}), in
 * Dropwizard's units ({@code 60s}, {@code 500ms}), validated by Dropwizard when the configuration is loaded, so a bad
 * value stops the start with a message naming the field ({@code gracefulRestart.readyTimeout must be ...}).
 *
 * <pre>
 * gracefulRestart:
 *   signal: HUP            # HUP (default), USR1, USR2, or none (restart only through the admin task)
 *   readyTimeout: 60s      # how long the replacement may take to be ready
 *   drainTimeout: 30s      # how long the replaced process drains its in-flight requests
 *   killGrace: 5s          # SIGTERM to SIGKILL for a replacement that failed
 *   takeBackWindow: 2s     # how long the replaced process can take its sockets back if the replacement dies
 *   handoverSpread: 1s     # both accept this long while the replaced process moves its connections over (0: at once)
 *   moveConnections: true  # idle HTTP/1.1 keep-alive connections move to the replacement, sockets open (false: closed)
 *   replacementNice: 5     # the replacement runs this much nicer until it is told to accept (0 to 19; 0: not at all)
 *   pidFile: /run/app.pid  # optional
 *   command: [...]         # optional: the replacement's command line; default: this JVM's own
 *   systemdNotify: true    # speak sd_notify when NOTIFY_SOCKET is set
 *   drainOnStop: true      # a real stop (SIGTERM) drains like a handoff first, within shutdownGracePeriod
 *   systemdFdStore: false  # keep the sockets this process bound in systemd's fd store (FileDescriptorStoreMax=)
 *   holder: auto           # in a container: auto (when PID 1), always (under tini, docker run --init), never
 *   webSocketCloseSpread: 5s # a replaced process closes its WebSockets with 1012 spread over this window
 *   warmUp:                # optional: requests a replacement replays to itself before it is ready (WarmUpFactory)
 *     requests: [/hello, "GET /api/items | Accept: application/json"]
 *     count: 1000
 * </pre>
 */
public class GracefulRestartFactory
{
    @NotNull
    @Pattern(regexp = "(?i)(SIG)?(HUP|USR1|USR2)|none", message = "must be HUP, USR1, USR2 or none")
    private String signal = "HUP";

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration readyTimeout = Duration.seconds(60);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration drainTimeout = Duration.seconds(30);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration killGrace = Duration.seconds(5);

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS)
    private Duration takeBackWindow = Duration.seconds(2);

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS)
    private Duration handoverSpread = Duration.seconds(1);

    @Min(0)
    @Max(19)
    private int replacementNice = 5;

    private boolean moveConnections = true;

    @Nullable
    private String pidFile;

    @Nullable
    private List<@NotNull String> command;

    private boolean systemdNotify = true;

    private boolean drainOnStop = true;

    private boolean systemdFdStore;

    @NotNull
    @Pattern(regexp = "(?i)auto|always|never", message = "must be auto, always or never")
    private String holder = "auto";

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS)
    private Duration webSocketCloseSpread = Duration.seconds(5);

    @Valid
    @NotNull
    private WarmUpFactory warmUp = new WarmUpFactory();

    @JsonProperty
    public String getSignal()
    {
        return signal;
    }

    @JsonProperty
    public void setSignal(String signal)
    {
        this.signal = signal;
    }

    @JsonProperty
    public Duration getReadyTimeout()
    {
        return readyTimeout;
    }

    @JsonProperty
    public void setReadyTimeout(Duration readyTimeout)
    {
        this.readyTimeout = readyTimeout;
    }

    @JsonProperty
    public Duration getDrainTimeout()
    {
        return drainTimeout;
    }

    @JsonProperty
    public void setDrainTimeout(Duration drainTimeout)
    {
        this.drainTimeout = drainTimeout;
    }

    @JsonProperty
    public Duration getKillGrace()
    {
        return killGrace;
    }

    @JsonProperty
    public void setKillGrace(Duration killGrace)
    {
        this.killGrace = killGrace;
    }

    @JsonProperty
    public Duration getHandoverSpread()
    {
        return handoverSpread;
    }

    @JsonProperty
    public void setHandoverSpread(Duration handoverSpread)
    {
        this.handoverSpread = handoverSpread;
    }

    @JsonProperty
    public int getReplacementNice()
    {
        return replacementNice;
    }

    @JsonProperty
    public void setReplacementNice(int replacementNice)
    {
        this.replacementNice = replacementNice;
    }

    @JsonProperty
    public boolean isMoveConnections()
    {
        return moveConnections;
    }

    @JsonProperty
    public void setMoveConnections(boolean moveConnections)
    {
        this.moveConnections = moveConnections;
    }

    @JsonProperty
    public Duration getTakeBackWindow()
    {
        return takeBackWindow;
    }

    @JsonProperty
    public void setTakeBackWindow(Duration takeBackWindow)
    {
        this.takeBackWindow = takeBackWindow;
    }

    @JsonProperty
    @Nullable
    public String getPidFile()
    {
        return pidFile;
    }

    @JsonProperty
    public void setPidFile(@Nullable String pidFile)
    {
        this.pidFile = pidFile;
    }

    @JsonProperty
    @Nullable
    public List<String> getCommand()
    {
        return command;
    }

    @JsonProperty
    public void setCommand(@Nullable List<String> command)
    {
        this.command = command;
    }

    @JsonProperty
    public boolean isSystemdNotify()
    {
        return systemdNotify;
    }

    @JsonProperty
    public void setSystemdNotify(boolean systemdNotify)
    {
        this.systemdNotify = systemdNotify;
    }

    @JsonProperty
    public boolean isDrainOnStop()
    {
        return drainOnStop;
    }

    @JsonProperty
    public void setDrainOnStop(boolean drainOnStop)
    {
        this.drainOnStop = drainOnStop;
    }

    @JsonProperty
    public WarmUpFactory getWarmUp()
    {
        return warmUp;
    }

    @JsonProperty
    public void setWarmUp(WarmUpFactory warmUp)
    {
        this.warmUp = warmUp;
    }

    @JsonProperty
    public boolean isSystemdFdStore()
    {
        return systemdFdStore;
    }

    @JsonProperty
    public void setSystemdFdStore(boolean systemdFdStore)
    {
        this.systemdFdStore = systemdFdStore;
    }

    @JsonProperty
    public String getHolder()
    {
        return holder;
    }

    @JsonProperty
    public void setHolder(String holder)
    {
        this.holder = holder;
    }

    @JsonProperty
    public Duration getWebSocketCloseSpread()
    {
        return webSocketCloseSpread;
    }

    @JsonProperty
    public void setWebSocketCloseSpread(Duration webSocketCloseSpread)
    {
        this.webSocketCloseSpread = webSocketCloseSpread;
    }

    /**
     * @return the library's configuration with these settings; {@code exitAfterDrain} is off: the bundle ends a
     * replaced process itself, through Dropwizard's shutdown
     * @throws IllegalArgumentException naming the first {@code gracefulRestart.} field that cannot work, its value and
     * the fix (the library's own check, beyond what the annotations check when the configuration is loaded)
     */
    public GracefulRestartConfiguration toConfiguration()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        try
        {
            config.setSignal(signal);
            config.setReadyTimeout(toJava(readyTimeout));
            config.setDrainTimeout(toJava(drainTimeout));
            config.setKillGrace(toJava(killGrace));
            config.setCommand(command);
            config.setPidFile(pidFile);
            config.setSystemdNotify(systemdNotify);
            config.setSystemdFdStore(systemdFdStore);
            config.setDrainOnStop(drainOnStop);
            config.setTakeBackWindow(toJava(takeBackWindow));
            config.setHandoverSpread(toJava(handoverSpread));
            config.setReplacementNice(replacementNice);
            config.setMoveConnections(moveConnections);
            config.setHolder(holder);
            config.setWebSocketCloseSpread(toJava(webSocketCloseSpread));
            warmUp.applyTo(config.getWarmUp());
            config.setExitAfterDrain(false);
            config.validate();
        }
        catch (InvalidSettingException x)
        {
            throw new IllegalArgumentException("gracefulRestart." + x.setting() + " = " + x.value() + ": " + x.problem() + ". Fix: " + x.fix(), x);
        }
        return config;
    }

    /** @return a {@link GracefulRestart} for {@code server} with {@link #toConfiguration()} */
    public GracefulRestart build(Server server)
    {
        return new GracefulRestart(server, toConfiguration());
    }

    static java.time.Duration toJava(Duration duration)
    {
        return java.time.Duration.ofNanos(duration.toNanoseconds());
    }
}
