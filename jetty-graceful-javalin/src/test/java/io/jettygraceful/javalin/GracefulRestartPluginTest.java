package io.jettygraceful.javalin;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.javalin.Javalin;
import io.javalin.util.JavalinException;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InvalidSettingException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin in a Javalin app of this JVM: its connectors become inherited ones with the same host and port, a stop
 * drains, and Javalin's stop events fire exactly once whichever way the server stops; settings that cannot work fail
 * where they are set. (Restarts themselves need a second JVM: src-it's io.jettygraceful.it.javalin.)
 */
class GracefulRestartPluginTest
{
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Javalin app;

    @TempDir
    Path dir;

    @AfterEach
    void stop()
    {
        if (app != null)
            app.stop();
    }

    private Javalin start(GracefulRestartPlugin plugin, List<String> events, CountDownLatch inHandler)
    {
        app = Javalin.create(config ->
        {
            config.startup.showJavalinBanner = false;
            config.registerPlugin(plugin);
            config.routes.get("/hello", ctx -> ctx.result("hello"));
            config.routes.get("/slow", ctx ->
            {
                inHandler.countDown();
                Thread.sleep(700);
                ctx.result("slow");
            });
            config.events.serverStopping(() -> events.add("serverStopping " + app.unsafe.jettyInternal.server.getState()));
            config.events.serverStopped(() -> events.add("serverStopped " + app.unsafe.jettyInternal.server.getState()));
        });
        return app.start("127.0.0.1", 0);
    }

    private HttpResponse<String> get(String path) throws Exception
    {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void javalinsConnectorBecomesAnInheritedOneWithTheSameHostAndServes() throws Exception
    {
        GracefulRestartPlugin plugin = new GracefulRestartPlugin(c -> c.getRestart().setSignal("none"));
        start(plugin, new CopyOnWriteArrayList<>(), new CountDownLatch(1));
        Server server = app.unsafe.jettyInternal.server;
        Connector[] connectors = server.getConnectors();
        assertEquals(1, connectors.length);
        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, connectors[0]);
        assertEquals("127.0.0.1", connector.getHost());
        assertTrue(connector.getLocalPort() > 0);
        assertEquals(connector.getLocalPort(), app.port(), "app.port() reads the inherited connector");
        assertEquals(List.of(connector), plugin.getConnectors());
        assertNotNull(plugin.getGracefulRestart());
        assertTrue(plugin.getGracefulRestart().isStarted(), "the restart bean starts with Javalin's server");
        assertEquals(1, plugin.getGracefulRestart().getGeneration());
        assertEquals("hello", get("/hello").body());
        assertEquals(30_000L, server.getStopTimeout(), "Javalin's stop timeout (0) becomes the drain timeout");
    }

    @Test
    void appStopDrainsTheRequestInFlightAndFiresJavalinsStopEventsOnce() throws Exception
    {
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch inHandler = new CountDownLatch(1);
        start(new GracefulRestartPlugin(c -> c.getRestart().setSignal("none")), events, inHandler);
        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return get("/slow");
            }
            catch (Exception x)
            {
                throw new RuntimeException(x);
            }
        });
        assertTrue(inHandler.await(10, TimeUnit.SECONDS));
        app.stop();
        HttpResponse<String> response = slow.get(10, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        assertEquals("slow", response.body(), "the request in flight at the stop is answered");
        assertEquals(List.of("serverStopping STARTED", "serverStopped STOPPED"), events, "Javalin fires its own events, the plugin adds none");
    }

    @Test
    void aStopNotThroughAppStopFiresJavalinsStopEventsOnceAroundTheServersStop() throws Exception
    {
        List<String> events = new CopyOnWriteArrayList<>();
        start(new GracefulRestartPlugin(c -> c.getRestart().setSignal("none")), events, new CountDownLatch(1));
        Server server = app.unsafe.jettyInternal.server;
        // What a handover's drain and Jetty's stop-at-shutdown do: stop the Jetty server itself.
        server.stop();
        assertEquals(List.of("serverStopping STOPPING", "serverStopped STOPPED"), events, "before the server stops, once it has stopped");
        app.stop(); // nothing more: the server is stopped
        assertEquals(2, events.size(), events.toString());
    }

    @Test
    void stopAtShutdownIsJettysOwnAndCanBeTurnedOff()
    {
        start(new GracefulRestartPlugin(c -> c.getRestart().setSignal("none")), new CopyOnWriteArrayList<>(), new CountDownLatch(1));
        assertTrue(app.unsafe.jettyInternal.server.getStopAtShutdown());
        app.stop();
        start(new GracefulRestartPlugin(c -> c.setStopAtShutdown(false).getRestart().setSignal("none")), new CopyOnWriteArrayList<>(), new CountDownLatch(1));
        assertTrue(!app.unsafe.jettyInternal.server.getStopAtShutdown());
    }

    @Test
    void settingsThatCannotWorkFailWhereTheyAreSetNamingTheSettingAndTheFix()
    {
        assertInvalid("drainTimeout", () -> new GracefulRestartPlugin(c -> c.getRestart().setDrainTimeout(Duration.ZERO)));
        assertInvalid("signal", () -> new GracefulRestartPlugin(c -> c.getRestart().setSignal("TERM")));
        assertInvalid("replacementNice", () -> new GracefulRestartPlugin(c -> c.getRestart().setReplacementNice(40)));
        assertInvalid("holder", () -> new GracefulRestartPlugin(c -> c.getRestart().setHolder("sometimes")));
        assertInvalid("warmUp.threads", () -> new GracefulRestartPlugin(c -> c.getRestart().getWarmUp().setThreads(0)));
        assertInvalid("stopTimeout", () -> new GracefulRestartPlugin(c -> c.setStopTimeout(Duration.ofSeconds(-1))));
        // Inside Javalin.create, as an application writes it: the same exception, before anything started.
        assertInvalid("killGrace", () -> Javalin.create(config ->
            config.registerPlugin(new GracefulRestartPlugin(c -> c.getRestart().setKillGrace(Duration.ofMillis(-5))))));
    }

    private static void assertInvalid(String setting, org.junit.jupiter.api.function.Executable configure)
    {
        InvalidSettingException x = assertThrows(InvalidSettingException.class, configure);
        assertEquals(setting, x.setting());
        assertTrue(x.getMessage().startsWith("Invalid jetty-graceful setting " + setting + " = ") && x.getMessage().contains(". Fix: "), x.getMessage());
    }

    @Test
    void theRestartActsOnThePluginsConfigurationSoEverySettingIsReachable()
    {
        GracefulRestartConfiguration[] configured = new GracefulRestartConfiguration[1];
        GracefulRestartPlugin plugin = new GracefulRestartPlugin(c ->
        {
            configured[0] = c.getRestart();
            c.getRestart().setSignal("none");
            c.getRestart().setWebSocketCloseSpread(Duration.ofMillis(1234));
            c.getRestart().setHandoverSpread(Duration.ZERO);
            c.getRestart().getWarmUp().setCount(7);
        });
        start(plugin, new CopyOnWriteArrayList<>(), new CountDownLatch(1));
        GracefulRestartConfiguration used = plugin.getGracefulRestart().getConfiguration();
        assertSame(configured[0], used);
        assertEquals(Duration.ofMillis(1234), used.getWebSocketCloseSpread());
        assertEquals(Duration.ZERO, used.getHandoverSpread());
        assertEquals(7, used.getWarmUp().getCount());
    }

    @Test
    void anUnwritablePidFileFailsTheStartNamingTheFile()
    {
        Path pidFile = dir.resolve("missing-dir").resolve("app.pid");
        JavalinException failure = assertThrows(JavalinException.class, () -> start(
            new GracefulRestartPlugin(c ->
            {
                c.getRestart().setSignal("none");
                c.getRestart().setPidFile(pidFile.toString());
            }), new CopyOnWriteArrayList<>(), new CountDownLatch(1)));
        String message = String.valueOf(failure.getMessage());
        assertTrue(message.contains("Invalid jetty-graceful setting pidFile = " + pidFile) && message.contains("Fix:"),
            "Javalin's start failure names the setting, the file and the fix: " + message);
        app = null;
    }

    @Test
    void sseStreamsEndCleanlyWhenTheRestartSucceeds() throws Exception
    {
        GracefulRestartPlugin plugin = new GracefulRestartPlugin(c -> c.getRestart().setSignal("none"));
        CountDownLatch subscribed = new CountDownLatch(1);
        app = Javalin.create(config ->
        {
            config.startup.showJavalinBanner = false;
            config.registerPlugin(plugin);
            config.routes.sse("/events", plugin.sse(sse ->
            {
                sse.keepAlive();
                sse.sendEvent("hello", "1");
                subscribed.countDown();
            }));
        }).start("127.0.0.1", 0);
        CompletableFuture<HttpResponse<String>> stream = client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/events"))
            .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(subscribed.await(10, TimeUnit.SECONDS));
        assertEquals(1, plugin.openSseClients());
        Thread.sleep(300);
        assertTrue(!stream.isDone(), "an event stream stays open");
        plugin.endSseStreams();
        HttpResponse<String> ended = stream.get(10, TimeUnit.SECONDS); // a reset would complete exceptionally
        assertEquals(200, ended.statusCode());
        assertTrue(ended.body().contains("event: hello"), ended.body());
        assertEquals(0, plugin.openSseClients());
    }
}
