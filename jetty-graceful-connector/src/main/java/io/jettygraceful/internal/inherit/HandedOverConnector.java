package io.jettygraceful.internal.inherit;

import java.io.IOException;

import org.eclipse.jetty.server.Connector;

/**
 * A connector whose listening socket {@link io.jettygraceful.GracefulRestart} hands to the replacement on a restart, and which takes
 * part in the drain: {@link io.jettygraceful.InheritedServerConnector} (TCP) and {@link io.jettygraceful.InheritedUnixDomainConnector} (Unix-domain).
 * Every such connector of the server is handed over, in the server's connector order (fds 3, 4, … of the
 * replacement, see {@link io.jettygraceful.internal.protocol.HandoffProtocol}); other connectors are not.
 *
 * <p>Ownership: the fd returned by {@link #getAcceptFd()} stays the connector's; the restart only dups it into the
 * replacement.</p>
 */
public interface HandedOverConnector extends Connector
{
    /** @return the inherited fd this connector adopted, or -1 when it bound its own socket */
    int getInheritedFd();

    /** @return the fd of the open listening socket, to be handed over; -1 when closed (the connector is then skipped) */
    int getAcceptFd();

    /** @return the LISTEN_FDNAMES name the replacement sees this socket under, or {@code null} for none */
    String getHandoffName();

    /**
     * @return the identity of the socket file this service owns for this socket, passed to the replacement so that
     * it removes the file on a real stop ({@link io.jettygraceful.internal.protocol.HandoffProtocol#SOCKET_FILES}); {@code null} when there is none (TCP,
     * or a socket file systemd made)
     */
    default String getOwnedSocketFile()
    {
        return null;
    }

    /**
     * Tells the connector whether this process is the one serving the service (default: it is, unless paused for a
     * takeover). Only then may the connector, when it stops, remove what belongs to the socket (its file): not while
     * a replacement is still taking over (its parent still serves), nor after this process handed over.
     */
    default void setServing(boolean serving)
    {
    }

    /**
     * Keeps the connector from accepting when it starts, until {@link #resumeAccepting()}, and marks it as not serving
     * (see {@link #setServing(boolean)}). Call before it starts. A connector of a replacement that starts before its
     * parent said {@code GO} pauses itself.
     */
    void pauseForTakeover();

    /**
     * @return the name under which this connector's listening socket goes to systemd's fd store, or {@code null} when it
     * must not be stored: inherited (systemd has it already), not open, or a socket whose path outlives a restart by
     * itself (Unix-domain)
     */
    default String fdStoreName()
    {
        return null;
    }

    /** @return whether the connector was paused for a takeover and has not resumed since */
    boolean isPausedForTakeover();

    /** Starts accepting after {@link #pauseForTakeover()}. */
    void resumeAccepting();

    /**
     * Stops accepting new connections without losing one being accepted; other processes sharing the socket keep
     * accepting. Follow with {@link #isAcceptSettled()}.
     */
    void stopAccepting();

    /** @return after {@link #stopAccepting()}: whether every connection accepted has become an endpoint */
    boolean isAcceptSettled();

    /**
     * Accepts again after {@link #stopAccepting()}, on the same socket (the replacement died after taking over).
     *
     * @throws IOException when the socket cannot be adopted again
     */
    void resumeAfterStopAccepting() throws IOException;

    /** @return connections of this connector that have ended since it was created (counted when Jetty forgets them) */
    default long closedConnections()
    {
        return 0;
    }
}
