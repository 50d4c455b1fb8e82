package io.jettygraceful.it.javalin;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Javalin's long-lived streams at a restart: each WebSocket session of the old process is closed with 1012 (Service
 * Restart) in a clean close handshake, and a Server-Sent Events stream registered through the plugin's {@code sse(...)}
 * ends cleanly (Javalin sends it with {@code Connection: close}: the connection's end, a FIN, no reset) once the replacement serves,
 * so the old process exits long before its drain timeout. One JDK (25): the streams are Javalin's and Jetty's, the same
 * on both.
 */
class JavalinStreamsTest
{
    private static final int WEBSOCKETS = 3;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void webSocketsGet1012AndEventStreamsEndCleanlyAtARestart() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(JavalinSample.server("javalin-streams", 25, port, "--drain-timeout", "30s"));
        first.servingPid(JavalinSample.START);
        ExampleStatus status = processes.status(port);

        WebSocketClient webSockets = new WebSocketClient();
        webSockets.start();
        try (Socket events = new Socket())
        {
            List<Closes> sessions = new ArrayList<>();
            for (int i = 0; i < WEBSOCKETS; i++)
            {
                Closes listener = new Closes();
                webSockets.connect(listener, URI.create("ws://127.0.0.1:" + port + "/ws")).get(30, TimeUnit.SECONDS);
                sessions.add(listener);
            }
            for (Closes session : sessions)
                assertEquals("hello " + status.uuid(), session.greeting.get(30, TimeUnit.SECONDS));

            events.connect(new InetSocketAddress(Http.IPV4, port), 10_000);
            events.setSoTimeout(60_000);
            OutputStream out = events.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            CompletableFuture<String> stream = CompletableFuture.supplyAsync(() -> readToEnd(events));
            Restarts.pause(Duration.ofMillis(500));
            assertTrue(!stream.isDone(), "the event stream stays open");

            long restart = System.nanoTime();
            ExampleStatus next = Restarts.restart(processes, port, status, JavalinSample.HANDOFF);
            String body = stream.get(30, TimeUnit.SECONDS);
            long endedMillis = (System.nanoTime() - restart) / 1_000_000L;
            System.out.println("[it] Javalin SSE stream ended " + endedMillis + " ms after the trigger:\n" + body);
            assertTrue(body.startsWith("HTTP/1.1 200"), body);
            assertTrue(body.contains("event: uuid\ndata: " + status.uuid()), "the event of the old process: " + body);
            // Javalin sends an event stream with Connection: close, so its body ends with the connection: a FIN (readToEnd
            // returned), not a reset (readToEnd would have thrown), and the plugin says it ended it.
            assertTrue(body.contains("Connection: close"), body);
            first.awaitLog("ended 1 Server-Sent Events stream", Duration.ofSeconds(5));

            for (Closes session : sessions)
            {
                int[] close = session.closed.get(30, TimeUnit.SECONDS);
                assertEquals(1012, close[0], "each WebSocket of the old process is closed with 1012 (Service Restart)");
            }
            // Neither kind of stream held the drain: the old process exits well within its 30 s drain timeout.
            assertEquals(0, first.exitCode(Duration.ofSeconds(20)), first.describe());
            assertEquals(next.uuid(), Http.get(port, "/uuid").body().trim());
        }
        finally
        {
            webSockets.stop();
        }
    }

    /** Everything the server sends on {@code socket} until it closes the connection (a reset throws). */
    private static String readToEnd(Socket socket)
    {
        try (InputStream in = socket.getInputStream())
        {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        }
        catch (java.io.IOException x)
        {
            throw new java.io.UncheckedIOException("the event stream was cut: " + x, x);
        }
    }

    /** A WebSocket session's greeting and close status (with the close frame's code; 1006 when none arrived). */
    public static final class Closes implements Session.Listener.AutoDemanding
    {
        final CompletableFuture<String> greeting = new CompletableFuture<>();
        final CompletableFuture<int[]> closed = new CompletableFuture<>();

        @Override
        public void onWebSocketText(String message)
        {
            if (message.startsWith("hello "))
                greeting.complete(message);
        }

        @Override
        public void onWebSocketClose(int status, String reason, Callback callback)
        {
            closed.complete(new int[]{status});
            callback.succeed();
        }
    }
}
