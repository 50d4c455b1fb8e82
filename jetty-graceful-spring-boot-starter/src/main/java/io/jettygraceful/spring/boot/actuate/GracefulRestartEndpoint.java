package io.jettygraceful.spring.boot.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
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
 * successful answer is the replaced process's last: it drains and exits after sending it).
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

    @WriteOperation
    public Map<String, Object> restart()
    {
        RestartOutcome outcome;
        try
        {
            outcome = restart.restart().get(restart.getRestartTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException x)
        {
            return Map.of("succeeded", false, "reason", String.valueOf(x.getCause().getMessage()));
        }
        catch (TimeoutException x)
        {
            return Map.of("succeeded", false, "reason", "no outcome within " + restart.getRestartTimeout().toMillis() + " ms; see the log");
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            return Map.of("succeeded", false, "reason", "interrupted while waiting for the outcome");
        }
        return outcome(outcome);
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
