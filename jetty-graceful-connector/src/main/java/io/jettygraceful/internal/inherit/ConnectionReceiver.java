package io.jettygraceful.internal.inherit;

import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replacement's side of moving connections ({@link HandoffProtocol}, "Moving connections"): on a thread of its own,
 * receives each {@code MOVE} message on the connections channel, adopts each fd into the connector serving the
 * listener it came from ({@link EndPointTransfer#adopt}, reporting the socket's real addresses), and answers
 * {@code ADOPTED <id> <flags>}, one {@code 1} (adopted) or {@code 0} (refused) per fd, once every adopted connection
 * is this process's. Ends at end of stream.
 *
 * <p>Fds: owns the replacement's end of the connections channel and closes it at the end. Each fd received is closed
 * right after adoption (the adopted channel holds its own reference) or refusal; a message whose fds were truncated
 * ({@code MSG_CTRUNC}: this process was at its fd limit) or do not match its text is refused whole, so the parent
 * takes all of them back.</p>
 */
public final class ConnectionReceiver
{
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionReceiver.class);

    private final Os os;
    private final int channelFd;
    private final Supplier<List<HandedOverConnector>> connectors;
    private volatile long adopted;

    ConnectionReceiver(Os os, int channelFd, Supplier<List<HandedOverConnector>> connectors)
    {
        this.os = os;
        this.channelFd = channelFd;
        this.connectors = connectors;
    }

    /**
     * Starts receiving on {@code channelFd} when it is the connections channel of {@code parentPid} (a Unix socket whose
     * peer is that process); otherwise closes nothing and returns null.
     */
    public static ConnectionReceiver startIfValid(Os os, int channelFd, int parentPid, Supplier<List<HandedOverConnector>> connectors)
    {
        FdDescription description = os.describe(channelFd);
        if (!description.isSocket() || description.socket().family() != FdDescription.SocketInfo.AF_UNIX ||
            description.socket().peerPid() != parentPid)
        {
            LOG.warn("{}={} is not a connections channel of parent pid {} ({}): no connections will be moved in",
                HandoffProtocol.CONNECTIONS_FD, channelFd, parentPid, description.describe());
            return null;
        }
        try
        {
            os.setCloseOnExec(channelFd);
        }
        catch (OsException x)
        {
            return null;
        }
        ConnectionReceiver receiver = new ConnectionReceiver(os, channelFd, connectors);
        Thread thread = new Thread(receiver::run, "graceful-connections-in");
        thread.setDaemon(true);
        thread.start();
        return receiver;
    }

    /** @return connections adopted so far */
    long adopted()
    {
        return adopted;
    }

    private void run()
    {
        try
        {
            while (true)
            {
                Os.FdMessage message = os.receiveFds(channelFd, 8192, 60_000);
                if (message == null)
                    continue;
                if (message.endOfStream())
                    break;
                String answer = receive(message);
                if (answer != null)
                    os.sendFds(channelFd, answer.getBytes(StandardCharsets.US_ASCII), new int[0]);
            }
        }
        catch (OsException x)
        {
            LOG.warn("Moving connections: the connections channel failed: {}", x.getMessage());
        }
        finally
        {
            os.close(channelFd);
            LOG.info("Moving connections: pid {} adopted {} connection(s) from its parent", os.pid(), adopted);
        }
    }

    /** @return the answer, or null for a message that is not a MOVE (ignored) */
    String receive(Os.FdMessage message)
    {
        int[] fds = message.fds();
        String[] words = new String(message.payload(), StandardCharsets.US_ASCII).trim().split(" ");
        if (words.length < 2 || !words[0].equals(HandoffProtocol.MOVE))
        {
            Arrays.stream(fds).forEach(os::close);
            return null;
        }
        int count = words.length - 2;
        char[] flags = new char[count];
        Arrays.fill(flags, '0');
        if (message.fdsTruncated() || message.bytesTruncated() || fds.length != count)
        {
            LOG.warn("Moving connections: message {} carried {} of {} fd(s){}: refusing it whole", words[1], fds.length, count,
                message.fdsTruncated() ? " (MSG_CTRUNC: this process is at its fd limit)" : "");
            Arrays.stream(fds).forEach(os::close);
            return HandoffProtocol.ADOPTED + " " + words[1] + " " + new String(flags);
        }
        List<HandedOverConnector> all = connectors.get();
        List<Integer> received = new ArrayList<>();
        for (int fd : fds)
            received.add(fd);
        List<SocketChannel> channels = ChannelAdopter.adoptConnected(os, received);
        for (int i = 0; i < count; i++)
        {
            SocketChannel channel = channels.get(i);
            ServerConnector connector = connectorOf(all, words[2 + i]);
            try
            {
                if (channel != null && connector != null)
                {
                    EndPointTransfer.Addresses addresses = new EndPointTransfer.Addresses(os.describe(fds[i]).socket().local(), os.peerAddress(fds[i]));
                    if (addresses.local() != null && addresses.remote() != null)
                    {
                        EndPointTransfer.adopt(connector, channel, addresses);
                        flags[i] = '1';
                        adopted++;
                        channel = null;
                    }
                }
            }
            catch (Exception x)
            {
                LOG.warn("Moving connections: cannot adopt a connection: {}", x.toString());
            }
            finally
            {
                if (channel != null && flags[i] == '0')
                {
                    try
                    {
                        channel.close(); // never registered: a plain close of this process's reference
                    }
                    catch (Exception ignored)
                    {
                        // nothing held
                    }
                }
                os.close(fds[i]);
            }
        }
        return HandoffProtocol.ADOPTED + " " + words[1] + " " + new String(flags);
    }

    /** @return the running plain HTTP/1.1 connector serving listener {@code index} ({@code 3+index}), or null */
    private static ServerConnector connectorOf(List<HandedOverConnector> connectors, String index)
    {
        int fd;
        try
        {
            fd = HandoffProtocol.LISTEN_FDS_START + Integer.parseInt(index);
        }
        catch (NumberFormatException x)
        {
            return null;
        }
        for (HandedOverConnector connector : connectors)
        {
            if (connector instanceof ServerConnector serverConnector && connector.getInheritedFd() == fd && serverConnector.isRunning() &&
                EndPointTransfer.movesConnections(serverConnector))
                return serverConnector;
        }
        return null;
    }
}
