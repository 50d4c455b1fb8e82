package io.jettygraceful.javalin.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedSocket;
import io.jettygraceful.RestartListener;
import io.jettygraceful.javalin.GracefulRestartPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Javalin sample: {@code java -jar jetty-graceful-javalin-example.jar --port 8083}; SIGHUP restarts it with zero
 * downtime. Routes as in the plain example: {@code /uuid} (this process's uuid), {@code /delayed?ms=N} (the uuid after
 * N ms), {@code /status} (pid, uuid, generation, parentPid, listeners, as JSON), a WebSocket echo on {@code /ws}
 * ({@code hello <uuid>}, then {@code <uuid> <message>} for each message), and
 * Server-Sent Events on {@code /events} (an event {@code uuid}, then the stream stays open until a restart ends it). Logs
 * {@code Serving pid=N generation=G uuid=U listeners=[...]} once it serves (in a replacement: once its parent handed over).
 */
public final class ExampleApp
{
    static final String PROCESS_UUID = UUID.randomUUID().toString();
    private static final Logger LOG = LoggerFactory.getLogger(ExampleApp.class);

    private ExampleApp()
    {
    }

    public static void main(String[] args)
    {
        ExampleOptions options;
        try
        {
            options = ExampleOptions.parse(args);
        }
        catch (IllegalArgumentException x)
        {
            System.err.println(x.getMessage());
            System.exit(2);
            return;
        }
        start(options);
    }

    static Javalin start(ExampleOptions options)
    {
        GracefulRestartPlugin[] plugin = new GracefulRestartPlugin[1];
        GracefulRestartPlugin graceful = new GracefulRestartPlugin(config ->
        {
            options.applyTo(config.getRestart()); // every --<setting>: a value that cannot work fails here, naming the setting
            config.setInheritRequired(options.inheritRequired);
            if (options.readinessGate != null)
                config.setReadinessCheck(server -> awaitGate(Path.of(options.readinessGate), config.getRestart().getReadyTimeout().toMillis()));
            config.addRestartListener(new RestartListener()
            {
                @Override
                public void serving()
                {
                    logServing(plugin[0]);
                }
            });
        });
        plugin[0] = graceful;
        Javalin app = Javalin.create(config ->
        {
            config.startup.showJavalinBanner = false;
            config.registerPlugin(graceful);
            config.routes.get("/uuid", ctx -> ctx.result(PROCESS_UUID + "\n"));
            config.routes.get("/delayed", ctx ->
            {
                long ms = Math.max(0, Math.min(600_000, Long.parseLong(ctx.queryParamAsClass("ms", String.class).getOrDefault("1000"))));
                Thread.sleep(ms);
                ctx.result(PROCESS_UUID + "\n");
            });
            config.routes.get("/status", ctx -> status(ctx, graceful));
            // As the plain example's: greets with "hello <uuid>", echoes "<uuid> <message>"; a restart closes it with 1012.
            config.routes.ws("/ws", ws ->
            {
                ws.onConnect(session -> session.send("hello " + PROCESS_UUID));
                ws.onMessage(message -> message.send(PROCESS_UUID + " " + message.message()));
            });
            config.routes.sse("/events", graceful.sse(client ->
            {
                client.keepAlive();
                client.sendEvent("uuid", PROCESS_UUID);
            }));
            if (options.stopMarker != null)
            {
                Path marker = Path.of(options.stopMarker);
                config.events.serverStopping(() -> mark(marker, "serverStopping"));
                config.events.serverStopped(() -> mark(marker, "serverStopped"));
            }
        });
        app.start(options.host, options.port);
        return app;
    }

    private static void logServing(GracefulRestartPlugin graceful)
    {
        String listeners = graceful.getConnectors().stream().map(ExampleApp::describe).collect(Collectors.joining(", "));
        LOG.info("Serving pid={} generation={} uuid={} listeners=[{}]", ProcessHandle.current().pid(),
            graceful.getGracefulRestart().getGeneration(), PROCESS_UUID, listeners);
    }

    /** The same flat JSON as the plain example's /status. */
    private static void status(Context ctx, GracefulRestartPlugin graceful)
    {
        GracefulRestart restart = graceful.getGracefulRestart();
        List<InheritedServerConnector> connectors = graceful.getConnectors();
        String listeners = connectors.stream()
            .map(c -> "{\"address\":\"" + address(c) + "\",\"inherited\":" + c.isInherited() + "}")
            .collect(Collectors.joining(","));
        long inherited = connectors.stream().filter(InheritedServerConnector::isInherited).count();
        ctx.contentType("application/json").result("{\"pid\":" + ProcessHandle.current().pid() +
            ",\"uuid\":\"" + PROCESS_UUID + "\"" +
            ",\"generation\":" + restart.getGeneration() +
            ",\"parentPid\":" + (restart.getParentPid() > 0 ? restart.getParentPid() : "null") +
            ",\"inherited\":" + inherited +
            ",\"listeners\":[" + listeners + "]" +
            ",\"restartsSucceeded\":" + restart.getRestartsSucceeded() +
            ",\"restartsFailed\":" + restart.getRestartsFailed() +
            ",\"handedOff\":" + restart.isHandedOff() +
            ",\"requestsInFlight\":" + restart.getRequestsInFlight() + "}\n");
    }

    static String address(InheritedServerConnector connector)
    {
        if (connector.getListenAddress() != null)
            return InheritedSocket.hostAndPort(connector.getListenAddress());
        String host = connector.getHost() == null ? "0.0.0.0" : connector.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + connector.getLocalPort();
    }

    /** @return e.g. {@code inherited fd 3 127.0.0.1:8083} or {@code bound 127.0.0.1:8083} */
    static String describe(InheritedServerConnector connector)
    {
        if (connector.getInheritedSocket() != null)
            return "inherited " + connector.getInheritedSocket().describe();
        return "bound " + address(connector);
    }

    /** Appends {@code EVENT pid=N} to {@code marker}: the proof, for tests, that Javalin's stop events fired in this process. */
    private static void mark(Path marker, String event)
    {
        try
        {
            Files.writeString(marker, event + " pid=" + ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }

    /** The sample's readiness check with {@code --readiness-gate}: waits until the file exists, at most the ready timeout. */
    private static void awaitGate(Path gate, long timeoutMillis) throws InterruptedException
    {
        LOG.info("Waiting for readiness gate {}", gate);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!Files.exists(gate))
        {
            if (System.nanoTime() - deadline > 0)
                throw new IllegalStateException("readiness gate " + gate + " did not appear within " + timeoutMillis + " ms");
            Thread.sleep(20);
        }
    }
}
