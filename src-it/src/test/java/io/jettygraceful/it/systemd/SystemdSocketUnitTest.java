package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The socket units users copy (docs/systemd/socket, two-sockets) under a real systemd: systemd holds the listening
 * sockets (FileDescriptorName=), the first connection starts the service, reloads under load lose nothing, and a stop
 * answers the request in flight and leaves the socket listening.
 */
class SystemdSocketUnitTest
{
    private static final int RELOADS = 3;

    @RegisterExtension
    final SystemdMachines machines = new SystemdMachines();

    static Stream<Setup> oneSocket()
    {
        return Setup.everySystemd(UnitFiles.SOCKET);
    }

    static Stream<Setup> twoSockets()
    {
        return Setup.everySystemd(UnitFiles.TWO_SOCKETS);
    }

    private AppService bootAndListen(Setup setup)
    {
        SystemdContainer container = machines.boot(setup.suite(), setup.jdk());
        AppService app = AppService.install(container, setup.units(), FreePorts.ipv4(), FreePorts.ipv4());
        String[] start = Stream.concat(Stream.of("start"), Stream.of(app.startUnits())).toArray(String[]::new);
        container.systemctlOk(start);
        assertEquals("inactive", app.activeState(), "only the socket is started; the first connection starts the service");
        return app;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneSocket")
    void socketUnitThroughReloadsAndAStop(Setup setup) throws Exception
    {
        AppService app = bootAndListen(setup);
        ExampleStatus current = app.awaitServing();
        assertEquals(List.of(new ExampleStatus.Listener("127.0.0.1:" + app.port(), true)), current.listeners(), current.json());

        try (LoadGenerator load = LoadGenerator.builder(app.port()).keepAliveClients(2).newConnectionClients(2)
            .maxRequests(500_000).maxDuration(Duration.ofSeconds(120)).start())
        {
            for (int i = 0; i < RELOADS; i++)
            {
                assertTrue(load.awaitCompleted(load.completed() + 200, Duration.ofSeconds(30)), "load stalled: " + load.summary());
                current = Reloads.reloadAndFollow(app, current);
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[systemd] " + setup + " " + RELOADS + " reloads under load: " + summary);
            assertEquals(0, summary.failed(), "failed requests across reloads of a socket-activated service: " + summary);
        }

        Reloads.stopAnswersTheRequestInFlight(app);
        assertEquals("active", app.container().property("app.socket", "ActiveState"), "the socket keeps listening after the service stopped");
        app.assertCleanJournal("Stopped app|Deactivated successfully");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("twoSockets")
    void twoNamedSocketsThroughAReloadAndAStop(Setup setup) throws Exception
    {
        AppService app = bootAndListen(setup);
        ExampleStatus first = app.awaitServing();
        assertEquals(2, first.inherited(), first.json());
        assertEquals(first.pid(), adminStatus(app).pid(), "both sockets are served by the main process");

        Reloads.reloadOk(app, first);
        ExampleStatus second = Reloads.servingAfterReload(app, first);
        assertEquals(2, second.inherited(), "the replacement inherited both sockets: " + second.json());
        assertEquals(second.pid(), adminStatus(app).pid(), "the admin socket is served by the replacement too");
        app.awaitMainPid(second.pid(), Reloads.HANDOVER);

        Reloads.stopAnswersTheRequestInFlight(app);
        app.assertCleanJournal("Stopped app|Deactivated successfully");
    }

    private static ExampleStatus adminStatus(AppService app) throws IOException
    {
        Http.Response response = Http.get(Http.IPV4, app.adminPort(), "/status", Http.DEFAULT_TIMEOUT);
        assertEquals(200, response.status(), "GET /status on the admin socket: " + response);
        return ExampleStatus.parse(response.body());
    }
}
