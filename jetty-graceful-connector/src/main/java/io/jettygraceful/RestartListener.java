package io.jettygraceful;

import io.jettygraceful.internal.protocol.HandoffProtocol;

/**
 * Hooks into the restart's phases, for supervisors (systemd notify, PID file) and for applications. Methods are
 * called on the restart thread, in the order of the phases; exceptions are logged and otherwise ignored: by the time
 * a listener hears of a phase, the restart's course is already decided.
 */
public interface RestartListener
{
    /** A restart has begun in this process (the parent). */
    default void restartStarting()
    {
    }

    /**
     * The replacement is ready and accepts; this process is about to hand over (it has not told the replacement it is
     * the main process yet). This is the moment to point supervisors at the new pid: the PID file is rewritten now.
     * Under systemd nothing is sent: systemd re-reads {@code PIDFile=} once this process has drained and exited (no
     * {@code MAINPID=}, see {@link HandoffProtocol}, "Under systemd").
     */
    default void childReady(int childPid) throws Exception
    {
    }

    /** This process handed over to {@code outcome.childPid()}; it drains next. */
    default void restartSucceeded(RestartOutcome outcome)
    {
    }

    /**
     * This process handed over and has drained: its server is stopped, and it exits next unless
     * {@link GracefulRestartConfiguration#setExitAfterDrain(boolean) exitAfterDrain} is false, in which case ending the process
     * (closing a framework's application context, then exiting 0) is the listener's job. Not called when the
     * replacement died during the drain and this process took the sockets back (it then serves on, and
     * {@link #restartFailed} is called instead).
     *
     * @param outcome   the restart that handed over
     * @param drainTime from the handover to the end of the server's stop
     */
    default void drained(RestartOutcome outcome, java.time.Duration drainTime)
    {
    }

    /**
     * A restart was asked for and refused before it began (one is already running, this process is draining or still
     * taking over, nothing to hand over, a setting it needs is missing); this process serves on as before.
     *
     * @param reason what was refused and why, naming the fix where there is one
     */
    default void restartRefused(String reason)
    {
    }

    /** The restart failed; this process keeps serving. */
    default void restartFailed(RestartOutcome outcome)
    {
    }

    /**
     * In a replacement: the parent told this process to take over (or died), and its connectors now accept. Also
     * called in a first-generation process once its server has started.
     */
    default void serving()
    {
    }

    /** The server is stopping for real: not a handoff (a handed-over process drains without calling this). */
    default void stopping()
    {
    }
}
