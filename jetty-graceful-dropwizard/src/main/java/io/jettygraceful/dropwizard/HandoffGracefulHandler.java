package io.jettygraceful.dropwizard;

import java.util.function.BooleanSupplier;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Dropwizard's {@link GracefulHandler}, except during a handoff's drain. Dropwizard wraps its whole handler tree in a
 * GracefulHandler, which answers 503 to every request that arrives once the server's graceful stop has begun: right for
 * a real stop (a load balancer retries elsewhere), wrong for a handoff, where the replacement already serves and a
 * request still arriving on one of this process's open connections must simply be answered. So, once this process has
 * handed over ({@code handedOver} says so), such a request is handled as usual (its response closes the connection);
 * on a real stop it is still rejected with 503, as Dropwizard does.
 *
 * <p>Everything else is GracefulHandler's: it counts the requests in flight, and the server's stop waits for them.</p>
 */
final class HandoffGracefulHandler extends GracefulHandler
{
    private final BooleanSupplier handedOver;

    HandoffGracefulHandler(BooleanSupplier handedOver)
    {
        this.handedOver = handedOver;
    }

    @Override
    protected void handleShutdownRejection(Request request, Response response, Callback callback)
    {
        if (!handedOver.getAsBoolean())
        {
            super.handleShutdownRejection(request, response, callback);
            return;
        }
        try
        {
            Handler next = getHandler();
            if (next == null || !next.handle(request, response, callback))
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        }
        catch (Throwable x)
        {
            Response.writeError(request, response, callback, x);
        }
    }
}
