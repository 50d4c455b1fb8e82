package io.jettygraceful.internal.handoff;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The child side of {@link HandoffProtocol} against {@link FakeOs}: the parent is a script answering the child's
 * writes. The connectors are real but never started: only their accepting flag matters here.
 */
class TakeoverHandshakeTest
{
    private static final int PID = 5000;
    private static final int PARENT = 4000;
    private static final int CONTROL = 5;

    private final FakeOs os = new FakeOs(PID, PARENT);
    private final Server server = new Server();
    private final List<InheritedServerConnector> connectors = new ArrayList<>();
    /** Whether every connector accepted at the moment each line was written, in write order. */
    private final List<String> acceptingAtWrite = new CopyOnWriteArrayList<>();

    TakeoverHandshakeTest()
    {
        os.unixPeer(CONTROL, PARENT);
        for (int i = 0; i < 2; i++)
        {
            InheritedServerConnector connector = new InheritedServerConnector(server, 1, 1);
            server.addConnector(connector);
            // as GracefulRestart does in a replacement: open but paused until the parent commits
            connector.setAccepting(false);
            connectors.add(connector);
        }
    }

    /** The parent answers READY with {@code onReady} and SERVING with {@code onServing}; null closes the socket. */
    private void parentAnswers(String onReady, String onServing)
    {
        os.onWrite((fd, text) ->
        {
            acceptingAtWrite.add(text.trim() + (allAccepting() ? " accepting" : " paused"));
            String answer = text.startsWith("READY ") ? onReady : text.equals("SERVING\n") ? onServing : "";
            if (answer == null)
                os.endOfStream(fd);
            else if (!answer.isEmpty())
                os.feed(fd, answer);
        });
    }

    private boolean allAccepting()
    {
        return connectors.stream().allMatch(InheritedServerConnector::isAccepting);
    }

    private boolean noneAccepting()
    {
        return connectors.stream().noneMatch(InheritedServerConnector::isAccepting);
    }

    private boolean handshake(ReadinessCheck check) throws Exception
    {
        assertTrue(noneAccepting(), "precondition: connectors paused");
        return new TakeoverHandshake(os, CONTROL, PARENT).reportReady(server, check, connectors);
    }

    private void assertControlClosedOnce()
    {
        assertFalse(os.isOpen(CONTROL), "the control fd is closed");
        assertEquals(1, os.closedFds().stream().filter(fd -> fd == CONTROL).count(), "closed exactly once");
    }

    @Test
    void readyGoServingDoneReturnsTrue() throws Exception
    {
        parentAnswers("GO\n", "DONE\n");

        assertTrue(handshake(null));

        assertEquals("READY " + PID + "\nSERVING\n", os.written(CONTROL));
        assertEquals(List.of("READY " + PID + " paused", "SERVING accepting"), acceptingAtWrite,
            "READY while the connectors are paused; SERVING only once they accept");
        assertTrue(allAccepting());
        assertControlClosedOnce();
    }

    @Test
    void readinessCheckRunsBeforeReady() throws Exception
    {
        parentAnswers("GO\n", "DONE\n");
        List<String> writtenDuringCheck = new ArrayList<>();
        List<Server> checked = new ArrayList<>();

        assertTrue(handshake(s ->
        {
            checked.add(s);
            writtenDuringCheck.add(os.written(CONTROL));
            assertTrue(noneAccepting(), "the check runs while the connectors are paused");
        }));

        assertEquals(List.of(server), checked);
        assertEquals(List.of(""), writtenDuringCheck, "nothing is reported before the check passes");
    }

    @Test
    void endOfStreamBeforeGoReturnsFalseAndAccepts() throws Exception
    {
        parentAnswers(null, "DONE\n");

        assertFalse(handshake(null));

        assertEquals("READY " + PID + "\n", os.written(CONTROL), "no SERVING without GO");
        assertTrue(allAccepting(), "the parent is gone: this process serves alone");
        assertControlClosedOnce();
    }

    @Test
    void anythingButGoReturnsFalseAndAccepts() throws Exception
    {
        parentAnswers("DONE\n", "DONE\n");

        assertFalse(handshake(null));

        assertEquals("READY " + PID + "\n", os.written(CONTROL));
        assertTrue(allAccepting());
        assertControlClosedOnce();
    }

    @Test
    void endOfStreamAfterGoReturnsFalseAndKeepsAccepting() throws Exception
    {
        parentAnswers("GO\n", null);

        assertFalse(handshake(null));

        assertEquals("READY " + PID + "\nSERVING\n", os.written(CONTROL));
        assertTrue(allAccepting());
        assertControlClosedOnce();
    }

    @Test
    void aControlSocketThatFailsReturnsFalseAndAccepts() throws Exception
    {
        os.closed(CONTROL); // writes fail with EBADF

        assertFalse(handshake(null));

        assertTrue(allAccepting());
        assertFalse(os.isOpen(CONTROL));
        assertTrue(os.closedFds().contains(CONTROL));
    }

    @Test
    void failingReadinessCheckWritesFailedAndRethrows()
    {
        parentAnswers("GO\n", "DONE\n");
        IllegalStateException cold = new IllegalStateException("cache is cold");

        Exception thrown = assertThrows(Exception.class, () -> handshake(s ->
        {
            throw cold;
        }));

        assertSame(cold, thrown, "the check's own exception is rethrown");
        String written = os.written(CONTROL);
        assertTrue(written.startsWith("FAILED ") && written.endsWith("\n") && written.indexOf('\n') == written.length() - 1, written);
        assertTrue(written.contains("cache is cold"), written);
        assertFalse(written.contains("READY"), written);
        assertTrue(noneAccepting(), "a replacement that failed its check never accepts: it exits and the parent keeps serving");
        assertControlClosedOnce();
    }

    @Test
    void failureReasonWithNewlinesStaysOneLine()
    {
        parentAnswers("GO\n", "DONE\n");

        assertThrows(Exception.class, () -> handshake(s ->
        {
            throw new Exception("first line\nsecond line\r\nthird");
        }));

        String written = os.written(CONTROL);
        assertEquals(1, written.chars().filter(c -> c == '\n').count(), written);
        assertTrue(written.contains("first line second line"), written);
    }

    @Test
    void reportFailureWritesFailedAndCloses()
    {
        new TakeoverHandshake(os, CONTROL, PARENT).reportFailure("the server failed to start: bind");

        assertEquals("FAILED the server failed to start: bind\n", os.written(CONTROL));
        assertControlClosedOnce();
    }
}
