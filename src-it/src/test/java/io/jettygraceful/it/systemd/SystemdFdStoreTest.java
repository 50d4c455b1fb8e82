package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.systemd.DebianRootfs.Suite;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code systemctl restart} (a full stop and start, no handover) under a new-connection load, with the plain
 * Type=notify unit (docs/systemd/notify: the socket closes with the old JVM) and with the fd-store unit
 * (docs/systemd/fd-store: FileDescriptorStoreMax=4, the socket waits in systemd's fd store, connections in its backlog).
 * Prints the refused connections of both; asserts none with the store, and some without it (else the comparison
 * shows nothing).
 */
class SystemdFdStoreTest
{
    private static final int CLIENTS = 4;
    /** A connection waits in the backlog while the new JVM starts: on a loaded 2-core machine that took over 10 s. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(45);

    @RegisterExtension
    final SystemdMachines machines = new SystemdMachines();

    static Stream<Setup> suites()
    {
        return Stream.of(new Setup(Suite.BOOKWORM, UnitFiles.FD_STORE, 17), new Setup(Suite.TRIXIE, UnitFiles.FD_STORE, 17));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void restartWithTheFdStoreRefusesNoConnection(Setup setup) throws IOException
    {
        LoadGenerator.Summary without = restartUnderLoad(setup, UnitFiles.NOTIFY);
        LoadGenerator.Summary with = restartUnderLoad(setup, UnitFiles.FD_STORE);
        System.out.println("[systemd] " + setup.suite() + " JDK " + setup.jdk() + " systemctl restart under " + CLIENTS +
            " new-connection clients: refused " + without.refused() + " without the fd store, " + with.refused() +
            " with FileDescriptorStoreMax=4\n  without: " + without + "\n  with:    " + with);
        assertEquals(0, with.failed(), "failed requests across systemctl restart with the fd store: " + with);
        assertTrue(without.refused() > 0, "without the fd store a restart should refuse connections, or the comparison proves nothing: " + without);
    }

    private LoadGenerator.Summary restartUnderLoad(Setup setup, UnitFiles units) throws IOException
    {
        try (SystemdContainer container = machines.boot(setup.suite(), setup.jdk()))
        {
            AppService app = AppService.install(container, units, FreePorts.ipv4(), FreePorts.ipv4());
            ExampleStatus before = app.start();
            if (units == UnitFiles.FD_STORE)
                Restarts.await(() -> Integer.parseInt(app.property("NFileDescriptorStore")) >= 1, Duration.ofSeconds(30),
                    "the listening socket in the fd store (NFileDescriptorStore is " + app.property("NFileDescriptorStore") + ")");
            LoadGenerator.Summary summary;
            try (LoadGenerator load = LoadGenerator.builder(app.port()).keepAliveClients(0).newConnectionClients(CLIENTS)
                .timeout(CLIENT_TIMEOUT).maxRequests(500_000).maxDuration(Duration.ofSeconds(90)).start())
            {
                assertTrue(load.awaitCompleted(300, Duration.ofSeconds(30)), "load did not get going: " + load.summary());
                long start = System.nanoTime();
                container.systemctlOk("restart", UnitFiles.SERVICE);
                ExampleStatus after = app.awaitServing();
                System.out.println("[systemd] " + setup.suite() + " " + units + " systemctl restart: serving again after " +
                    Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
                assertNotEquals(before.pid(), after.pid());
                assertTrue(load.awaitCompleted(load.completed() + 300, Duration.ofSeconds(30)), "load stalled after the restart: " + load.summary());
                summary = load.stop();
            }
            app.assertCleanJournal("Serving pid=" + app.mainPid());
            return summary;
        }
    }
}
