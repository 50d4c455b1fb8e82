package io.jettygraceful.it.boot;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLContext;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Http2Load;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boot's own protocol settings through restarts of the Spring Boot sample: HTTPS from {@code server.ssl.*} (a PKCS12
 * key store) and h2c from {@code server.http2.enabled}. The inherited connectors carry the factories Boot built, so
 * each generation serves the same protocols on the handed-over socket.
 */
class BootProtocolsTest
{
    private static final int RESTARTS = 3;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @Test
    void httpsFromServerSslServesAcrossRestarts() throws Exception
    {
        Path keystore = TestCertificates.selfSignedKeystore(dir.resolve("server.p12"));
        SSLContext tls = TestCertificates.trusting(keystore);
        processes.useTls(tls);
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(BootExample.builder("boot-https", 17, port, dir).args(
            "--server.ssl.key-store=" + keystore, "--server.ssl.key-store-type=PKCS12", "--server.ssl.key-store-password=" + TestCertificates.PASSWORD,
            "--server.ssl.key-password=" + TestCertificates.PASSWORD, "--server.ssl.key-alias=server"));
        process.servingPid(BootExample.START);
        ExampleStatus status = processes.status(port);
        assertThrows(IOException.class, () -> Http.get(port, "/status"), "plain HTTP to the TLS port");

        List<ExampleStatus> generations = new ArrayList<>(List.of(status));
        LoadGenerator.Summary summary;
        try (LoadGenerator load = LoadGenerator.builder(port).tls(tls).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(5_000_000).maxDuration(Duration.ofMinutes(15)).timeout(Duration.ofSeconds(10)).start())
        {
            status = BootExample.restartUnderLoad(processes, port, status, RESTARTS, load::completed, load::awaitCompleted, generations);
            summary = load.stop();
        }
        System.out.println("[it] Boot sample over HTTPS (server.ssl.*), " + RESTARTS + " restarts: " + summary);
        assertEquals(0, summary.failed(), "failed HTTPS requests: " + summary);
        assertEquals(uuids(generations), summary.answeredBy().keySet(), "every generation answered over TLS: " + summary);
    }

    static Set<String> uuids(List<ExampleStatus> generations)
    {
        return Set.copyOf(generations.stream().map(ExampleStatus::uuid).toList());
    }

    @Test
    void h2cFromServerHttp2ServesAcrossRestarts() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(BootExample.builder("boot-h2c", 17, port, dir).args("--server.http2.enabled=true"));
        process.servingPid(BootExample.START);
        ExampleStatus status = processes.status(port);
        List<ExampleStatus> generations = new ArrayList<>(List.of(status));
        Http2Load.Summary summary;
        try (Http2Load load = new Http2Load(port, "/uuid", 4, 5_000_000, Duration.ofMinutes(6), Duration.ofSeconds(10), null))
        {
            status = BootExample.restartUnderLoad(processes, port, status, RESTARTS, load::completed, load::awaitCompleted, generations);
            summary = load.stop();
        }
        System.out.println("[it] Boot sample over h2c (server.http2.enabled), " + RESTARTS + " restarts: " + summary);
        assertEquals(0, summary.failed(), "failed h2c streams: " + summary);
        assertTrue(summary.unprocessed() <= summary.connections(), "streams the server did not process: " + summary);
        assertEquals(uuids(generations), summary.answeredBy().keySet(), "every generation answered over h2c: " + summary);
    }
}
