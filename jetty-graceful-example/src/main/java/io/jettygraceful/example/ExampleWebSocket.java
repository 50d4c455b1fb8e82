package io.jettygraceful.example;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The example's {@code /ws} endpoint (Jetty's WebSocket API): greets with {@code hello <uuid>} and echoes each text
 * message as {@code <uuid> <message>}, so a client always knows which process it talks to. A restart closes the
 * session with 1012 (Service Restart), a real stop with 1001 (Going Away), both sent by jetty-graceful's drain.
 */
public final class ExampleWebSocket implements Session.Listener.AutoDemanding
{
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ExampleWebSocket.class);
    private volatile Session session;

    @Override
    public void onWebSocketOpen(Session session)
    {
        this.session = session;
        session.sendText("hello " + ExampleHandler.PROCESS_UUID, Callback.NOOP);
    }

    /**
     * Echoes. A message that arrives after this side sent its close frame cannot be answered (its send fails): the
     * client knows it as unanswered when the close reaches it.
     */
    @Override
    public void onWebSocketText(String message)
    {
        session.sendText(ExampleHandler.PROCESS_UUID + " " + message, Callback.NOOP);
    }

    @Override
    public void onWebSocketError(Throwable cause)
    {
        // A send after the close (see onWebSocketText), or the peer gone: nothing to do but not to echo.
        LOG.debug("/ws session error", cause);
    }
}
