package io.jettygraceful.dropwizard.example;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedSocket;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The sample's resources, as in the plain example: {@code /uuid} (this process's uuid), {@code /delayed?ms=N} (the
 * uuid after N ms) and {@code /status} (pid, uuid, generation, parentPid, listeners, restart counters, as JSON).
 */
@Path("/")
public class ExampleResource
{
    static final String PROCESS_UUID = UUID.randomUUID().toString();

    private final Supplier<GracefulRestart> restart;
    private final Supplier<Server> server;

    ExampleResource(Supplier<GracefulRestart> restart, Supplier<Server> server)
    {
        this.restart = restart;
        this.server = server;
    }

    @GET
    @Path("uuid")
    @Produces(MediaType.TEXT_PLAIN)
    public String uuid()
    {
        return PROCESS_UUID + "\n";
    }

    @GET
    @Path("delayed")
    @Produces(MediaType.TEXT_PLAIN)
    public String delayed(@QueryParam("ms") @DefaultValue("1000") long ms) throws InterruptedException
    {
        Thread.sleep(Math.max(0, Math.min(ms, 600_000)));
        return PROCESS_UUID + "\n";
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> status()
    {
        GracefulRestart graceful = restart.get();
        List<Map<String, Object>> listeners = new ArrayList<>();
        int inherited = 0;
        for (Connector connector : server.get().getConnectors())
        {
            if (!(connector instanceof ServerConnector network))
                continue;
            boolean isInherited = network instanceof InheritedServerConnector adopted && adopted.isInherited();
            inherited += isInherited ? 1 : 0;
            Map<String, Object> listener = new LinkedHashMap<>();
            listener.put("address", address(network));
            listener.put("inherited", isInherited);
            listeners.add(listener);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("pid", ProcessHandle.current().pid());
        status.put("uuid", PROCESS_UUID);
        status.put("generation", graceful.getGeneration());
        status.put("parentPid", graceful.getParentPid() > 0 ? graceful.getParentPid() : null);
        status.put("inherited", inherited);
        status.put("listeners", listeners);
        status.put("restartsSucceeded", graceful.getRestartsSucceeded());
        status.put("restartsFailed", graceful.getRestartsFailed());
        status.put("restarting", graceful.isRestarting());
        status.put("handedOff", graceful.isHandedOff());
        status.put("requestsInFlight", graceful.getRequestsInFlight());
        status.put("lastResult", graceful.getLastResult());
        return status;
    }

    static String address(ServerConnector connector)
    {
        if (connector instanceof InheritedServerConnector inherited && inherited.getListenAddress() != null)
            return InheritedSocket.hostAndPort(inherited.getListenAddress());
        String host = connector.getHost() == null ? "0.0.0.0" : connector.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + connector.getLocalPort();
    }

    /** @return e.g. {@code inherited fd 3 'application' 127.0.0.1:8080} or {@code bound 127.0.0.1:8081} */
    static String describe(ServerConnector connector)
    {
        if (connector instanceof InheritedServerConnector inherited && inherited.getInheritedSocket() != null)
            return "inherited " + inherited.getInheritedSocket().describe();
        return "bound " + address(connector);
    }
}
