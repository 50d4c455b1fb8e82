package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.jettygraceful.it.Http;
import io.jettygraceful.it.Restarts;

/** One {@code GET /delayed?ms=N} on its own connection, in flight while a test stops or restarts the service. */
final class SlowRequest
{
    private final CompletableFuture<Http.Response> response;
    private final Duration delay;

    private SlowRequest(CompletableFuture<Http.Response> response, Duration delay)
    {
        this.response = response;
        this.delay = delay;
    }

    static SlowRequest start(int port, Duration delay)
    {
        CompletableFuture<Http.Response> response = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return Http.get(Http.IPV4, port, "/delayed?ms=" + delay.toMillis(), delay.plusSeconds(20));
            }
            catch (IOException x)
            {
                throw new java.io.UncheckedIOException(x);
            }
        });
        return new SlowRequest(response, delay);
    }

    /** Gives the request time to reach the server (a fraction of its delay); fails if it already ended. */
    void awaitInFlight(AppService app)
    {
        Restarts.pause(delay.dividedBy(6));
        if (response.isDone())
            throw new AssertionError("the slow request ended before the test acted: " + describe());
    }

    /** @return the response; an I/O failure (the request was lost) fails the test with its cause */
    Http.Response response() throws InterruptedException
    {
        try
        {
            return response.get(delay.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException x)
        {
            throw new AssertionError("the request in flight got no response: " + x.getCause(), x.getCause());
        }
        catch (TimeoutException x)
        {
            throw new AssertionError("the request in flight got no response within " + delay.plusSeconds(30).toSeconds() + " s");
        }
    }

    private String describe()
    {
        try
        {
            return String.valueOf(response.getNow(null));
        }
        catch (RuntimeException x)
        {
            return x.toString();
        }
    }
}
