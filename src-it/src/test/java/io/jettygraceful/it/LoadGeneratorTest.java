package io.jettygraceful.it;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator against a real example process, which must answer every request. */
class LoadGeneratorTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void everyRequestToAPlainExampleSucceeds() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("load").jdk(17).args("--host", "127.0.0.1", "--port", String.valueOf(port)));
        String uuid = process.servingUuid(Duration.ofSeconds(30));

        LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(4).newConnectionClients(4)
            .maxRequests(4000).maxDuration(Duration.ofSeconds(20)).timeout(Duration.ofSeconds(5)).start();
        assertTrue(load.awaitCompleted(100, Duration.ofSeconds(20)), load.summary().toString());
        LoadGenerator.Summary summary = load.awaitFinished(Duration.ofSeconds(40));
        System.out.println("[it] load self-test: " + summary);

        assertEquals(0, summary.failed(), summary.toString());
        assertEquals(Map.of(uuid, summary.ok()), summary.answeredBy());
        assertTrue(summary.ok() == 4000 || summary.elapsed().toMillis() >= 20_000, "bounded by count or by time: " + summary);
        assertTrue(summary.connections() > 4, "the new-connection clients open one per request: " + summary);
        assertEquals(0, summary.idleCloses() + summary.idleResets() + summary.connectionCloses(), summary.toString());
    }
}
