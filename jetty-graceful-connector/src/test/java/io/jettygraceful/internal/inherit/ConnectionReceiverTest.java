package io.jettygraceful.internal.inherit;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.jettygraceful.internal.os.Os;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The replacement refuses what it cannot adopt, and never keeps an fd it refused. */
class ConnectionReceiverTest
{
    private Os os;

    @BeforeEach
    void load()
    {
        os = Os.current();
        assumeTrue(os != null, "needs the native seam: " + Os.unsupportedReason());
    }

    @Test
    void truncatedMessageIsRefusedWholeAndItsFdsClosed() throws Exception
    {
        int[] fds = {os.duplicate(0, 3), os.duplicate(0, 3)};
        ConnectionReceiver receiver = new ConnectionReceiver(os, -1, List::of);
        String answer = receiver.receive(new Os.FdMessage(bytes("MOVE 7 0 0 0"), fds, true, false, false));
        assertEquals("ADOPTED 7 000", answer, "MSG_CTRUNC: nothing adopted, so the parent takes all three back");
        assertClosed(fds);
    }

    @Test
    void fdsThatDoNotMatchTheTextAreRefused() throws Exception
    {
        int[] fds = {os.duplicate(0, 3)};
        String answer = new ConnectionReceiver(os, -1, List::of).receive(new Os.FdMessage(bytes("MOVE 8 0 0"), fds, false, false, false));
        assertEquals("ADOPTED 8 00", answer);
        assertClosed(fds);
    }

    @Test
    void connectionForAListenerWithoutAConnectorIsRefusedAndLeftToTheSender() throws Exception
    {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel accepted = server.accept())
        {
            List<InetSocketAddress> key = List.of((InetSocketAddress)accepted.getLocalAddress(), (InetSocketAddress)accepted.getRemoteAddress());
            int dup = os.duplicate(ChannelAdopter.fdsOfConnected(os, List.of(key)).get(key), 3);
            String answer = new ConnectionReceiver(os, -1, List::of).receive(new Os.FdMessage(bytes("MOVE 9 0"), new int[]{dup}, false, false, false));
            assertEquals("ADOPTED 9 0", answer);
            assertClosed(new int[]{dup});
            assertFalse(accepted.socket().isClosed());
            client.write(java.nio.ByteBuffer.wrap(bytes("still open")));
        }
    }

    @Test
    void otherMessagesAreIgnored() throws Exception
    {
        int[] fds = {os.duplicate(0, 3)};
        assertNull(new ConnectionReceiver(os, -1, List::of).receive(new Os.FdMessage(bytes("HELLO"), fds, false, false, false)));
        assertClosed(fds);
    }

    private void assertClosed(int[] fds)
    {
        for (int fd : fds)
            assertFalse(os.describe(fd).isOpen(), "fd " + fd + " closed");
    }

    private static byte[] bytes(String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
