package io.jettygraceful.spring.boot.example;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedSocket;
import io.jettygraceful.spring.boot.SpringGracefulRestart;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /uuid}, {@code /delayed?ms=N} and {@code /status}, as the plain example serves them. */
@RestController
public class ExampleController
{
    /** Identifies this process: every generation has its own. */
    public static final String PROCESS_UUID = UUID.randomUUID().toString();
    private static final long MAX_DELAY_MS = 600_000;

    private final SpringGracefulRestart restart;

    public ExampleController(SpringGracefulRestart restart)
    {
        this.restart = restart;
    }

    @GetMapping(value = "/uuid", produces = "text/plain")
    public String uuid()
    {
        return PROCESS_UUID + "\n";
    }

    /**
     * Answers after {@code ms} milliseconds, without holding a thread meanwhile (an async request: its timeout,
     * {@code spring.mvc.async.request-timeout}, is set above the longest delay).
     */
    @GetMapping(value = "/delayed", produces = "text/plain")
    public CompletableFuture<ResponseEntity<String>> delayed(@RequestParam(defaultValue = "5000") long ms)
    {
        if (ms < 0 || ms > MAX_DELAY_MS)
            return CompletableFuture.completedFuture(ResponseEntity.badRequest().body("ms must be a whole number from 0 to " + MAX_DELAY_MS + "\n"));
        return CompletableFuture.supplyAsync(() -> ResponseEntity.ok(PROCESS_UUID + "\n"), CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
    }

    @GetMapping(value = "/status", produces = "application/json")
    public Map<String, Object> status()
    {
        GracefulRestart graceful = restart.getGracefulRestart();
        List<InheritedServerConnector> connectors = restart.getConnectors();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("pid", ProcessHandle.current().pid());
        status.put("uuid", PROCESS_UUID);
        status.put("generation", graceful.getGeneration());
        status.put("parentPid", graceful.getParentPid() > 0 ? graceful.getParentPid() : null);
        status.put("inherited", connectors.stream().filter(InheritedServerConnector::isInherited).count());
        status.put("listeners", connectors.stream().map(ExampleController::listener).toList());
        status.put("restartsSucceeded", graceful.getRestartsSucceeded());
        status.put("restartsFailed", graceful.getRestartsFailed());
        status.put("restarting", graceful.isRestarting());
        status.put("handedOff", graceful.isHandedOff());
        status.put("requestsInFlight", graceful.getRequestsInFlight());
        status.put("lastResult", graceful.getLastResult());
        return status;
    }

    private static Map<String, Object> listener(InheritedServerConnector connector)
    {
        Map<String, Object> listener = new LinkedHashMap<>();
        listener.put("address", address(connector));
        listener.put("inherited", connector.isInherited());
        return listener;
    }

    static String address(InheritedServerConnector connector)
    {
        if (connector.getListenAddress() != null)
            return InheritedSocket.hostAndPort(connector.getListenAddress());
        return connector.getHost() + ":" + connector.getLocalPort();
    }
}
