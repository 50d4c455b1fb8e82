package io.jettygraceful;

import java.lang.management.ManagementFactory;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs an action when this JVM receives a signal (through {@code sun.misc.Signal}, in module jdk.unsupported, which
 * every JDK resolves for class-path applications). Installing replaces the JVM's own handling of that signal (for
 * HUP: the JVM would otherwise run its shutdown hooks and exit); {@link #uninstall()} puts it back.
 */
final class SignalTrigger
{
    private static final Logger LOG = LoggerFactory.getLogger(SignalTrigger.class);

    private final Signal signal;
    private SignalHandler previous;

    private SignalTrigger(Signal signal)
    {
        this.signal = signal;
    }

    /**
     * @param name HUP, USR1 or USR2 (with or without the SIG prefix, any case)
     * @throws IllegalArgumentException naming the signal and the fix when it cannot work in this JVM
     */
    static SignalTrigger install(String name, Runnable action)
    {
        String signalName = normalize(name);
        switch (signalName)
        {
            case "HUP", "USR1" ->
            {
            }
            case "USR2" -> LOG.warn("Restarting on SIGUSR2: HotSpot uses SIGUSR2 internally to suspend and resume threads; " +
                "with a handler installed, JFR's method sampling (and other suspend/resume users) silently stop working. Prefer HUP or USR1.");
            default -> throw new IllegalArgumentException("restart signal '" + name + "' is not supported: use HUP (default), USR1, or USR2 " +
                "(QUIT belongs to the JVM's thread dumps; TERM and INT to its shutdown)");
        }
        if (ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-Xrs"))
            throw new IllegalArgumentException("cannot restart on SIG" + signalName + ": this JVM runs with -Xrs, under which it refuses HUP and " +
                "never delivers USR1/USR2 to Java handlers. Remove -Xrs, or set the restart signal to none and trigger restarts through GracefulRestart.restart()");
        SignalTrigger trigger = new SignalTrigger(new Signal(signalName));
        try
        {
            trigger.previous = Signal.handle(trigger.signal, s -> action.run());
        }
        catch (IllegalArgumentException x)
        {
            throw new IllegalArgumentException("the JVM refuses a handler for SIG" + signalName + " (" + x.getMessage() + "): choose another restart signal, " +
                "or set it to none and trigger restarts through GracefulRestart.restart()", x);
        }
        return trigger;
    }

    static String normalize(String name)
    {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        return upper.startsWith("SIG") ? upper.substring(3) : upper;
    }

    String name()
    {
        return "SIG" + signal.getName();
    }

    void uninstall()
    {
        if (previous != null)
        {
            try
            {
                Signal.handle(signal, previous);
            }
            catch (IllegalArgumentException x)
            {
                LOG.debug("cannot restore the handler of {}", name(), x);
            }
        }
    }
}
