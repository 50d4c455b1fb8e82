package io.jettygraceful.spring.boot.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.spring.boot.SpringGracefulRestart;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * Actuator endpoint {@code gracefulrestart}. Read: this process's generation, pid, parent pid, restarts succeeded and
 * failed, whether a restart runs, and the last outcome with its reason. Write (POST, needs
 * {@code management.endpoint.gracefulrestart.access=unrestricted}: read-only by default, like every operation that
 * changes the running process): restart, and answer with the outcome once the replacement took over or failed (a
 * successful answer is the replaced process's last: it drains and exits after sending it). Over HTTP only a restart that
 * succeeded answers 200: {@link GracefulRestartEndpointWebExtension} gives a refused or failed one its own status.
 *
 * <p>Not exposed over HTTP unless listed in {@code management.endpoints.web.exposure.include}, as every endpoint but
 * health.</p>
 */
@Endpoint(id = "gracefulrestart", defaultAccess = Access.READ_ONLY)
public class GracefulRestartEndpoint
{
    private final SpringGracefulRestart restart;

    public GracefulRestartEndpoint(SpringGracefulRestart restart)
    {
        this.restart = restart;
    }

    @ReadOperation
    public Map<String, Object> status()
    {
        Map<String, Object> status = new LinkedHashMap<>();
        GracefulRestart current = restart.getGracefulRestart();
        status.put("pid", ProcessHandle.current().pid());
        status.put("generation", current != null ? current.getGeneration() : generation());
        status.put("parentPid", current != null ? current.getParentPid() : 0);
        status.put("running", current != null && current.isStarted());
        status.put("restartsSucceeded", current != null ? current.getRestartsSucceeded() : 0);
        status.put("restartsFailed", current != null ? current.getRestartsFailed() : 0);
        status.put("restarting", current != null && current.isRestarting());
        status.put("handedOff", current != null && current.isHandedOff());
        status.put("lastOutcome", current == null ? null : outcome(current.getLastOutcome()));
        return status;
    }

    /** @return the restart's outcome as JSON (JMX; over HTTP {@link GracefulRestartEndpointWebExtension} adds the status) */
    @WriteOperation
    public Map<String, Object> restart()
    {
        return restartAndWait().body();
    }

    /**
     * Restarts and waits for the outcome, at most {@link SpringGracefulRestart#getRestartTimeout()}.
     *
     * @return the outcome and what kind it is; never throws
     */
    Answer restartAndWait()
    {
        GracefulRestart current = restart.getGracefulRestart();
        // A refusal is told to the listeners on the thread that asked, before restart() returns: this one.
        Thread caller = Thread.currentThread();
        String[] refusal = new String[1];
        RestartListener refusals = new RestartListener()
        {
            @Override
            public void restartRefused(String reason)
            {
                if (Thread.currentThread() == caller)
                    refusal[0] = reason;
            }
        };
        if (current != null)
            current.addRestartListener(refusals);
        RestartOutcome outcome;
        try
        {
            outcome = restart.restart().get(restart.getRestartTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException x)
        {
            return new Answer(Kind.UNAVAILABLE, Map.of("succeeded", false, "reason", String.valueOf(x.getCause().getMessage())));
        }
        catch (TimeoutException x)
        {
            return new Answer(Kind.UNAVAILABLE, Map.of("succeeded", false, "reason", "no outcome within " + restart.getRestartTimeout().toMillis() + " ms; see the log"));
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            return new Answer(Kind.UNAVAILABLE, Map.of("succeeded", false, "reason", "interrupted while waiting for the outcome"));
        }
        finally
        {
            if (current != null)
                current.removeRestartListener(refusals);
        }
        Kind kind = outcome.succeeded() ? Kind.SUCCEEDED : refusal[0] != null ? Kind.REFUSED : Kind.FAILED;
        return new Answer(kind, outcome(outcome));
    }

    /** How a POST ended: the web extension maps each to an HTTP status. */
    enum Kind
    {
        /** The replacement took over: this process drains and exits after the answer. */
        SUCCEEDED,
        /** Refused before it began (a restart already runs, this process already handed over or still takes over). */
        REFUSED,
        /** Tried and failed: the replacement was stopped, this process serves on. */
        FAILED,
        /** No outcome: jetty-graceful is not running (yet), or none came within the restart timeout. */
        UNAVAILABLE
    }

    /** The outcome of one POST: its kind and the JSON body. */
    record Answer(Kind kind, Map<String, Object> body)
    {
    }

    static Map<String, Object> outcome(RestartOutcome outcome)
    {
        if (outcome == null)
            return null;
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("succeeded", outcome.succeeded());
        map.put("childPid", outcome.childPid());
        map.put("reason", outcome.reason());
        map.put("handoffMillis", outcome.handoffTime().toMillis());
        map.put("childExit", outcome.childExit() == null ? null : outcome.childExit().toString());
        map.put("summary", outcome.toString());
        return map;
    }

    private static int generation()
    {
        try
        {
            return InheritedSockets.get().generation();
        }
        catch (InheritedSocketException x)
        {
            return 1;
        }
    }
}
