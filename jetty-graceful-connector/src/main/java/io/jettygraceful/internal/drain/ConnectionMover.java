package io.jettygraceful.internal.drain;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.jettygraceful.internal.inherit.ChannelAdopter;
import io.jettygraceful.internal.inherit.EndPointTransfer;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replaced process's side of moving connections ({@link HandoffProtocol}, "Moving connections"): each
 * {@link #moveIdle} takes the idle plain HTTP/1.1 connections of the handed-over connectors out of Jetty
 * ({@link EndPointTransfer#detach}), sends their fds to the replacement over the connections channel in one message
 * per at most {@value Os#MAX_FDS_PER_MESSAGE}, and waits for its answer. Used by one thread at a time (the restart
 * thread).
 *
 * <p>Fds: this class owns the parent's end of the connections channel, and, for each connection in flight, a dup of
 * its socket taken before Jetty's endpoint and channel are released (so the socket always has a reference here until
 * the replacement has its own). On the replacement's {@code ADOPTED} for a connection it closes that dup (a plain
 * {@code close(2)}: the socket lives on in the replacement). For a connection the replacement refused, or all of a
 * message when the replacement died or the channel failed before it answered, it adopts the dup again into its own
 * connector (the take-back), where the drain ends it as any other connection; then it closes the dup. When the
 * replacement does not answer within {@value #ANSWER_TIMEOUT_SECONDS} s (alive but stuck), the dups are closed
 * without taking back: the replacement may still adopt them, and a socket must never be read by two processes.
 * After any failure no more connections are moved.</p>
 */
public final class ConnectionMover implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMover.class);
    public static final String MOVE = HandoffProtocol.MOVE;
    public static final String ADOPTED = HandoffProtocol.ADOPTED;
    private static final long ANSWER_TIMEOUT_SECONDS = 10;

    private final Os os;
    private final int channelFd;
    private final List<HandedOverConnector> connectors;
    private final LongAdder moved = new LongAdder();
    private final LongAdder takenBack = new LongAdder();
    private long batch;
    private boolean broken;
    private boolean closed;

    /**
     * @param channelFd  the parent's end of the connections channel, owned by this mover from now on
     * @param connectors the handed-over connectors in the order of their listening fds ({@code 3+i} in the replacement)
     */
    public ConnectionMover(Os os, int channelFd, List<HandedOverConnector> connectors)
    {
        this.os = os;
        this.channelFd = channelFd;
        this.connectors = List.copyOf(connectors);
    }

    /** @return connections the replacement adopted */
    public long moved()
    {
        return moved.sum();
    }

    /** @return connections detached to be moved that this process took back (refused, or the replacement died) */
    public long takenBack()
    {
        return takenBack.sum();
    }

    /** @return whether connections are still moved (no failure, not closed) */
    boolean isMoving()
    {
        return !broken && !closed;
    }

    /**
     * Moves the connections that are idle now, at most {@value Os#MAX_FDS_PER_MESSAGE} per connector and call; each
     * message is answered before this returns.
     *
     * @return how many were moved
     */
    int moveIdle()
    {
        return moveIdle(endPoint -> true);
    }

    /**
     * As {@link #moveIdle()}, only for the connections {@code due} accepts (the overlap moves each connection at its own
     * moment in the window, so that the cold replacement gets them at an even rate).
     */
    int moveIdle(java.util.function.Predicate<EndPoint> due)
    {
        int count = 0;
        for (int index = 0; index < connectors.size() && isMoving(); index++)
        {
            if (!(connectors.get(index) instanceof ServerConnector connector) || !connector.isRunning() ||
                !EndPointTransfer.movesConnections(connector))
                continue;
            List<EndPoint> candidates = new ArrayList<>();
            for (EndPoint endPoint : connector.getConnectedEndPoints())
            {
                if (EndPointTransfer.isIdleHttp1(endPoint) && due.test(endPoint))
                    candidates.add(endPoint);
            }
            if (candidates.isEmpty())
                continue;
            List<EndPointTransfer.Detached> detached = EndPointTransfer.detach(connector, candidates, Os.MAX_FDS_PER_MESSAGE);
            if (!detached.isEmpty())
                count += send(index, connector, detached);
        }
        return count;
    }

    private int send(int index, ServerConnector connector, List<EndPointTransfer.Detached> detached)
    {
        // This process's references, dups owned here, taken before Jetty's channels are closed.
        List<Integer> dups = new ArrayList<>();
        List<EndPointTransfer.Addresses> addresses = new ArrayList<>();
        Map<List<InetSocketAddress>, Integer> fds;
        try
        {
            fds = ChannelAdopter.fdsOfConnected(os, detached.stream().map(d -> List.of(d.addresses().local(), d.addresses().remote())).toList());
        }
        catch (OsException x)
        {
            fds = Map.of();
        }
        for (EndPointTransfer.Detached one : detached)
        {
            Integer fd = fds.get(List.of(one.addresses().local(), one.addresses().remote()));
            int dup = -1;
            try
            {
                if (fd != null)
                    dup = os.duplicate(fd, HandoffProtocol.LISTEN_FDS_START);
            }
            catch (OsException x)
            {
                LOG.debug("cannot duplicate the fd of {}", one.endPoint(), x);
            }
            if (dup < 0)
            {
                // Closed meanwhile (nothing to move), or, open, not found: for a lack of fds. It ends here, as one not moved would.
                if (one.channel().isOpen())
                    LOG.warn("Moving connections: no fd found for {}: closing it", one.endPoint());
                EndPointTransfer.release(one);
                continue;
            }
            EndPointTransfer.release(one);
            dups.add(dup);
            addresses.add(one.addresses());
        }
        if (dups.isEmpty())
            return 0;
        long id = ++batch;
        StringBuilder message = new StringBuilder(MOVE).append(' ').append(id);
        for (int i = 0; i < dups.size(); i++)
            message.append(' ').append(index);
        String answer;
        try
        {
            os.sendFds(channelFd, message.toString().getBytes(StandardCharsets.US_ASCII), dups.stream().mapToInt(Integer::intValue).toArray());
            answer = awaitAnswer();
        }
        catch (OsException x)
        {
            LOG.warn("Moving connections: the connections channel failed ({}): {} connection(s) stay in pid {}", x.getMessage(), dups.size(), os.pid());
            answer = null;
        }
        if (answer == null)
        {
            broken = true;
            takeBack(connector, dups, addresses, null);
            return 0;
        }
        if (answer.equals(TIMED_OUT))
        {
            broken = true;
            LOG.warn("Moving connections: the replacement did not answer within {} s: closing this process's reference to {} connection(s)",
                ANSWER_TIMEOUT_SECONDS, dups.size());
            dups.forEach(os::close);
            return 0;
        }
        String[] words = answer.split(" ");
        String flags = words.length == 3 && words[0].equals(ADOPTED) && words[1].equals(Long.toString(id)) ? words[2] : "";
        if (flags.length() != dups.size())
        {
            // An answer that does not fit: the replacement is not to be trusted with more, and what it adopted is unknown.
            broken = true;
            LOG.warn("Moving connections: unexpected answer '{}' to message {}: closing this process's reference to {} connection(s)", answer, id, dups.size());
            dups.forEach(os::close);
            return 0;
        }
        int adopted = 0;
        for (int i = 0; i < dups.size(); i++)
        {
            if (flags.charAt(i) == '1')
            {
                os.close(dups.get(i));
                adopted++;
            }
        }
        moved.add(adopted);
        if (adopted < dups.size())
            takeBack(connector, dups, addresses, flags);
        return adopted;
    }

    private static final String TIMED_OUT = "";

    /** @return the answer line, {@link #TIMED_OUT}, or null at end of stream (the replacement died) */
    private String awaitAnswer() throws OsException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ANSWER_TIMEOUT_SECONDS);
        while (true)
        {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0)
                return TIMED_OUT;
            Os.FdMessage message = os.receiveFds(channelFd, 4096, left);
            if (message == null)
                return TIMED_OUT;
            for (int fd : message.fds())
                os.close(fd); // the replacement sends none
            if (message.endOfStream())
                return null;
            String text = new String(message.payload(), StandardCharsets.US_ASCII).trim();
            if (!text.isEmpty())
                return text;
        }
    }

    /**
     * Serves again, in {@code connector}, the connections whose dups are in {@code dups} and not marked adopted in
     * {@code flags} (all when null), then closes those dups.
     */
    private void takeBack(ServerConnector connector, List<Integer> dups, List<EndPointTransfer.Addresses> addresses, String flags)
    {
        List<Integer> back = new ArrayList<>();
        List<EndPointTransfer.Addresses> backAddresses = new ArrayList<>();
        for (int i = 0; i < dups.size(); i++)
        {
            if (flags == null || flags.charAt(i) != '1')
            {
                back.add(dups.get(i));
                backAddresses.add(addresses.get(i));
            }
        }
        List<SocketChannel> channels = ChannelAdopter.adoptConnected(os, back);
        int served = 0;
        for (int i = 0; i < back.size(); i++)
        {
            SocketChannel channel = channels.get(i);
            try
            {
                if (channel != null && connector.isRunning())
                {
                    EndPointTransfer.adopt(connector, channel, backAddresses.get(i));
                    served++;
                }
                else if (channel != null)
                    channel.close();
            }
            catch (Exception x)
            {
                LOG.warn("Moving connections: cannot take back a connection from {}: {}", backAddresses.get(i).remote(), x.toString());
            }
            os.close(back.get(i));
        }
        takenBack.add(served);
        LOG.info("Moving connections: pid {} took back {} of {} connection(s) the replacement did not adopt", os.pid(), served, back.size());
    }

    /** Ends moving: closes the connections channel (the replacement's receiver then ends). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            os.close(channelFd);
        }
    }
}
