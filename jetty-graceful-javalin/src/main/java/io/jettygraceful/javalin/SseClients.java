package io.jettygraceful.javalin;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import io.javalin.http.sse.SseClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Server-Sent Events clients of a process, ended cleanly at a restart: once the replacement serves, each open
 * {@link SseClient} is {@linkplain SseClient#close() closed}, so its response ends normally (the last chunk, no reset)
 * and the browser's {@code EventSource} reconnects, to the replacement. Without it an event stream is a request that
 * never ends: it holds the drain for the whole drain timeout, and is then cut by the server's stop.
 *
 * <p>Clients are tracked from the moment the wrapped handler receives them until they are closed (by the application,
 * by the client going away, or here); closed ones are dropped as new ones arrive.</p>
 */
final class SseClients
{
    private static final Logger LOG = LoggerFactory.getLogger(SseClients.class);

    private final Set<SseClient> open = ConcurrentHashMap.newKeySet();

    /** @return {@code handler}, after which the client it is given is tracked */
    Consumer<SseClient> track(Consumer<SseClient> handler)
    {
        return client ->
        {
            open.removeIf(SseClient::terminated);
            open.add(client);
            handler.accept(client);
        };
    }

    /** Closes every open client (on the restart thread, once the replacement serves). */
    void closeAll()
    {
        int closed = 0;
        for (SseClient client : open)
        {
            open.remove(client);
            if (client.terminated())
                continue;
            try
            {
                client.close();
                closed++;
            }
            catch (RuntimeException x)
            {
                LOG.debug("Closing {} failed", client, x);
            }
        }
        if (closed > 0)
            LOG.info("Restart: ended {} Server-Sent Events stream(s); their clients reconnect to the replacement", closed);
    }

    int size()
    {
        open.removeIf(SseClient::terminated);
        return open.size();
    }
}
