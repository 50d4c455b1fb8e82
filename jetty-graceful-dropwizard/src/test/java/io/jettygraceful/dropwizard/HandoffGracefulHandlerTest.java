package io.jettygraceful.dropwizard;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handler that replaces Dropwizard's GracefulHandler: 503 once shut down on a real stop, served during a handoff. */
class HandoffGracefulHandlerTest
{
    private final AtomicBoolean handedOver = new AtomicBoolean();
    private final Server server = new Server();
    private final LocalConnector local = new LocalConnector(server);
    private final HandoffGracefulHandler graceful = new HandoffGracefulHandler(handedOver::get);

    @AfterEach
    void stop() throws Exception
    {
        server.stop();
    }

    private void start(Handler inner) throws Exception
    {
        server.addConnector(local);
        graceful.setHandler(inner);
        server.setHandler(graceful);
        server.start();
    }

    private static Handler answering(String body)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.write(true, StandardCharsets.UTF_8.encode(body), callback);
                return true;
            }
        };
    }

    private String get() throws Exception
    {
        return local.getResponse("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    }

    @Test
    void aRealStopStillAnswers503AsDropwizardDoes() throws Exception
    {
        start(answering("served"));
        graceful.shutdown();
        String response = get();
        assertTrue(response.startsWith("HTTP/1.1 503 "), response);
    }

    @Test
    void duringAHandoffARequestArrivingAfterTheShutdownIsServed() throws Exception
    {
        start(answering("served"));
        handedOver.set(true);
        graceful.shutdown();
        String response = get();
        assertTrue(response.startsWith("HTTP/1.1 200 ") && response.endsWith("served"), response);
    }

    @Test
    void duringAHandoffARequestNoHandlerTakesIs404() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                return false;
            }
        });
        handedOver.set(true);
        graceful.shutdown();
        String response = get();
        assertTrue(response.startsWith("HTTP/1.1 404 "), response);
    }
}
