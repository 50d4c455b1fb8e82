package io.jettygraceful;

import org.eclipse.jetty.server.Server;

/**
 * Decides, in a replacement process, when it is ready to take over: called once its {@link Server} has started and
 * before it reports ready to the parent. Use it to warm caches or the JIT. While it runs, the connectors do not
 * accept (the parent still serves), so warm up through a {@code LocalConnector} or by calling handlers directly, not
 * over the shared port.
 */
@FunctionalInterface
public interface ReadinessCheck
{
    /**
     * @throws Exception to refuse readiness: the parent keeps serving, and the message becomes the restart's reason
     */
    void awaitReady(Server server) throws Exception;

    /**
     * @param next the check to run once this one passed, or null
     * @return a check that runs this one, then {@code next}; the first that throws refuses readiness (the second then
     * does not run)
     */
    default ReadinessCheck andThen(ReadinessCheck next)
    {
        if (next == null)
            return this;
        return server ->
        {
            awaitReady(server);
            next.awaitReady(server);
        };
    }
}
