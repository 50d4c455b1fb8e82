package io.jettygraceful;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link WarmUpReadinessCheck} against a real, started Jetty server with a real TCP connector beside the warm-up. */
class WarmUpReadinessCheckTest
{
    /** What the handler saw of one request. */
    record Seen(String line, String header, Connector connector, Object endPoint, Object customized) {}

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private Server server;
    private ServerConnector tcp;
    private volatile Handler.Abstract behaviour;

    private Server start(Handler.Abstract answer) throws Exception
    {
        behaviour = answer;
        server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.addCustomizer((request, headers) ->
        {
            request.setAttribute("customized", "yes");
            return request;
        });
        tcp = new ServerConnector(server, new HttpConnectionFactory(config));
        tcp.setHost("127.0.0.1");
        server.addConnector(tcp);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                seen.add(new Seen(request.getMethod() + " " + request.getHttpURI().getPathQuery(), request.getHeaders().get("X-Test"),
                    request.getConnectionMetaData().getConnector(), request.getConnectionMetaData().getConnection().getEndPoint(),
                    request.getAttribute("customized")));
                return behaviour.handle(request, response, callback);
            }
        });
        server.start();
        return server;
    }

    @AfterEach
    void stop() throws Exception
    {
        if (server != null)
            server.stop();
    }

    private static Handler.Abstract status(int code)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.setStatus(request.getHttpURI().getPath().equals("/broken") ? code : 200);
                response.write(true, StandardCharsets.UTF_8.encode("answer of " + request.getHttpURI().getPath()), callback);
                return true;
            }
        };
    }

    @Test
    void replaysTheMixInOrderThroughALocalConnectorWithTheServersHttpConfigurationThenRemovesIt() throws Exception
    {
        start(status(200));
        Connector[] before = server.getConnectors();
        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/a?x=1, POST /b | X-Test: 1", 10);

        check.awaitReady(server);

        assertEquals(10, seen.size());
        for (int i = 0; i < seen.size(); i++)
        {
            Seen request = seen.get(i);
            assertEquals(i % 2 == 0 ? "GET /a?x=1" : "POST /b", request.line());
            assertEquals(i % 2 == 0 ? null : "1", request.header());
            assertTrue(request.endPoint() instanceof LocalConnector.LocalEndPoint, "warm-up requests go through a LocalConnector, never the shared socket: " + request.endPoint());
            assertSame(tcp, request.connector(), "but name the server's connector as theirs, for handlers that route by connector");
            assertEquals("yes", request.customized(), "the customizers of the server's HTTP configuration run for warm-up requests");
        }
        assertArrayEquals(before, server.getConnectors(), "the LocalConnector is removed afterwards");
        assertTrue(server.getContainedBeans(LocalConnector.class).isEmpty(), "and is no bean of the server any more");
        assertEquals(10, check.getLastRequests());
        assertTrue(tcp.isRunning(), "the server's own connector is left alone");
    }

    @Test
    void aServerErrorFailsReadinessNamingTheRequestTheStatusAndTheFixAndStillRemovesTheConnector() throws Exception
    {
        start(status(503));
        Connector[] before = server.getConnectors();
        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/ok, /broken", 100);

        IllegalStateException x = assertThrows(IllegalStateException.class, () -> check.awaitReady(server));

        assertTrue(x.getMessage().contains("warm-up request 2 of 100 (GET /broken) was answered 503"), x.getMessage());
        assertTrue(x.getMessage().contains("answer of /broken"), "with the start of the body: " + x.getMessage());
        assertTrue(x.getMessage().contains("Fix:"), x.getMessage());
        assertEquals(2, seen.size(), "the warm-up stops at the first failure");
        assertArrayEquals(before, server.getConnectors());
        assertTrue(server.getContainedBeans(LocalConnector.class).isEmpty());
    }

    /** Like Dropwizard's RoutingHandler: only requests of a known connector reach the application. */
    @Test
    void aHandlerThatRoutesByConnectorSendsWarmUpRequestsWhereTheConnectorsClientsGo() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (request.getConnectionMetaData().getConnector() != tcp)
                    return false;
                callback.succeeded();
                return true;
            }
        });
        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/app", 5);
        check.setAllowedStatuses("2xx");
        check.awaitReady(server);
        assertEquals(5, check.getLastRequests());
    }

    @Test
    void everyStatusBelow500PassesByDefaultButAnAllowListIsStrict() throws Exception
    {
        start(status(404));
        new WarmUpReadinessCheck("/broken", 3).awaitReady(server);
        assertEquals(3, seen.size());

        WarmUpReadinessCheck strict = new WarmUpReadinessCheck("/ok, /broken", 3);
        strict.setAllowedStatuses("2xx, 302");
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> strict.awaitReady(server));
        assertTrue(x.getMessage().contains("(GET /broken) was answered 404"), x.getMessage());
        assertTrue(x.getMessage().contains("not one of the allowed statuses (2xx, 302)"), x.getMessage());
        assertTrue(x.getMessage().contains("add 404 to the allowed statuses"), x.getMessage());

        strict.setAllowedStatuses("2xx,404");
        strict.awaitReady(server);
    }

    @Test
    void threadsSendAtOnceEachOnItsOwnConnection() throws Exception
    {
        CyclicBarrier together = new CyclicBarrier(3);
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                connections.add(request.getConnectionMetaData().getId());
                // The first three requests only complete when three threads are in the handler at the same time.
                if (seen.size() <= 3)
                    together.await(10, TimeUnit.SECONDS);
                callback.succeeded();
                return true;
            }
        });
        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/x", 30);
        check.setThreads(3);

        check.awaitReady(server);

        assertEquals(30, seen.size());
        assertEquals(3, connections.size(), "one keep-alive connection per thread: " + connections);
    }

    @Test
    void aConnectionTheServerClosesIsReplacedByANewOne() throws Exception
    {
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                connections.add(request.getConnectionMetaData().getId());
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                callback.succeeded();
                return true;
            }
        });
        new WarmUpReadinessCheck("/x", 5).awaitReady(server);
        assertEquals(5, seen.size());
        assertEquals(5, connections.size());
    }

    @Test
    void withADurationOnlyItRunsUntilItIsOver() throws Exception
    {
        start(status(200));
        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/x", 0);
        check.setDuration(Duration.ofMillis(300));
        check.awaitReady(server);
        assertFalse(seen.isEmpty());
        assertEquals(seen.size(), check.getLastRequests());
    }

    @Test
    void withoutRequestsOrLimitsItDoesNothingEvenBeforeTheServerStarted() throws Exception
    {
        Server unstarted = new Server();
        new WarmUpReadinessCheck("", 1000).awaitReady(unstarted);
        new WarmUpReadinessCheck(null, 1000).awaitReady(unstarted);
        new WarmUpReadinessCheck("/x", 0).awaitReady(unstarted);
        assertEquals(0, unstarted.getConnectors().length);
        assertFalse(new WarmUpReadinessCheck(" , ", 5).isEnabled());
        assertThrows(IllegalStateException.class, () -> new WarmUpReadinessCheck("/x", 1).awaitReady(unstarted));
    }

    @Test
    void aListKeepsCommasInHeaderValues() throws Exception
    {
        start(status(200));
        WarmUpReadinessCheck.of(List.of("GET /x | X-Test: a, b"), 1).awaitReady(server);
        assertEquals("a, b", seen.get(0).header());
    }

    @Test
    void badSettingsAreRefusedNamingTheProblemAndTheForm()
    {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new WarmUpReadinessCheck("/ok, uuid", 1));
        assertTrue(x.getMessage().contains("warm-up request 'uuid'") && x.getMessage().contains("does not start with /"), x.getMessage());
        assertTrue(x.getMessage().contains("e.g. '/uuid'"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> WarmUpRequest.parse("GET /x | no colon"));
        assertTrue(x.getMessage().contains("is not a header"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> WarmUpRequest.parse("GET /x extra"));
        assertTrue(x.getMessage().contains("more than a method and a target"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> new WarmUpReadinessCheck("/x", -1));
        assertTrue(x.getMessage().contains("negative"), x.getMessage());

        WarmUpReadinessCheck check = new WarmUpReadinessCheck("/x", 1);
        x = assertThrows(IllegalArgumentException.class, () -> check.setAllowedStatuses("2xx, 5xx"));
        assertTrue(x.getMessage().contains("'5xx'") && x.getMessage().contains("a 5xx always fails"), x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> check.setAllowedStatuses("ok"));
        assertThrows(IllegalArgumentException.class, () -> check.setThreads(0));
        assertThrows(IllegalArgumentException.class, () -> check.setDuration(Duration.ofSeconds(-1)));
    }

    @Test
    void requestsAreWrittenAsHttp11WithAHostAndAnEmptyBodyWhereOneIsExpected()
    {
        assertEquals("GET /uuid HTTP/1.1\r\nHost: localhost\r\n\r\n", WarmUpRequest.parse("/uuid").toHttp());
        assertEquals("POST /p HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n", WarmUpRequest.parse(" POST  /p |X-A:1 ").toHttp());
        assertEquals("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n", WarmUpRequest.parse("GET / | Host: example.org").toHttp());
        assertEquals("POST /p | X-A: 1", WarmUpRequest.parse("POST /p|X-A: 1").toString());
        assertEquals(List.of("GET /a", "GET /b", "HEAD /c"), WarmUpRequest.parseMix("/a,\n/b\r\n, HEAD /c,").stream().map(WarmUpRequest::toString).toList());
    }

    @Test
    void andThenRunsBothInOrderAndStopsAtTheFirstRefusal() throws Exception
    {
        List<String> ran = new CopyOnWriteArrayList<>();
        ReadinessCheck first = s -> ran.add("first");
        ReadinessCheck second = s -> ran.add("second");
        first.andThen(second).awaitReady(null);
        assertEquals(List.of("first", "second"), ran);
        assertSame(first, first.andThen(null));

        ran.clear();
        ReadinessCheck refusing = s ->
        {
            throw new IllegalStateException("no");
        };
        assertThrows(IllegalStateException.class, () -> refusing.andThen(second).awaitReady(null));
        assertTrue(ran.isEmpty());
    }
}
