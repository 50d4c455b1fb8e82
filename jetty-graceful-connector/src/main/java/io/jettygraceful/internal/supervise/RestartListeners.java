package io.jettygraceful.internal.supervise;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the restart's phases to two groups of {@link RestartListener}s, in an order that matters to supervisors:
 * <ul>
 *   <li>the <em>supervisors</em> (the PID file, then systemd's notify socket), set up by {@link io.jettygraceful.GracefulRestart} each
 *       time it starts;</li>
 *   <li>the application's listeners, added through {@link io.jettygraceful.GracefulRestart#addRestartListener}.</li>
 * </ul>
 * Every phase goes to the supervisors first, but {@link RestartListener#childReady} goes to the application first
 * and the supervisors last, so that the PID file names the replacement as the very last step before the replacement is
 * told it is the main process (systemd follows that file, not {@code MAINPID=}: {@link io.jettygraceful.internal.protocol.HandoffProtocol}, "Under systemd"). A listener that throws is logged and skipped; the others still hear of the phase.
 */
public final class RestartListeners
{
    private static final Logger LOG = LoggerFactory.getLogger(RestartListeners.class);

    private final List<RestartListener> application = new CopyOnWriteArrayList<>();
    private final List<RestartListener> supervisors = new CopyOnWriteArrayList<>();

    public void add(RestartListener listener)
    {
        application.add(Objects.requireNonNull(listener));
    }

    public void remove(RestartListener listener)
    {
        application.remove(listener);
    }

    /** Replaces the supervisors, in the order given. */
    public void setSupervisors(List<RestartListener> ordered)
    {
        supervisors.clear();
        supervisors.addAll(ordered);
    }

    public void restartStarting()
    {
        notify("restartStarting", RestartListener::restartStarting);
    }

    public void childReady(int childPid)
    {
        notify("childReady", List.of(application, supervisors), l -> l.childReady(childPid));
    }

    public void outcome(RestartOutcome outcome)
    {
        if (outcome.succeeded())
            notify("restartSucceeded", l -> l.restartSucceeded(outcome));
        else
            notify("restartFailed", l -> l.restartFailed(outcome));
    }

    public void drained(RestartOutcome outcome, java.time.Duration drainTime)
    {
        notify("drained", l -> l.drained(outcome, drainTime));
    }

    public void refused(String reason)
    {
        notify("restartRefused", l -> l.restartRefused(reason));
    }

    public void serving()
    {
        notify("serving", RestartListener::serving);
    }

    public void stopping()
    {
        notify("stopping", RestartListener::stopping);
    }

    private void notify(String phase, Call call)
    {
        notify(phase, List.of(supervisors, application), call);
    }

    private static void notify(String phase, List<List<RestartListener>> groups, Call call)
    {
        for (List<RestartListener> group : groups)
        {
            for (RestartListener listener : group)
            {
                try
                {
                    call.accept(listener);
                }
                catch (Throwable x)
                {
                    LOG.warn("Restart listener {} failed in {}(): {}", listener, phase, x.toString());
                }
            }
        }
    }

    @FunctionalInterface
    private interface Call
    {
        void accept(RestartListener listener) throws Exception;
    }
}
