package io.jettygraceful.javalin;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.jettygraceful.GracefulRestart;

/**
 * The settings of the {@link GracefulRestart} the plugin adds, under the names the library gives them
 * ({@code drainTimeout}, {@code pidFile}, ...). Each setter checks its value at once, on a {@link GracefulRestart} of
 * its own, so that a value that cannot work fails where the plugin is configured, with an
 * {@link IllegalArgumentException} naming the setting, the value and the fix.
 *
 * <p>Interim: it stands in for the library's one settings object, {@code GracefulRestartConfiguration}, which
 * the plugin exposes instead once it exists (same setter names: applications' code does not change).</p>
 */
public final class RestartSettings
{
    private final List<Consumer<GracefulRestart>> applied = new ArrayList<>();
    private final GracefulRestart checked = new GracefulRestart(new org.eclipse.jetty.server.Server());

    RestartSettings()
    {
        checked.setExitAfterDrain(true);
    }

    public void setSignal(String signal)
    {
        String name = signal == null ? "none" : signal.trim().toUpperCase(java.util.Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("HUP", "USR1", "USR2", "NONE", "").contains(name))
            throw invalid("signal", signal, "only HUP, USR1, USR2 can trigger a restart", "HUP (the default), USR1, or none (restart through the API only)");
        set("signal", signal, r -> r.setSignal(signal), "HUP, USR1, or none");
    }

    public void setReadyTimeout(Duration timeout)
    {
        set("readyTimeout", timeout, r -> r.setReadyTimeout(timeout), "a positive duration, e.g. Duration.ofSeconds(60)");
    }

    public Duration getReadyTimeout()
    {
        return checked.getReadyTimeout();
    }

    public void setDrainTimeout(Duration timeout)
    {
        set("drainTimeout", timeout, r -> r.setDrainTimeout(timeout), "a positive duration, e.g. Duration.ofSeconds(30)");
    }

    public Duration getDrainTimeout()
    {
        return checked.getDrainTimeout();
    }

    public void setKillGrace(Duration grace)
    {
        set("killGrace", grace, r -> r.setKillGrace(grace), "a positive duration, e.g. Duration.ofSeconds(5)");
    }

    public void setCommand(List<String> command)
    {
        if (command != null && command.isEmpty())
            throw invalid("command", command, "an empty command cannot start a replacement", "the replacement's command line (e.g. a launcher script ending in exec java ...), or null for this JVM's own");
        set("command", command, r -> r.setCommand(command), "a command line, or null");
    }

    public void setPidFile(String pidFile)
    {
        set("pidFile", pidFile, r -> r.setPidFile(pidFile), "a file in a writable directory, or null");
    }

    public void setSystemdNotify(boolean notify)
    {
        set("systemdNotify", notify, r -> r.setSystemdNotify(notify), "true or false");
    }

    public void setSystemdFdStore(boolean store)
    {
        set("systemdFdStore", store, r -> r.setSystemdFdStore(store), "true or false");
    }

    public void setExitAfterDrain(boolean exit)
    {
        set("exitAfterDrain", exit, r -> r.setExitAfterDrain(exit), "true or false");
    }

    public void setDrainOnStop(boolean drain)
    {
        set("drainOnStop", drain, r -> r.setDrainOnStop(drain), "true or false");
    }

    public void setTakeBackWindow(Duration window)
    {
        set("takeBackWindow", window, r -> r.setTakeBackWindow(window), "a duration of 0 or more, e.g. Duration.ofSeconds(2)");
    }

    public void setHandoverSpread(Duration spread)
    {
        set("handoverSpread", spread, r -> r.setHandoverSpread(spread), "a duration of 0 or more, e.g. Duration.ofSeconds(1)");
    }

    public void setWebSocketCloseSpread(Duration spread)
    {
        set("webSocketCloseSpread", spread, r -> r.setWebSocketCloseSpread(spread), "a duration of 0 or more, e.g. Duration.ofSeconds(5)");
    }

    public void setReplacementNice(int increment)
    {
        set("replacementNice", increment, r -> r.setReplacementNice(increment), "0 (off) to 19");
    }

    public void setHolder(String mode)
    {
        set("holder", mode, r -> r.setHolder(mode), "auto, always or never");
    }

    /** Applies every setting to {@code restart}, in the order they were given. */
    void applyTo(GracefulRestart restart)
    {
        applied.forEach(setting -> setting.accept(restart));
    }

    private void set(String name, Object value, Consumer<GracefulRestart> setting, String fix)
    {
        try
        {
            setting.accept(checked);
        }
        catch (IllegalArgumentException | NullPointerException x)
        {
            throw invalid(name, value, String.valueOf(x.getMessage()), fix);
        }
        applied.add(setting);
    }

    private static IllegalArgumentException invalid(String name, Object value, String problem, String fix)
    {
        return new IllegalArgumentException("Invalid jetty-graceful setting " + name + " = " + value + ": " + problem + ". Fix: " + fix);
    }
}
