package io.jettygraceful.internal.supervise;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RestartListenersTest
{
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final RestartListeners listeners = new RestartListeners();

    private RestartListener recording(String name)
    {
        return new RestartListener()
        {
            @Override
            public void restartStarting()
            {
                heard.add(name + ":starting");
            }

            @Override
            public void childReady(int childPid)
            {
                heard.add(name + ":childReady " + childPid);
            }

            @Override
            public void restartSucceeded(RestartOutcome outcome)
            {
                heard.add(name + ":succeeded " + outcome.childPid());
            }

            @Override
            public void restartFailed(RestartOutcome outcome)
            {
                heard.add(name + ":failed");
            }

            @Override
            public void drained(RestartOutcome outcome, Duration drainTime)
            {
                heard.add(name + ":drained " + outcome.childPid() + " in " + drainTime.toMillis() + " ms");
            }

            @Override
            public void serving()
            {
                heard.add(name + ":serving");
            }

            @Override
            public void stopping()
            {
                heard.add(name + ":stopping");
            }
        };
    }

    @Test
    void supervisorsHearEveryPhaseFirstButChildReadyLast()
    {
        listeners.add(recording("app"));
        listeners.setSupervisors(List.of(recording("pidfile"), recording("systemd")));

        listeners.restartStarting();
        listeners.childReady(42);
        listeners.outcome(RestartOutcome.success(42, Duration.ofMillis(5)));
        listeners.drained(RestartOutcome.success(42, Duration.ofMillis(5)), Duration.ofMillis(30));
        listeners.serving();
        listeners.stopping();

        assertEquals(List.of(
            "pidfile:starting", "systemd:starting", "app:starting",
            // systemd hears MAINPID as the very last step before the replacement is told DONE
            "app:childReady 42", "pidfile:childReady 42", "systemd:childReady 42",
            "pidfile:succeeded 42", "systemd:succeeded 42", "app:succeeded 42",
            "pidfile:drained 42 in 30 ms", "systemd:drained 42 in 30 ms", "app:drained 42 in 30 ms",
            "pidfile:serving", "systemd:serving", "app:serving",
            "pidfile:stopping", "systemd:stopping", "app:stopping"), heard);
    }

    @Test
    void aListenerThatThrowsIsSkippedAndTheOthersStillHear()
    {
        listeners.setSupervisors(List.of(new RestartListener()
        {
            @Override
            public void childReady(int childPid) throws Exception
            {
                throw new java.io.IOException("disk full");
            }
        }, recording("systemd")));
        listeners.add(recording("app"));

        listeners.childReady(7);
        listeners.outcome(RestartOutcome.failure(7, "why", Duration.ZERO, null));

        assertEquals(List.of("app:childReady 7", "systemd:childReady 7", "systemd:failed", "app:failed"), heard);
    }

    @Test
    void setSupervisorsReplacesTheOldOnesAndRemoveDropsAnApplicationListener()
    {
        RestartListener app = recording("app");
        listeners.add(app);
        listeners.setSupervisors(List.of(recording("old")));
        listeners.setSupervisors(List.of(recording("new")));
        listeners.serving();
        listeners.remove(app);
        listeners.stopping();

        assertEquals(List.of("new:serving", "app:serving", "new:stopping"), heard);
    }
}
