package io.jettygraceful.example;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedSocket;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.InheritedUnixDomainConnector;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The example's routes: {@code /uuid}, {@code /delayed?ms=N} and {@code /status}. Delays are scheduled on Jetty's
 * scheduler, so a slow request holds no thread.
 */
final class ExampleHandler extends Handler.Abstract.NonBlocking
{
    static final UUID PROCESS_UUID = UUID.randomUUID();
    private static final long MAX_DELAY_MS = 600_000;

    private final InheritedSockets inherited;
    private final List<Connector> connectors;
    private final StatusSource status;

    /** Extra fields for /status, supplied by whoever owns them (the restart component). */
    interface StatusSource
    {
        String extraJson();
    }

    ExampleHandler(InheritedSockets inherited, List<Connector> connectors, StatusSource status)
    {
        this.inherited = inherited;
        this.connectors = connectors;
        this.status = status;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
    {
        switch (Request.getPathInContext(request))
        {
            case "/uuid" -> text(response, callback, PROCESS_UUID + "\n");
            case "/delayed" -> delayed(request, response, callback);
            case "/peer" -> text(response, callback, ProcessHandle.current().pid() + " " + Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request) + "\n");
            case "/status" -> json(response, callback, statusJson());
            default -> Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        }
        return true;
    }

    private void delayed(Request request, Response response, Callback callback)
    {
        Fields parameters = Request.extractQueryParameters(request);
        long ms;
        try
        {
            String value = parameters.getValue("ms");
            ms = value == null ? 5000 : Long.parseLong(value);
            if (ms < 0 || ms > MAX_DELAY_MS)
                throw new NumberFormatException();
        }
        catch (NumberFormatException x)
        {
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "ms must be a whole number from 0 to " + MAX_DELAY_MS);
            return;
        }
        request.getComponents().getScheduler().schedule(() -> text(response, callback, PROCESS_UUID + "\n"), ms, TimeUnit.MILLISECONDS);
    }

    String statusJson()
    {
        String listeners = connectors.stream()
            .map(c -> "{\"address\":\"" + address(c) + "\",\"inherited\":" + isInherited(c) + "}")
            .collect(Collectors.joining(","));
        long inheritedCount = connectors.stream().filter(ExampleHandler::isInherited).count();
        String extra = status.extraJson();
        return "{\"pid\":" + ProcessHandle.current().pid() +
            ",\"uuid\":\"" + PROCESS_UUID + "\"" +
            ",\"generation\":" + inherited.generation() +
            ",\"parentPid\":" + (inherited.parentPid() > 0 ? inherited.parentPid() : "null") +
            ",\"inherited\":" + inheritedCount +
            ",\"listeners\":[" + listeners + "]" +
            (extra.isEmpty() ? "" : "," + extra) +
            "}\n";
    }

    private static boolean isInherited(Connector connector)
    {
        return connector instanceof InheritedServerConnector inherited && inherited.isInherited() ||
            connector instanceof InheritedUnixDomainConnector unix && unix.isInherited();
    }

    private static String address(Connector connector)
    {
        if (connector instanceof InheritedUnixDomainConnector unix)
            return unix.isInherited() ? "unix:" + unix.getInheritedSocket().unixPath() : "unix:" + unix.getUnixDomainPath();
        if (connector instanceof InheritedServerConnector inherited && inherited.getListenAddress() != null)
            return InheritedSocket.hostAndPort(inherited.getListenAddress());
        ServerConnector tcp = (ServerConnector)connector;
        String host = tcp.getHost() == null ? "0.0.0.0" : tcp.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + tcp.getLocalPort();
    }

    /** @return e.g. {@code inherited fd 3 'http' 127.0.0.1:8080}, {@code bound 127.0.0.1:8081} or {@code bound unix:/run/app.sock} */
    static String describe(Connector connector)
    {
        if (connector instanceof InheritedServerConnector inherited && inherited.getInheritedSocket() != null)
            return "inherited " + inherited.getInheritedSocket().describe();
        if (connector instanceof InheritedUnixDomainConnector unix && unix.getInheritedSocket() != null)
            return "inherited " + unix.getInheritedSocket().describe();
        return "bound " + address(connector);
    }

    private static void text(Response response, Callback callback, String body)
    {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.write(true, StandardCharsets.UTF_8.encode(body), callback);
    }

    private static void json(Response response, Callback callback, String body)
    {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, StandardCharsets.UTF_8.encode(body), callback);
    }
}
