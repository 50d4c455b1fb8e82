package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.LoadGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reload units users copy (docs/systemd/notify, notify-reload) under a real systemd, 252 and 257: start, reload
 * under load, reloads then a stop with a request in flight, a broken deploy, a crashed replacement. Every scenario
 * ends by checking the journal for the lines that mean systemd does not supervise the serving JVM as its own.
 * Everything runs on JDK 17; reloads then a stop also on JDK 25 (the socket tests run JDK 25 too).
 */
class SystemdReloadTest
{
    @RegisterExtension
    final SystemdMachines machines = new SystemdMachines();

    static java.util.stream.Stream<Setup> reloadUnits()
    {
        return Setup.reloadUnits();
    }

    static java.util.stream.Stream<Setup> reloadUnitsJdk17()
    {
        return Setup.reloadUnitsJdk17();
    }

    private AppService boot(Setup setup)
    {
        SystemdContainer container = machines.boot(setup.suite(), setup.jdk());
        return AppService.install(container, setup.units(), FreePorts.ipv4(), FreePorts.ipv4());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnitsJdk17")
    void startServesAsMainPid(Setup setup) throws IOException
    {
        AppService app = boot(setup);
        ExampleStatus status = app.start();

        assertEquals(1, status.generation(), status.json());
        assertEquals(status.pid(), app.mainPid());
        assertEquals("active", app.activeState());
        app.assertCleanJournal("Serving pid=" + status.pid());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnitsJdk17")
    void reloadUnderLoadReturnsWhenTheReplacementServes(Setup setup) throws IOException
    {
        AppService app = boot(setup);
        ExampleStatus first = app.start();

        try (LoadGenerator load = LoadGenerator.builder(app.port()).keepAliveClients(2).newConnectionClients(2)
            .maxRequests(200_000).maxDuration(Duration.ofSeconds(90)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(30)), "load did not get going: " + load.summary());
            ExampleStatus second = Reloads.reloadAndFollow(app, first);
            long done = load.completed();
            assertTrue(load.awaitCompleted(done + 200, Duration.ofSeconds(30)), "load stalled after the reload: " + load.summary());
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[systemd] " + setup + " reload under load: " + summary);
            assertEquals(0, summary.failed(), "failed requests across systemctl reload: " + summary);
            assertTrue(summary.answeredBy().containsKey(second.uuid()), "the replacement answered no load request: " + summary);
        }
        app.assertCleanJournal("Serving pid=" + app.mainPid());
        // The unit runs the JVM as its own user (DynamicUser=yes): LimitNICE=20 (raw: nice down to 0) is what lets the
        // replacement, started 5 nicer, go back to the service's priority; without it the first restart logs that it
        // started at the same one. systemd can grant the limit only with CAP_SYS_RESOURCE, which a real PID 1 has.
        assertEquals("20", app.property("LimitNICE"), "the unit's LimitNICE= as systemd read it");
        if (hostMayRaiseLimits())
        {
            String journal = app.journal();
            assertFalse(journal.contains("the replacement starts at this process's priority"),
                "the replacement could not be started nicer under the unit's user and LimitNICE=:\n" + journal);
        }
        else
        {
            System.out.println("[systemd] " + setup + ": this machine's capability bounding set lacks CAP_SYS_RESOURCE, so systemd in " +
                "the container cannot raise RLIMIT_NICE to the unit's LimitNICE=: the replacement's priority is not checked here");
        }
    }

    /** @return whether this machine's capability bounding set has CAP_SYS_RESOURCE (bit 24), which raising a limit needs */
    static boolean hostMayRaiseLimits() throws IOException
    {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("CapBnd:"))
                return (Long.parseUnsignedLong(line.substring("CapBnd:".length()).trim(), 16) & (1L << 24)) != 0;
        }
        return false;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnits")
    void fiveReloadsThenStopAnswersTheRequestInFlight(Setup setup) throws Exception
    {
        AppService app = boot(setup);
        ExampleStatus current = app.start();
        for (int i = 0; i < 5; i++)
        {
            current = Reloads.reloadAndFollow(app, current);
        }
        assertEquals(6, current.generation(), current.json());

        Reloads.stopAnswersTheRequestInFlight(app);
        app.assertCleanJournal("Stopped app|Deactivated successfully");
    }

    /**
     * A deploy script's {@code systemctl reload && systemctl stop}: with notify-reload the stop comes while the replaced
     * process still drains as the main pid (reload returns at the end of the overlap); with jetty-graceful-reload (252)
     * once systemd follows the replacement. Either way the request in flight is answered, the unit ends inactive with
     * Result=success, and the journal is clean.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnits")
    void stopRightAfterAReloadAnswersTheRequestInFlight(Setup setup) throws Exception
    {
        AppService app = boot(setup);
        ExampleStatus first = app.start();
        Reloads.reloadOk(app, first);
        Reloads.servingAfterReload(app, first);
        System.out.println("[systemd] " + setup + " stop right after the reload: main pid " + app.mainPid() + ", replaced pid " + first.pid());

        Reloads.stopAnswersTheRequestInFlight(app);
        app.assertCleanJournal("Stopped app|Deactivated successfully");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnitsJdk17")
    void brokenJarDeployedByRenameKeepsTheOldProcessServing(Setup setup) throws IOException
    {
        AppService app = boot(setup);
        ExampleStatus good = app.start();
        Path appDir = machines.appDir(app.container());
        deploy(appDir, "this is not a jar\n".getBytes());

        Tools.Result reload = app.reload();
        System.out.println("[systemd] " + setup + " reload of a broken jar: " + reload);
        if (setup.reloadReportsFailure())
            assertNotEquals(0, reload.exit(), "systemctl reload of a broken jar must fail: " + reload);
        String status = Reloads.awaitStatusText(app, "Restart \\d+ of pid " + good.pid() + " failed");
        assertTrue(status.contains("pid " + good.pid() + " keeps serving"), status);
        assertEquals(good.pid(), app.status().pid(), "the old process must keep serving");
        assertEquals(good.pid(), app.mainPid());
        assertEquals("active", app.activeState());

        deploy(appDir, Files.readAllBytes(Jdks.exampleJar()));
        Reloads.reloadOk(app, good);
        ExampleStatus fixed = Reloads.awaitReplacement(app, good);
        app.awaitMainPid(fixed.pid(), Reloads.HANDOVER);
        app.assertCleanJournal("Serving pid=" + fixed.pid());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reloadUnitsJdk17")
    void replacementKilledAfterTakingOverIsRestartedBySystemd(Setup setup) throws IOException
    {
        AppService app = boot(setup);
        ExampleStatus first = app.start();
        Reloads.reloadOk(app, first);
        ExampleStatus second = Reloads.awaitReplacement(app, first);
        app.awaitMainPid(second.pid(), Reloads.HANDOVER);

        Tools.Result kill = app.container().exec(Duration.ofSeconds(10), "kill", "-KILL", String.valueOf(second.pid()));
        assertTrue(kill.ok(), kill.toString());

        io.jettygraceful.it.Restarts.await(() -> app.mainPid() != second.pid() && app.mainPid() != 0, Reloads.HANDOVER,
            "systemd to start " + UnitFiles.SERVICE + " again after its main process " + second.pid() + " was killed");
        ExampleStatus restarted = app.awaitServing();
        assertNotEquals(second.pid(), restarted.pid());
        assertEquals(1, restarted.generation(), "a fresh start by systemd, not a handover: " + restarted.json());
        assertEquals("1", app.property("NRestarts"));
        app.assertCleanJournal("Serving pid=" + restarted.pid());
    }

    /** Replaces app.jar the safe way: write next to it, then rename over it. */
    static void deploy(Path appDir, byte[] jar) throws IOException
    {
        Path next = appDir.resolve("app.jar.next");
        Files.write(next, jar);
        Files.move(next, appDir.resolve("app.jar"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
