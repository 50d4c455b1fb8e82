package io.jettygraceful.it.dropwizard;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ListeningSockets;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.TestCertificates;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dropwizard sample's connectors beyond plain HTTP: {@code inherited-https} across restarts, and under systemd's
 * own activator with two named sockets, each connector adopting the socket of its {@code socketName}.
 */
class DropwizardTlsAndActivationTest
{
    private static final int TLS_RESTARTS = 3;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void inheritedHttpsServesAcrossRestartsWithoutAFailedRequest(int jdk) throws Exception
    {
        Path keystore = TestCertificates.selfSignedKeystore(dir.resolve("server.p12"));
        SSLContext tls = TestCertificates.trusting(keystore);
        processes.useTls(tls);
        int appPort = FreePorts.ipv4();
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, FreePorts.ipv4());
        config.connectorType = "inherited-https";
        config.keystore = keystore;
        config.keystorePassword = TestCertificates.PASSWORD;
        ExampleProcess first = processes.start(DropwizardSample.server("dropwizard-tls", jdk, config.write(dir.resolve("app.yml"))));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);

        List<String> uuids = new ArrayList<>(List.of(status.uuid()));
        LoadGenerator.Summary summary;
        try (LoadGenerator load = LoadGenerator.builder(appPort).tls(tls).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofMinutes(4)).timeout(Duration.ofSeconds(10)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(30)), "load flows over TLS");
            for (int i = 0; i < TLS_RESTARTS; i++)
            {
                long old = status.pid();
                status = Restarts.restart(processes, appPort, status, DropwizardSample.HANDOFF);
                uuids.add(status.uuid());
                assertTrue(status.listeners().get(0).inherited(), status.json());
                Restarts.awaitExit(old, Duration.ofSeconds(30));
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 200, Duration.ofSeconds(30)), "load flows after restart " + (i + 1));
            }
            summary = load.stop();
        }
        System.out.println("[it] Dropwizard inherited-https, JDK " + jdk + ", " + TLS_RESTARTS + " restarts: " + summary);
        assertEquals(0, summary.failed(), summary.toString());
        assertEquals(Set.copyOf(uuids), summary.answeredBy().keySet(), summary.toString());
    }

    /**
     * {@code systemd-socket-activate} passes the admin socket first (fd 3) and the application socket second (fd 4),
     * named admin:application; the connectors are listed application first, so only their socketName puts each on
     * its own socket. The application resources answer on the application port only, the admin servlet on the
     * admin port only, before and after a restart.
     */
    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void underSocketActivationEachConnectorAdoptsItsNamedSocket(int jdk) throws Exception
    {
        int appPort = FreePorts.ipv4();
        int adminPort = FreePorts.ipv4();
        String app = "127.0.0.1:" + appPort;
        String admin = "127.0.0.1:" + adminPort;
        DropwizardSample.Config config = new DropwizardSample.Config(appPort, adminPort);
        config.appSocketName = "application";
        config.adminSocketName = "admin";
        config.inheritRequired = true;
        ExampleProcess process = processes.start(DropwizardSample.server("dropwizard-activated", jdk, config.write(dir.resolve("app.yml")))
            .wrapper(ExampleProcess.systemdSocketActivate(List.of(admin, app), List.of("admin", "application"))));
        for (String listen : List.of(admin, app))
            process.awaitLog("Listening on " + Pattern.quote(listen) + " as \\d+", DropwizardSample.START);

        // The first connection makes the activator exec the JVM; it waits in the backlog until Dropwizard has started.
        Http.Response first = Http.get(Http.IPV4, appPort, "/status", DropwizardSample.START);
        assertEquals(200, first.status(), first.toString());
        ExampleStatus status = ExampleStatus.parse(first.body());
        processes.saw(status.pid());
        assertEquals(process.pid(), status.pid(), "the activator execs the JVM: same pid");
        assertEquals(List.of(new ExampleStatus.Listener(app, true), new ExampleStatus.Listener(admin, true)), status.listeners(), status.json());
        process.awaitLog("Serving .* listeners=\\[inherited fd 4 'application' " + Pattern.quote(app) + ", inherited fd 3 'admin' " + Pattern.quote(admin) + "]",
            DropwizardSample.START);
        assertEachOnItsOwnSocket(appPort, adminPort, status.uuid());
        assertEquals(List.of(appPort < adminPort ? app : admin, appPort < adminPort ? admin : app), ListeningSockets.describe(process.pid()),
            "the JVM listens on the activator's sockets only, and binds nothing itself");

        ExampleStatus next = Restarts.restart(processes, appPort, status, DropwizardSample.HANDOFF);
        assertEquals(List.of(new ExampleStatus.Listener(app, true), new ExampleStatus.Listener(admin, true)), next.listeners(), next.json());
        process.awaitLog("Serving pid=" + next.pid() + " .* listeners=\\[inherited fd 3 'application' " + Pattern.quote(app) + ", inherited fd 4 'admin' " +
            Pattern.quote(admin) + "]", DropwizardSample.START);
        Restarts.awaitNoLongerAccepting(process, status.pid(), DropwizardSample.HANDOFF); // both accept during the overlap
        assertEachOnItsOwnSocket(appPort, adminPort, next.uuid());
    }

    private static void assertEachOnItsOwnSocket(int appPort, int adminPort, String uuid) throws Exception
    {
        assertEquals(uuid, Http.get(appPort, "/uuid").body().trim());
        assertEquals(404, Http.get(appPort, "/ping").status(), "the admin servlet is not on the application socket");
        Http.Response ping = Http.get(adminPort, "/ping");
        assertEquals(200, ping.status(), ping.toString());
        assertEquals("pong", ping.body().trim());
        assertEquals(404, Http.get(adminPort, "/uuid").status(), "the application resources are not on the admin socket");
    }
}
