package io.jettygraceful.it.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.jettygraceful.it.Restarts;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The open loop measures what a stall costs every request it delayed (no coordinated omission): one keep-alive client
 * at 100 requests/s against a minimal in-JVM HTTP/1.1 server on loopback that stalls once for 300 ms. A closed-loop
 * client would record one slow request; the open loop records every request whose intended start fell in the stall
 * as slow.
 */
class BenchClientOpenLoopTest
{
    private static final byte[] RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aStallCountsForEveryRequestItDelayed() throws Exception
    {
        AtomicLong stallUntil = new AtomicLong();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))
        {
            Thread acceptor = new Thread(() -> serve(server, stallUntil), "open-loop-test-server");
            acceptor.setDaemon(true);
            acceptor.start();

            BenchClient client = BenchClient.start(BenchClient.Config.of(server.getLocalPort(), new LoadShape(1, 0, 0, 0, 100)), System.nanoTime());
            Restarts.pause(Duration.ofMillis(300));
            stallUntil.set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));
            Restarts.pause(Duration.ofMillis(700));
            Recording recording = client.stop();

            assertEquals(0, recording.failed(), recording.reasons().toString());
            long[] latencies = recording.okLatencies(false, null);
            long delayed = Arrays.stream(latencies).filter(l -> l >= 100 * Recording.MS).count();
            assertTrue(recording.size() >= 60 && recording.size() <= 110, "about 100 requests in 1 s at 100/s, not more: " + recording.size());
            assertTrue(latencies[latencies.length - 1] >= 250 * Recording.MS, "the request caught at the stall's start waited it out");
            assertTrue(delayed >= 10, "about 20 requests were meant to start in the first 200 ms of the stall; " + delayed + " recorded >= 100 ms");
        }
    }

    /** One connection at a time (the client has one): reads each request's head, stalls while asked to, answers. */
    private static void serve(ServerSocket server, AtomicLong stallUntil)
    {
        while (!server.isClosed())
        {
            try (Socket socket = server.accept())
            {
                socket.setTcpNoDelay(true);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                String line;
                while ((line = in.readLine()) != null)
                {
                    if (!line.isEmpty())
                        continue;
                    long wait;
                    while ((wait = stallUntil.get() - System.nanoTime()) > 0)
                        Restarts.pause(Duration.ofNanos(wait));
                    out.write(RESPONSE);
                    out.flush();
                }
            }
            catch (IOException x)
            {
                // closed at the end of the test, or the client went away: accept the next one or end
            }
        }
    }
}
