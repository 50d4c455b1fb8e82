package io.jettygraceful.internal.handoff;

import java.lang.management.ManagementFactory;
import java.util.Locale;

import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs an action when this JVM receives a signal (through {@code sun.misc.Signal}, in module jdk.unsupported, which
 * every JDK resolves for class-path applications). Installing replaces the JVM's own handling of that signal (for
 * HUP: the JVM would otherwise run its shutdown hooks and exit); {@link #uninstall()} puts it back.
 *
 * <h2>A trigger signal that was ignored when the JVM started</h2>
 * {@code nohup java ... &} starts the JVM with SIGHUP ignored ({@code SigIgn} in /proc/PID/status), so does a shell
 * with {@code trap '' HUP}. HotSpot then installs no handler for HUP, and {@code sun.misc.Signal.handle} silently
 * does nothing: {@code kill -HUP} would neither restart nor stop the server. This trigger <em>takes the signal
 * anyway</em> ({@link Os#stopIgnoring}, then the handler) and logs a warning saying so, because:
 * <ul>
 *   <li>the restart signal is configuration (HUP unless set otherwise): asking for a restart on it is exactly a
 *       request to handle it;</li>
 *   <li>what the ignoring is for still holds: nohup promises that a hangup does not end the process, and the
 *       handler never ends it; a hangup now starts a zero-downtime restart (same command, same directory), after
 *       which the service still runs, as after any restart;</li>
 *   <li>refusing instead would make the most common way to start a server in the background fail with the
 *       default configuration, and doing nothing is the silent no-op this replaces.</li>
 * </ul>
 * <p>The override is for the trigger signal alone and for this JVM alone: every replacement starts with the signal
 * dispositions this JVM started with ({@link Os#spawn}), so it finds the signal ignored too, takes it the same way
 * and says so again; every other signal that was ignored stays ignored in every generation. Whoever wants hangups
 * ignored sets another restart signal ({@code USR1}). Should the JVM still refuse the handler, the start fails
 * with an error naming the cause and the fix.</p>
 */
public final class SignalTrigger
{
    private static final Logger LOG = LoggerFactory.getLogger(SignalTrigger.class);

    private final Signal signal;
    private SignalHandler previous;
    private boolean takenFromIgnored;

    private SignalTrigger(Signal signal)
    {
        this.signal = signal;
    }

    /**
     * @param name HUP, USR1 or USR2 (with or without the SIG prefix, any case)
     * @param os   the OS seam: says whether the signal was ignored at this JVM's start, and makes it deliverable
     * @throws IllegalArgumentException naming the signal and the fix when it cannot work in this JVM
     */
    public static SignalTrigger install(String name, Runnable action, Os os)
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
        int number = trigger.signal.getNumber();
        if (os.ignoredAtStart().contains(number))
        {
            try
            {
                os.stopIgnoring(number);
            }
            catch (OsException x)
            {
                throw new IllegalArgumentException(ignoredAtStart(signalName) + ", and cannot be handled (" + x.getMessage() + "). " + fixForIgnored(signalName), x);
            }
            trigger.takenFromIgnored = true;
        }
        try
        {
            trigger.previous = Signal.handle(trigger.signal, s -> action.run());
        }
        catch (IllegalArgumentException x)
        {
            throw new IllegalArgumentException("the JVM refuses a handler for SIG" + signalName + " (" + x.getMessage() + "): choose another restart signal, " +
                "or set it to none and trigger restarts through GracefulRestart.restart()", x);
        }
        // HotSpot answers SIG_IGN, having installed nothing, for a HUP that is (still) ignored.
        if (trigger.previous == SignalHandler.SIG_IGN && "HUP".equals(signalName))
            throw new IllegalArgumentException("SIGHUP is ignored in this process (SigIgn in /proc/" + os.pid() + "/status), so the JVM installed no " +
                "handler and SIGHUP would do nothing. " + fixForIgnored(signalName));
        if (trigger.takenFromIgnored)
            LOG.warn("{}. Restarting on it anyway, as configured: SIG{} now starts a zero-downtime restart here instead of being ignored (it never " +
                    "stops this server), and every replacement starts with it ignored again, as this JVM did. To leave it ignored, set another " +
                    "restart signal ({}).", ignoredAtStart(signalName), signalName, otherSignal(signalName));
        return trigger;
    }

    private static String ignoredAtStart(String signalName)
    {
        return "SIG" + signalName + " was ignored when this JVM started (SigIgn in /proc/self/status: " + ("HUP".equals(signalName) ? "started with nohup, " : "") +
            "from a shell that ran trap '' " + signalName + ", or by another parent that ignores it)";
    }

    private static String fixForIgnored(String signalName)
    {
        String other = otherSignal(signalName);
        return "Fix: start the JVM with SIG" + signalName + " not ignored (" + ("HUP".equals(signalName) ? "without nohup, " : "") + "without trap '' " +
            signalName + "), or set the restart signal to " + other + " (jetty.graceful.restart.signal=" + other + ", GracefulRestartConfiguration.setSignal(\"" + other + "\"))";
    }

    private static String otherSignal(String signalName)
    {
        return "USR1".equals(signalName) ? "HUP" : "USR1";
    }

    public static String normalize(String name)
    {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        return upper.startsWith("SIG") ? upper.substring(3) : upper;
    }

    public String name()
    {
        return "SIG" + signal.getName();
    }

    /** Puts the JVM's handling back; a signal taken although it was ignored at start is ignored again. */
    public void uninstall()
    {
        // After stopIgnoring, HotSpot reports the copied handler as one of its own and "previous" is no usable handler.
        SignalHandler restore = takenFromIgnored ? SignalHandler.SIG_IGN : previous;
        if (restore != null)
        {
            try
            {
                Signal.handle(signal, restore);
            }
            catch (IllegalArgumentException x)
            {
                LOG.debug("cannot restore the handler of {}", name(), x);
            }
        }
    }
}
