package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.jettygraceful.GracefulRestart;
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

    /** File that holds the pid of the serving process (rewritten at each restart); none by default. */
    private String pidFile;

    /** Command line of the replacement (e.g. a launcher script ending in exec java ...); default: this JVM's own command line. */
    private List<String> command = new ArrayList<>();

    /** Whether systemd's notify protocol (READY, RELOADING, MAINPID) is spoken when NOTIFY_SOCKET is set. */
    private boolean systemdNotify = true;

    /** Whether every connector must adopt an inherited socket (systemd socket activation) instead of binding its port. */
    private boolean inheritRequired;

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
        String normalized = signal == null ? "NONE" : signal.trim().toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("HUP", "USR1", "USR2", "NONE", "").contains(normalized))
            throw new InvalidGracefulPropertyException("signal", signal, "the JVM can only handle HUP, USR1 or USR2 for a restart",
                "set HUP (the default), USR1, or none to restart through the actuator endpoint only");
        if (command != null && command.stream().anyMatch(part -> part == null || part.isBlank()))
            throw new InvalidGracefulPropertyException("command", command, "it has an empty element", "list the program and its arguments, or leave it unset to run this JVM's command line again");
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
}
