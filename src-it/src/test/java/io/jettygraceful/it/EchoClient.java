package io.jettygraceful.it;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Frame;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * One WebSocket client of the example's {@code /ws} echo endpoint that reconnects whenever the server closes, and keeps
 * the books needed to say that no message was lost.
 *
 * <p>Messages are sequence numbers. "Not lost" at a close means: every echo the server sent before its close frame
 * arrives (the client reads everything up to the close frame), and every message the client sent that was not echoed
 * on that connection (in flight at the close: the server may not have read it, or read it after it queued its close)
 * is known to the client as unanswered and sent again on the next connection. So, at the end, each number sent is
 * echoed exactly once: none missing (lost), none twice (an echo sent but not seen, then a resend echoed again).</p>
 *
 * <p>Thread-safe: Jetty calls the listener on its threads, the test sends from its own.</p>
 */
public final class EchoClient
{
    /**
     * One close this client saw: the status Jetty reported, the status in the close frame the server sent (-1 when no
     * close frame arrived: an abnormal close), when (nanoTime), and the uuid of the process that closed it.
     */
    record Close(int status, String reason, int frameStatus, long nanos, String uuid)
    {
    }

    private final WebSocketClient client;
    private final URI uri;
    private final List<Close> closes = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final BitSet echoed = new BitSet();
    private final Set<Long> unanswered = new TreeSet<>();
    private final Deque<Long> toResend = new ArrayDeque<>();
    private long nextSequence;
    private long duplicates;
    private long resent;
    private long wrongProcess;
    private Session session;
    /** The server's close frame has arrived on the current session: send nothing more on it (RFC 6455 5.5.1). */
    private boolean closing;
    /** A frame was asked for ({@code demand()}) and has not been handled yet. */
    private boolean awaitingFrame;
    /** After {@link #stopSending()}: no new message numbers. */
    private boolean stopped;
    private String uuid;
    private boolean reconnect = true;
    private int connects;

    EchoClient(WebSocketClient client, URI uri)
    {
        this.client = client;
        this.uri = uri;
    }

    synchronized void connect()
    {
        connects++;
        try
        {
            client.connect(new Listener(), uri).whenComplete((s, failure) ->
            {
                if (failure != null)
                    error("connect: " + failure);
            });
        }
        catch (Exception x)
        {
            error("connect: " + x);
        }
    }

    /**
     * Sends the next message (after any to resend) when connected and greeted, and asks for the next frame. Nothing is
     * sent while a frame asked for has not been handled: so no send runs while Jetty handles the server's close frame
     * (and answers it), which the server must see last (see the class comment of WebSocketRestartTest).
     */
    synchronized void sendNext()
    {
        if (session == null || uuid == null || closing || awaitingFrame || !session.isOpen())
            return;
        awaitingFrame = true;
        if (stopped && toResend.isEmpty())
        {
            session.demand(); // read only
            return;
        }
        long sequence = toResend.isEmpty() ? nextSequence++ : toResend.poll();
        unanswered.add(sequence);
        session.sendText(Long.toString(sequence), Callback.NOOP);
        session.demand();
    }

    /**
     * Sends no new message from now on; {@link #sendNext()} still sends what is to be sent again and reads the frames
     * still due (echoes, the server's close).
     */
    synchronized void stopSending()
    {
        stopped = true;
    }

    /** Stops reconnecting after the next close (for the real stop at the end). */
    synchronized void stopReconnecting()
    {
        reconnect = false;
    }

    synchronized String uuid()
    {
        return session != null && session.isOpen() ? uuid : null;
    }

    synchronized List<Close> closes()
    {
        return List.copyOf(closes);
    }

    synchronized List<String> errors()
    {
        return List.copyOf(errors);
    }

    /** @return whether every message sent so far has been echoed */
    synchronized boolean settled()
    {
        return unanswered.isEmpty() && toResend.isEmpty();
    }

    synchronized long sent()
    {
        return nextSequence;
    }

    /** @return numbers sent but never echoed */
    synchronized long missing()
    {
        return nextSequence - echoed.cardinality();
    }

    synchronized long duplicates()
    {
        return duplicates;
    }

    synchronized long resent()
    {
        return resent;
    }

    /** @return echoes that named another process than the greeting of their connection */
    synchronized long wrongProcess()
    {
        return wrongProcess;
    }

    private synchronized void error(String what)
    {
        if (errors.size() < 20)
            errors.add(what);
    }

    /** Public: Jetty calls it through a public method lookup. */
    public final class Listener implements Session.Listener
    {
        private Session mine;
        private String myUuid;
        private int closeFrameStatus = -1;

        @Override
        public void onWebSocketOpen(Session opened)
        {
            synchronized (EchoClient.this)
            {
                mine = opened;
                session = opened;
                closing = false;
                uuid = null;
                awaitingFrame = true; // the greeting
            }
            opened.demand();
        }

        /**
         * Every frame, to see the server's close frame as it arrives (text messages are single frames here: short, and
         * the example does not fragment).
         */
        @Override
        public void onWebSocketFrame(Frame frame, Callback callback)
        {
            if (frame.getType() == Frame.Type.CLOSE)
            {
                synchronized (EchoClient.this)
                {
                    closeFrameStatus = frame.getCloseStatus() == null ? 1005 : frame.getCloseStatus().statusCode();
                    if (session == mine)
                        closing = true;
                }
            }
            else if (frame.getType() == Frame.Type.TEXT)
            {
                onText(java.nio.charset.StandardCharsets.UTF_8.decode(frame.getPayload().slice()).toString());
            }
            callback.succeed();
            if (frame.getType() != Frame.Type.CLOSE)
            {
                synchronized (EchoClient.this)
                {
                    if (session == mine)
                        awaitingFrame = false;
                }
            }
        }

        private void onText(String message)
        {
            synchronized (EchoClient.this)
            {
                if (message.startsWith("hello "))
                {
                    myUuid = message.substring("hello ".length());
                    if (session == mine)
                        uuid = myUuid;
                    return;
                }
                int space = message.indexOf(' ');
                if (!message.substring(0, space).equals(myUuid))
                    wrongProcess++;
                long sequence = Long.parseLong(message.substring(space + 1));
                unanswered.remove(sequence);
                if (echoed.get((int)sequence))
                    duplicates++;
                echoed.set((int)sequence);
            }
        }

        @Override
        public void onWebSocketClose(int status, String reason)
        {
            boolean again;
            synchronized (EchoClient.this)
            {
                closes.add(new Close(status, reason, closeFrameStatus, System.nanoTime(), myUuid));
                // In flight at the close: not echoed on this connection, so sent again on the next.
                resent += unanswered.size();
                toResend.addAll(unanswered);
                unanswered.clear();
                if (session == mine)
                {
                    session = null;
                    uuid = null;
                    awaitingFrame = false;
                }
                again = reconnect;
            }
            if (again)
                connect();
        }

        @Override
        public void onWebSocketError(Throwable cause)
        {
            error(cause.toString());
        }
    }
}
