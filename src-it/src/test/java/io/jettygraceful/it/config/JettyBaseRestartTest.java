package io.jettygraceful.it.config;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import io.jettygraceful.it.LoadGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A $JETTY_BASE laid out as the jetty-home docs say (config artifact unpacked: modules/ and etc/; the jars the
 * graceful-http module's [files] names copied into lib/graceful/), run as a real JVM the way start.jar runs Jetty
 * in-process: the classpath from the modules' [lib], Jetty's {@code XmlConfiguration} main with the properties and
 * the modules' [xml] files after the server's. (start.jar itself and jetty-home cannot be fetched on these
 * machines; see docs/jetty-configuration.md.) Real SIGHUPs, twice, under a bounded loopback load: each time a
 * new pid takes over (the PID file says which; its log says which generation) and the old one exits, and no request
 * fails.
 */
@EnabledOnOs(OS.LINUX)
class JettyBaseRestartTest extends JettyBaseProcesses
{

    @Test
    void sighupHandsOverToANewPidUnderLoadWithoutAFailedRequest() throws Exception
    {
        int port = ConfigTesting.freePort();
        base = new JettyBase("jetty-base")
            .property("jetty.graceful.http.host", "127.0.0.1")
            .property("jetty.graceful.http.port", String.valueOf(port))
            .property("jetty.graceful.restart.drainTimeout", "5000")
            .property("jetty.graceful.restart.readyTimeout", "30000");
        long startNanos = System.nanoTime();
        int pid = base.start(List.of());
        System.out.printf("generation 1 (pid %d) serving after %d ms%n", pid, millisSince(startNanos));

        try (LoadGenerator load = LoadGenerator.builder(port).path("/favicon.ico").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(5_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            ConfigTesting.sleep(1000);
            int current = pid;
            for (int generation = 2; generation <= 3; generation++)
            {
                long before = load.succeeded();
                int old = current;
                long hup = System.nanoTime();
                current = base.restart(old, 1);
                long exited = millisSince(hup);
                assertNotEquals(old, current);
                String took = "Took over from parent pid " + old + " as generation " + generation;
                base.waitFor(() -> Files.readString(base.log()).contains(took), 10_000, "'" + took + "' in the log");
                System.out.printf("SIGHUP to pid %d: pid %d (generation %d) took over; old pid exited after %d ms; %d requests meanwhile%n",
                    old, current, generation, exited, load.succeeded() - before);
                ConfigTesting.sleep(1000);
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("load: " + summary);
            assertEquals(0, summary.failed(), "failed requests: " + summary);
            assertEquals(0, summary.idleResets(), "idle connections reset instead of closed: " + summary);
            assertTrue(summary.ok() > 100, "too few requests to mean anything: " + summary);
        }
    }

    private static long millisSince(long nanos)
    {
        return (System.nanoTime() - nanos) / 1_000_000L;
    }
}
