package io.jettygraceful.it.mavenplugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import org.eclipse.jetty.util.Jetty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jetty-maven-plugin 12.1.5 (ee10, and ee11 in FORK) running a small war project (test resources: {@code app/}) with the
 * connector, the restart bean and the shipped config, through a real nested {@code mvn}: each mode starts, is restarted
 * by SIGHUP to the pid in the PID file under load with no failed request, serves the edited source after the restart
 * (EMBED, FORK), and is stopped with every process of the run gone: EMBED by SIGINT to its process group (Ctrl-C),
 * FORK by {@code jetty:stop}, EXTERNAL by SIGTERM to the serving pid, ee11 FORK by SIGINT to the group.
 * <p>
 * One started server per mode carries all of that mode's assertions; ee11 runs only FORK, the cheapest mode (no Maven
 * run per restart, no jetty-home), since the plugin code paths are the same as ee10's. The nested builds resolve from a
 * repository of the test's own ({@link PluginRepository}), online the first time each plugin is used, offline after.
 * Resolution failures fail the test. The plugin runs Jetty 12.1.5 while this project builds on its own Jetty: the
 * FORK test asserts both.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JettyMavenPluginTest
{
    private static final String PLUGIN_VERSION = System.getProperty("it.jettyMavenPlugin.version", "12.1.5");
    private static final Duration FIRST_START = Duration.ofMinutes(6);
    private static final Duration START = Duration.ofMinutes(3);
    private static final Duration RESTART = Duration.ofMinutes(3);
    private static final Duration STOP = Duration.ofSeconds(90);

    private static Path root;
    private static PluginRepository repository;
    /** Plugins (and profiles) that a nested build has resolved once: the next runs are offline. */
    private static final Set<String> resolved = new HashSet<>();
    private static final List<String> timings = new ArrayList<>();

    enum Mode
    {
        EMBED, FORK, EXTERNAL
    }

    enum Stop
    {
        JETTY_STOP, SIGINT_TO_GROUP, SIGTERM_TO_SERVING
    }

    @BeforeAll
    static void repository() throws IOException
    {
        root = Path.of("target", "mavenplugin-it").toAbsolutePath();
        deleteTree(root);
        Files.createDirectories(root);
        repository = PluginRepository.create(root);
    }

    @AfterAll
    static void report()
    {
        timings.forEach(t -> System.out.println("[it] jetty-maven-plugin " + t));
    }

    @Test
    @Order(1)
    void ee10EmbedRestartsWithTheEditedSourceAndEndsOnCtrlC() throws Exception
    {
        run("ee10", Mode.EMBED, Stop.SIGINT_TO_GROUP);
    }

    @Test
    @Order(2)
    void ee10ForkRestartsWithTheCompiledSourceOnThePluginsJettyAndEndsOnJettyStop() throws Exception
    {
        run("ee10", Mode.FORK, Stop.JETTY_STOP);
    }

    @Test
    @Order(3)
    void ee10ExternalRestartsAndEndsOnSigtermToTheServingPid() throws Exception
    {
        run("ee10", Mode.EXTERNAL, Stop.SIGTERM_TO_SERVING);
    }

    @Test
    @Order(4)
    void ee11ForkRestartsWithTheCompiledSourceAndEndsOnCtrlC() throws Exception
    {
        run("ee11", Mode.FORK, Stop.SIGINT_TO_GROUP);
    }

    private void run(String ee, Mode mode, Stop stop) throws Exception
    {
        Path project = project(ee, mode);
        int port = FreePorts.ipv4();
        int stopPort = FreePorts.ipv4();
        String plugin = "org.eclipse.jetty." + ee + ":jetty-" + ee + "-maven-plugin:" + PLUGIN_VERSION;
        List<String> properties = List.of("-Dapp.port=" + port, "-Dapp.stopPort=" + stopPort);
        List<String> args = new ArrayList<>(properties);
        if (mode != Mode.EMBED)
            args.add("-Djetty.deployMode=" + mode);
        if (mode == Mode.EXTERNAL)
            args.add("-Pexternal");
        args.add(plugin + ":run");
        String resolution = ee + (mode == Mode.EXTERNAL ? "-external" : "");
        boolean offline = resolved.contains(resolution);
        Path pidFile = project.resolve("target/jetty.pid");
        String where = ee + " " + mode;

        try (NestedMaven maven = NestedMaven.start(project, repository, offline, root.resolve(ee + "-" + mode + ".log"), args))
        {
            // start
            long first = awaitServing(maven, pidFile, port, offline ? START : FIRST_START, where);
            resolved.add(resolution);
            Http.Response hello = Http.get(port, "/hello");
            assertEquals(200, hello.status(), where + ": " + hello);
            assertEquals("version-1 " + first, hello.body(), where + ": the first generation serves the source as it was built");
            assertEquals("Jetty(" + PLUGIN_VERSION + ")", hello.headers().get("server").get(0),
                where + ": the connector serves on the plugin's Jetty, not on the Jetty this project builds on");
            if (mode == Mode.FORK && "ee10".equals(ee))
            {
                assertEquals(System.getProperty("it.projectJettyVersion", "12.1.14"), Jetty.VERSION,
                    "this project (and the connector it installed) builds on its own Jetty, a newer one than the plugin's");
                assertFalse(PLUGIN_VERSION.equals(Jetty.VERSION), "the versions must differ for this test to prove anything");
            }

            // an edited source: EMBED's replacement is a whole Maven run that compiles it; FORK's reruns the forked JVM on target/classes
            boolean edits = mode != Mode.EXTERNAL;
            if (edits)
            {
                Path servlet = project.resolve("src/main/java/demo/HelloServlet.java");
                Files.writeString(servlet, Files.readString(servlet).replace("version-1", "version-2"));
                if (mode == Mode.FORK)
                    NestedMaven.run(project, repository, true, root.resolve(ee + "-" + mode + "-compile.log"), Duration.ofMinutes(3), List.of("compile"));
            }

            // restart: SIGHUP to the pid in the PID file, under load
            long second;
            LoadGenerator.Summary summary;
            try (LoadGenerator load = LoadGenerator.builder(port).path("/hello").keepAliveClients(1).newConnectionClients(1)
                .maxRequests(200_000).maxDuration(RESTART.plusMinutes(1)).start())
            {
                assertTrue(load.awaitCompleted(20, Duration.ofSeconds(30)), where + ": load before the restart");
                long signalled = System.nanoTime();
                assertTrue(Subreaper.signal(first, 1), where + ": SIGHUP to " + first);
                second = awaitNewPid(pidFile, first, RESTART, maven, where);
                long took = (System.nanoTime() - signalled) / 1_000_000;
                timings.add(where + ": SIGHUP to the replacement in the PID file (ready and serving) " + took + " ms");
                Restarts.await(() -> maven.output().contains("Restart succeeded: pid " + first + " -> pid " + second), RESTART,
                    where + ": the first generation drained" + maven.tail(30));
                long before = load.completed();
                assertTrue(load.awaitCompleted(before + 20, Duration.ofSeconds(30)), where + ": load after the restart");
                summary = load.stop();
            }
            assertEquals(0, summary.failed(), where + ": no request fails during the restart: " + summary);
            assertTrue(summary.ok() > 0, where + ": " + summary);
            Http.Response after = Http.get(port, "/hello");
            assertEquals((edits ? "version-2 " : "version-1 ") + second, after.body(),
                where + (edits ? ": the replacement serves the edited source" : ": the replacement serves"));

            // what a plugin user used to trip over
            String output = maven.output();
            assertFalse(output.contains("FileAlreadyExistsException"), where + ": the replacement creates the plugin's token file" + maven.tail(60));
            assertFalse(output.contains("Address already in use"), where + ": the replacement does not bind the stop port while the old JVM has it" + maven.tail(60));
            assertTrue(output.contains("InheritedServerConnector@"), where + ": Jetty's and jetty-graceful's logging is seen (an SLF4J provider)" + maven.tail(60));
            Restarts.await(() -> maven.output().contains("Stop port 127.0.0.1:" + stopPort + " taken over"), RESTART,
                where + ": the serving generation answers the stop port" + maven.tail(30));
            assertTrue(maven.members().contains(first), where + ": the first generation stays as the holder (mvn stays in the foreground)");
            // the holder's small JVM finds jffi's native jar also where the library is not on java.class.path (Maven's plugin realm, start.jar's loader)
            Restarts.await(() -> maven.output().contains("[jetty-graceful holder " + first + "] holding for serving pid " + second), RESTART,
                where + ": the first generation holds in the small JVM" + maven.tail(30));
            assertFalse(maven.output().contains("holding in this JVM"), where + ": the small holder JVM started" + maven.tail(60));

            // stop
            switch (stop)
            {
                case JETTY_STOP -> NestedMaven.run(project, repository, true, root.resolve(ee + "-" + mode + "-stop.log"), Duration.ofMinutes(2),
                    Stream.concat(properties.stream(), Stream.of(plugin + ":stop")).toList());
                case SIGINT_TO_GROUP ->
                {
                    for (long pid : maven.members())
                        assertFalse(sigintIgnored(pid), where + ": pid " + pid + " ignores SIGINT (the test JVM was started as a background job?): Ctrl-C cannot be tested");
                    assertTrue(Subreaper.signal(-maven.processGroup(), 2), where + ": SIGINT to process group " + maven.processGroup());
                }
                case SIGTERM_TO_SERVING -> assertTrue(Subreaper.signal(second, 15), where + ": SIGTERM to " + second);
            }
            List<Long> left = maven.awaitAllGone(STOP);
            assertEquals(List.of(), left, where + ": every process of the run ends after " + stop + ": " + describe(left) + maven.tail(40));
        }
    }

    private static long awaitServing(NestedMaven maven, Path pidFile, int port, Duration timeout, String where)
    {
        long[] pid = {-1};
        Restarts.await(() ->
        {
            if (!maven.process().isAlive())
                throw new AssertionError(where + ": mvn ended before serving (exit " + maven.process().exitValue() + ")" + maven.tail(60));
            long current = readPid(pidFile);
            if (current <= 0)
                return false;
            try
            {
                if (Http.get(port, "/hello").status() != 200)
                    return false;
            }
            catch (IOException x)
            {
                return false;
            }
            pid[0] = current;
            return true;
        }, timeout, where + ": serving within " + timeout + maven.tail(40));
        return pid[0];
    }

    private static long awaitNewPid(Path pidFile, long old, Duration timeout, NestedMaven maven, String where)
    {
        long[] pid = {-1};
        Restarts.await(() ->
        {
            long current = readPid(pidFile);
            if (current > 0 && current != old)
            {
                pid[0] = current;
                return true;
            }
            return false;
        }, timeout, where + ": a replacement in the PID file" + maven.tail(60));
        return pid[0];
    }

    private static long readPid(Path pidFile)
    {
        try
        {
            return Long.parseLong(Files.readString(pidFile).trim());
        }
        catch (IOException | NumberFormatException x)
        {
            return -1;
        }
    }

    private static boolean sigintIgnored(long pid)
    {
        try
        {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")))
            {
                if (line.startsWith("SigIgn:"))
                    return (Long.parseLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
            }
        }
        catch (IOException | NumberFormatException x)
        {
            // gone: nothing to ignore
        }
        return false;
    }

    private static String describe(List<Long> pids)
    {
        return pids.stream().map(pid -> pid + " " + Procs.cmdline(pid)).toList().toString();
    }

    /** Copies the fixture (test resources {@code app/}) and fills it in: the plugin's environment, the versions, the shipped XML. */
    private static Path project(String ee, Mode mode) throws IOException
    {
        Path fixture;
        try
        {
            fixture = Path.of(JettyMavenPluginTest.class.getResource("app/pom.xml").toURI()).getParent();
        }
        catch (java.net.URISyntaxException x)
        {
            throw new IOException(x);
        }
        Path project = root.resolve(ee + "-" + mode.name().toLowerCase());
        try (Stream<Path> files = Files.walk(fixture))
        {
            for (Path file : (Iterable<Path>)files::iterator)
            {
                Path target = project.resolve(fixture.relativize(file).toString());
                if (Files.isDirectory(file))
                    Files.createDirectories(target);
                else
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path pom = project.resolve("pom.xml");
        Files.writeString(pom, Files.readString(pom).replace("@ee@", ee).replace("@plugin.version@", PLUGIN_VERSION)
            .replace("@graceful.version@", PluginRepository.VERSION));
        Path config = Path.of(System.getProperty("jetty.graceful.config", "../jetty-graceful-connector/target/config"));
        for (String xml : List.of("jetty-graceful-http.xml", "jetty-graceful-restart.xml"))
            Files.copy(config.resolve("etc").resolve(xml), project.resolve("src/main/jetty").resolve(xml), StandardCopyOption.REPLACE_EXISTING);
        return project;
    }

    private static void deleteTree(Path dir) throws IOException
    {
        if (!Files.exists(dir))
            return;
        try (Stream<Path> files = Files.walk(dir))
        {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList())
                Files.delete(file);
        }
    }
}
