package io.jettygraceful.it.config;

import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.Subreaper;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
class JettyBaseRestartTest
{
    private static final String[] SERVER_JARS = {"jetty-server-", "jetty-http-", "jetty-io-", "jetty-util-", "jetty-xml-", "slf4j-api-", "slf4j-simple-"};

    private Path base;
    private Process first;
    private final List<Integer> learnedPids = new ArrayList<>();

    @BeforeAll
    static void subreaper()
    {
        Subreaper.enable();
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        // Newest first: the replacements, which were reparented to this JVM when their parents exited...
        for (int i = learnedPids.size() - 1; i >= 0; i--)
        {
            if (first == null || learnedPids.get(i) != first.pid())
                ConfigTesting.stopAndReap(learnedPids.get(i), 3000);
        }
        // ... then the one we started...
        if (first != null && first.isAlive())
        {
            first.destroy();
            if (!first.waitFor(5, TimeUnit.SECONDS))
                first.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        // ... then any other process of this base that ended up our child (a replacement we never heard of).
        if (base != null)
        {
            for (ProcessHandle child : ProcessHandle.current().children().toList())
            {
                Path cwd;
                try
                {
                    cwd = Files.readSymbolicLink(Path.of("/proc", String.valueOf(child.pid()), "cwd"));
                }
                catch (IOException gone)
                {
                    continue;
                }
                if (cwd.equals(base))
                    ConfigTesting.stopAndReap((int)child.pid(), 3000);
            }
        }
    }

    @Test
    void sighupHandsOverToANewPidUnderLoadWithoutAFailedRequest() throws Exception
    {
        base = Path.of("target", "jetty-base-" + System.currentTimeMillis()).toAbsolutePath();
        List<String> command = layOutJettyBase(base);
        int port = ConfigTesting.freePort();
        command.addAll(command.indexOf("org.eclipse.jetty.xml.XmlConfiguration") + 1, List.of(
            "jetty.graceful.http.host=127.0.0.1",
            "jetty.graceful.http.port=" + port,
            "jetty.graceful.restart.pidFile=graceful.pid",
            "jetty.graceful.restart.drainTimeout=5000",
            "jetty.graceful.restart.readyTimeout=30000"));
        Path log = base.resolve("jetty.log");
        Path pidFile = base.resolve("graceful.pid");
        System.out.println("jetty base " + base + ": " + String.join(" ", command));

        first = new ProcessBuilder(command).directory(base.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        int pid = (int)first.pid();
        learnedPids.add(pid);
        long startNanos = System.nanoTime();
        waitFor(() -> pid == readPid(pidFile), 30_000, "pid " + pid + " in " + pidFile, log);
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
                assertTrue(Subreaper.signal(old, 1), "kill -HUP " + old);
                waitFor(() -> readPid(pidFile) > 0 && readPid(pidFile) != old, 30_000, "a new pid in " + pidFile + " after SIGHUP to " + old, log);
                long handoff = millisSince(hup);
                current = readPid(pidFile);
                learnedPids.add(current);
                assertNotEquals(old, current);
                waitForExit(old, 30_000, log);
                long exited = millisSince(hup);
                String took = "Took over from parent pid " + old + " as generation " + generation;
                waitFor(() -> Files.readString(log).contains(took), 10_000, "'" + took + "' in the log", log);
                System.out.printf("SIGHUP to pid %d: pid %d (generation %d) took over after %d ms; old pid exited after %d ms; %d requests meanwhile%n",
                    old, current, generation, handoff, exited, load.succeeded() - before);
                ConfigTesting.sleep(1000);
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println("load: " + summary);
            assertEquals(0, summary.failed(), "failed requests: " + summary);
            assertEquals(0, summary.idleResets(), "idle connections reset instead of closed: " + summary);
            assertTrue(summary.ok() > 100, "too few requests to mean anything: " + summary);
        }
    }

    /** Lays out the base and returns the command start.jar would run in-process (properties to be added). */
    private static List<String> layOutJettyBase(Path base) throws IOException
    {
        Path config = ConfigTesting.configDir();
        // "Unpack the config artifact": its modules/ and etc/.
        copyTree(config, base);
        Files.copy(ConfigTesting.testServerXml(), base.resolve("etc/jetty-test-server.xml"));

        Map<String, Path> classpath = new HashMap<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator))
            classpath.put(Path.of(entry).getFileName().toString(), Path.of(entry));

        // What $JETTY_HOME/lib gives the server module (and logging): here from the test classpath.
        Files.createDirectories(base.resolve("lib"));
        for (Map.Entry<String, Path> jar : classpath.entrySet())
        {
            for (String prefix : SERVER_JARS)
            {
                if (jar.getKey().startsWith(prefix) && jar.getKey().endsWith(".jar"))
                    Files.copy(jar.getValue(), base.resolve("lib").resolve(jar.getKey()));
            }
        }

        // What the graceful-http module's [files] downloads: here copied from the local build instead.
        Map<String, List<String>> http = ConfigTesting.readModule(base.resolve("modules/graceful-http.mod"));
        Map<String, List<String>> restart = ConfigTesting.readModule(base.resolve("modules/graceful-restart.mod"));
        for (String file : http.get("files"))
        {
            Path target = base.resolve(file.substring(file.indexOf('|') + 1));
            Files.createDirectories(target.getParent());
            String name = target.getFileName().toString();
            if (name.startsWith("jetty-graceful-connector-"))
                connectorJar(classpath, target);
            else if (classpath.containsKey(name))
                Files.copy(classpath.get(name), target);
            else
                fail(file + ": no " + name + " on the test classpath, whose jars are " + classpath.keySet());
        }

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cp = new ArrayList<>(List.of("lib/*"));
        for (Map<String, List<String>> module : List.of(http, restart))
        {
            for (String lib : module.getOrDefault("lib", List.of()))
                cp.add(lib.endsWith("*.jar") ? lib.substring(0, lib.length() - 4) : lib);
        }
        command.add("-cp");
        command.add(String.join(File.pathSeparator, cp));
        command.add("org.eclipse.jetty.xml.XmlConfiguration");
        command.add("etc/jetty-test-server.xml");
        for (Map<String, List<String>> module : List.of(http, restart))
            command.addAll(module.getOrDefault("xml", List.of()));
        return command;
    }

    /** The connector's jar: the reactor's, or (in a `test` run, before `package`) its classes jarred here. */
    private static void connectorJar(Map<String, Path> classpath, Path target) throws IOException
    {
        for (Path entry : classpath.values())
        {
            String path = entry.toString();
            if (path.endsWith(".jar") && entry.getFileName().toString().startsWith("jetty-graceful-connector-") && !path.endsWith("-tests.jar"))
            {
                Files.copy(entry, target);
                return;
            }
            if (Files.isDirectory(entry) && path.contains("jetty-graceful-connector") && entry.endsWith(Path.of("target", "classes")))
            {
                try (OutputStream out = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(out); Stream<Path> files = Files.walk(entry))
                {
                    for (Path file : files.filter(Files::isRegularFile).toList())
                    {
                        jar.putNextEntry(new JarEntry(entry.relativize(file).toString().replace(File.separatorChar, '/')));
                        Files.copy(file, jar);
                        jar.closeEntry();
                    }
                }
                return;
            }
        }
        fail("jetty-graceful-connector is not on the test classpath");
    }

    private static void copyTree(Path from, Path to) throws IOException
    {
        try (Stream<Path> files = Files.walk(from))
        {
            for (Path file : files.toList())
            {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file))
                    Files.createDirectories(target);
                else
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static int readPid(Path pidFile)
    {
        try
        {
            return Integer.parseInt(Files.readString(pidFile).trim());
        }
        catch (IOException | NumberFormatException x)
        {
            return -1;
        }
    }

    private void waitForExit(int pid, long millis, Path log) throws Exception
    {
        if (first != null && pid == first.pid())
        {
            if (!first.waitFor(millis, TimeUnit.MILLISECONDS))
                fail("pid " + pid + " did not exit after the handoff\n" + Files.readString(log));
            return;
        }
        waitFor(() -> Subreaper.reap(pid) != Subreaper.Reaped.RUNNING, millis, "pid " + pid + " to exit", log);
    }

    private static long millisSince(long nanos)
    {
        return (System.nanoTime() - nanos) / 1_000_000L;
    }

    @FunctionalInterface
    private interface Check
    {
        boolean test() throws Exception;
    }

    private static void waitFor(Check check, long millis, String what, Path log) throws Exception
    {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (check.test())
                return;
            Thread.sleep(20);
        }
        fail("timed out after " + millis + " ms waiting for " + what + "\n--- " + log + " ---\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
    }
}
