package io.jettygraceful;

import java.time.Duration;

import io.jettygraceful.ExitStatus;

/**
 * How one restart ended, as returned by {@link GracefulRestart#restart()}.
 *
 * @param succeeded   true when the replacement reported ready and this process handed over (it then drains and exits)
 * @param childPid    the replacement's pid, or 0 when none was started
 * @param reason      why it failed (names the cause and, where there is one, the fix), or {@code null} on success
 * @param handoffTime from the trigger to the replacement's readiness (or to the failure)
 * @param childExit   how a failed replacement ended, or {@code null} when it did not run or on success
 */
public record RestartOutcome(boolean succeeded, int childPid, String reason, Duration handoffTime, ExitStatus childExit)
{
    public static RestartOutcome success(int childPid, Duration handoffTime)
    {
        return new RestartOutcome(true, childPid, null, handoffTime, null);
    }

    public static RestartOutcome failure(int childPid, String reason, Duration handoffTime, ExitStatus childExit)
    {
        return new RestartOutcome(false, childPid, reason, handoffTime, childExit);
    }

    @Override
    public String toString()
    {
        if (succeeded)
            return "succeeded: new pid " + childPid + " ready after " + handoffTime.toMillis() + " ms";
        return "failed: " + reason + (childPid > 0 ? " (replacement pid " + childPid + (childExit != null ? ", " + childExit : "") + ")" : "");
    }
}
