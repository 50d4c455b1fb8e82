package io.jettygraceful.dropwizard;

import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import io.jettygraceful.GracefulRestart;
import jakarta.annotation.Nullable;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.eclipse.jetty.server.Server;

/**
 * The {@code gracefulRestart:} block of an application's configuration: the settings of {@link GracefulRestart}, in
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

    /**
     * @return a {@link GracefulRestart} for {@code server} with these settings; {@code exitAfterDrain} is off: the
     * bundle ends a replaced process itself, through Dropwizard's shutdown
     */
    public GracefulRestart build(Server server)
    {
        GracefulRestart restart = new GracefulRestart(server);
        restart.setSignal(signal);
        restart.setReadyTimeout(toJava(readyTimeout));
        restart.setDrainTimeout(toJava(drainTimeout));
        restart.setKillGrace(toJava(killGrace));
        restart.setTakeBackWindow(toJava(takeBackWindow));
        restart.setHandoverSpread(toJava(handoverSpread));
        restart.setReplacementNice(replacementNice);
        restart.setMoveConnections(moveConnections);
        restart.setPidFile(pidFile);
        restart.setCommand(command);
        restart.setSystemdNotify(systemdNotify);
        restart.setDrainOnStop(drainOnStop);
        restart.setExitAfterDrain(false);
        return restart;
    }

    static java.time.Duration toJava(Duration duration)
    {
        return java.time.Duration.ofNanos(duration.toNanoseconds());
    }
}
