package io.jettygraceful.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 across restarts: h2c beside HTTP/1.1 on the example's port, and h2 over TLS chosen by ALPN. HTTP/2 has no {@code Connection: close}: the
 * drain sends each HTTP/2 session a graceful GOAWAY, so its clients move to the new process at once instead of staying
 * with the old one until the drain timeout (30 s here). The old process must exit long before that, and no request
 * may fail: every stream is answered, but for those the server refused as unprocessed (above the final GOAWAY's last
 * stream id, which RFC 9113 makes safe to retry and HTTP/2 clients retry on their own). Those are counted and printed,
 * and bounded: at most one per client connection sent away.
 */
class Http2RestartTest
{
    private static final int RESTARTS = 3;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2c", "h2 over TLS"})
    void http2ClientsMoveToTheNewProcessAtOnceWithoutAFailedRequest(String protocol) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess.Builder builder = ExampleProcess.builder().name("h2-" + protocol.replace(' ', '-')).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", DRAIN_TIMEOUT.toSeconds() + "s");
        SSLContext tls = null;
        if (protocol.contains("TLS"))
        {
            Path keystore = TestCertificates.selfSignedKeystore(dir.resolve("server.p12"));
            tls = TestCertificates.trusting(keystore);
            processes.useTls(tls); // /status over HTTP/1.1 + TLS: ALPN's default for a client that offers none
            builder.args("--tls-keystore", keystore.toString(), "--tls-password", TestCertificates.PASSWORD);
        }
        ExampleProcess process = processes.start(builder);
        process.servingPid(Duration.ofSeconds(30));
        ExampleStatus status = processes.status(port);
        List<String> uuids = new ArrayList<>(List.of(status.uuid()));
        List<Long> exitMillis = new ArrayList<>();
        Http2Load.Summary summary;
        try (Http2Load load = new Http2Load(port, "/uuid", 4, 1_000_000, Duration.ofMinutes(3), Duration.ofSeconds(10), tls))
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "HTTP/2 load flows");
            for (int i = 0; i < RESTARTS; i++)
            {
                long old = status.pid();
                status = Restarts.restart(processes, port, status, Duration.ofSeconds(60));
                long start = System.nanoTime();
                // Well below the drain timeout: the sessions were told to go, they did not stay until it ran out.
                Restarts.awaitExit(old, Duration.ofSeconds(12));
                exitMillis.add((System.nanoTime() - start) / 1_000_000L);
                uuids.add(status.uuid());
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "HTTP/2 load flows after restart " + (i + 1));
            }
            summary = load.stop();
        }
        System.out.println("[it] HTTP/2 (" + protocol + "), " + RESTARTS + " restarts, old process gone after (ms, from the new one answering) " + exitMillis + ": " + summary);

        assertEquals(0, summary.failed(), "failed HTTP/2 requests: " + summary);
        // At most the one stream each connection had in flight when it was sent away.
        assertTrue(summary.unprocessed() <= summary.connections(), "streams the server did not process: " + summary);
        assertEquals(Set.copyOf(uuids), summary.answeredBy().keySet(), "every generation answered over HTTP/2: " + summary);
        assertTrue(summary.goAways() >= RESTARTS, "each drain sent GOAWAY: " + summary);
    }
}
