package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS: an InheritedServerConnector with Jetty's SslConnectionFactory in front of HTTP/1.1 hands its listening socket
 * over like a plain one. TLS sessions are not handed over (they live in the old JVM): the old process finishes each
 * request and its clients reconnect, with a new handshake, to the new one. The clients trust exactly the server's
 * self-signed certificate (made with the JDK's keytool for each test), so a handshake with anything else fails.
 */
class TlsRestartTest
{
    private static final int RESTARTS = 3;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void httpsServesAcrossRestartsWithoutAFailedRequest(int jdk) throws Exception
    {
        Path keystore = TestCertificates.selfSignedKeystore(dir.resolve("server.p12"));
        SSLContext tls = TestCertificates.trusting(keystore);
        processes.useTls(tls);
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("tls-jdk" + jdk).jdk(jdk).outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "5s",
                "--tls-keystore", keystore.toString(), "--tls-password", TestCertificates.PASSWORD));
        process.servingPid(Duration.ofSeconds(30));
        ExampleStatus status = processes.status(port);
        // Plain HTTP gets no HTTP answer: TLS is really in front.
        assertThrows(IOException.class, () -> Http.get(port, "/status"), "plain HTTP to the TLS port");

        List<String> uuids = new ArrayList<>(List.of(status.uuid()));
        LoadGenerator.Summary summary;
        try (LoadGenerator load = LoadGenerator.builder(port).tls(tls).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofMinutes(3)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "load flows over TLS");
            for (int i = 0; i < RESTARTS; i++)
            {
                long old = status.pid();
                status = Restarts.restart(processes, port, status, Duration.ofSeconds(60));
                uuids.add(status.uuid());
                Restarts.awaitExit(old, Duration.ofSeconds(30));
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(20)), "load flows after restart " + (i + 1));
            }
            summary = load.stop();
        }
        System.out.println("[it] HTTPS, JDK " + jdk + ", " + RESTARTS + " restarts: " + summary);

        assertEquals(RESTARTS + 1, status.generation());
        assertEquals(0, summary.failed(), "failed HTTPS requests across " + RESTARTS + " restarts: " + summary);
        assertEquals(0, summary.idleResets(), summary.toString());
        assertEquals(Set.copyOf(uuids), summary.answeredBy().keySet(), "every generation answered over TLS: " + summary);
        String log = process.output();
        assertFalse(log.contains(" WARN ") || log.contains("Exception"), "no generation logged a warning or an exception:\n" + log);
        SocketActivationTest.assertNoJdkWarnings(process);
    }
}
