package io.jettygraceful.it.config;

import io.jettygraceful.it.Subreaper;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A $JETTY_BASE laid out as docs/jetty-configuration.md says (the config artifact unpacked: modules/ and etc/; the
 * jars that graceful-http's [files] names copied into lib/graceful/ from this build), run as a real JVM the way
 * start.jar runs Jetty in-process: {@code java -cp} with the modules' [lib], Jetty's {@code XmlConfiguration} main,
 * the properties, then the [xml] files in module order (the server's stand-in, graceful-http's, then whatever a test
 * adds, graceful-restart's). start.jar itself and jetty-home cannot be fetched on these machines.
 *
 * <p>Processes: {@link #start} starts the first JVM (optionally behind a launcher such as {@code nohup}); the
 * replacements it spawns are learned from the PID file ({@code graceful.pid} in the base). The test JVM must be a
 * subreaper ({@link Subreaper#enable()}), so that replacements whose parent exited become its children. {@link #close()}
 * stops and reaps all of them, newest first, and any other child of the test JVM whose working directory is the base.</p>
 */
final class JettyBase implements AutoCloseable
{
    /** What $JETTY_HOME/lib gives the server module (and logging), copied from the test classpath. */
    private static final String[] SERVER_JARS = {"jetty-server-", "jetty-http-", "jetty-io-", "jetty-util-", "jetty-xml-", "slf4j-api-", "slf4j-simple-"};
    /** What $JETTY_HOME/lib/http2 gives the http2c module. */
    private static final String[] HTTP2_JARS = {"jetty-http2-server-", "jetty-http2-common-", "jetty-http2-hpack-"};

    private final Path dir;
    private final Path log;
    private final Path pidFile;
    private final List<String> xmls = new ArrayList<>();
    private final List<String> properties = new ArrayList<>();
    private final List<Integer> pids = new ArrayList<>();
    private Process launched;
    private Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    /** Lays out a new base under target/ named {@code name-<time>}. */
    JettyBase(String name) throws IOException
    {
        dir = Path.of("target", name + "-" + System.nanoTime()).toAbsolutePath();
        log = dir.resolve("jetty.log");
        pidFile = dir.resolve("graceful.pid");
        layOut();
    }

    Path dir()
    {
        return dir;
    }

    Path log()
    {
        return log;
    }

    /** Runs the base on this {@code java} (default: the test JVM's). */
    JettyBase java(Path java)
    {
        this.java = java;
        return this;
    }

    /** Adds a property ({@code name=value}) to the command line. */
    JettyBase property(String name, String value)
    {
        properties.add(name + "=" + value);
        return this;
    }

    /**
     * Copies a stand-in for a jetty-home XML file (from the test resources' {@code jetty-home/etc/}) into etc/ and
     * applies it after graceful-http's XML, as start.jar applies a module that depends on http.
     */
    JettyBase jettyHomeXml(String fileName) throws IOException
    {
        Files.copy(ConfigTesting.jettyHomeEtc().resolve(fileName), dir.resolve("etc").resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
        xmls.add("etc/" + fileName);
        return this;
    }

    /** Serves {@link EchoHandler} for every request (jarred into lib/ext/ from the test classes). */
    JettyBase echoHandler() throws IOException
    {
        Path classes = Path.of(EchoHandler.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        String entry = EchoHandler.class.getName().replace('.', '/') + ".class";
        Files.createDirectories(dir.resolve("lib/ext"));
        try (OutputStream out = Files.newOutputStream(dir.resolve("lib/ext/echo-handler.jar")); JarOutputStream jar = new JarOutputStream(out))
        {
            jar.putNextEntry(new JarEntry(entry));
            Files.copy(classes.resolve(entry), jar);
            jar.closeEntry();
        }
        Files.writeString(dir.resolve("etc/jetty-test-echo.xml"), """
            <?xml version="1.0"?>
            <!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://jetty.org/configure_10_0.dtd">
            <Configure id="Server" class="org.eclipse.jetty.server.Server">
              <Set name="defaultHandler"><New class="%s"/></Set>
            </Configure>
            """.formatted(EchoHandler.class.getName()));
        xmls.add("etc/jetty-test-echo.xml");
        return this;
    }

    /** @return the JVM's command line, as start.jar would run it in-process */
    List<String> command() throws IOException
    {
        Map<String, List<String>> http = ConfigTesting.readModule(dir.resolve("modules/graceful-http.mod"));
        Map<String, List<String>> restart = ConfigTesting.readModule(dir.resolve("modules/graceful-restart.mod"));
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        List<String> cp = new ArrayList<>(List.of("lib/*", "lib/http2/*", "lib/ext/*"));
        for (Map<String, List<String>> module : List.of(http, restart))
        {
            for (String lib : module.getOrDefault("lib", List.of()))
                cp.add(lib.endsWith("*.jar") ? lib.substring(0, lib.length() - 4) : lib);
        }
        command.add("-cp");
        command.add(String.join(File.pathSeparator, cp));
        command.add("org.eclipse.jetty.xml.XmlConfiguration");
        command.addAll(properties);
        command.add("jetty.graceful.restart.pidFile=graceful.pid");
        command.add("etc/jetty-test-server.xml");
        command.addAll(http.getOrDefault("xml", List.of()));
        command.addAll(xmls);
        command.addAll(restart.getOrDefault("xml", List.of()));
        return command;
    }

    /**
     * Starts generation 1 in the base directory, stdin from /dev/null, stdout and stderr appended to {@link #log()},
     * and waits until it serves (its pid in the PID file).
     *
     * @param launcher words before the command, e.g. {@code nohup}; a launcher that runs the JVM in the background and
     *                 exits leaves it to the subreaper (this JVM), and its pid is learned from the PID file
     * @return the pid of generation 1
     */
    int start(List<String> launcher) throws Exception
    {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(command());
        System.out.println("jetty base " + dir + ": " + String.join(" ", command));
        launched = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        pids.add((int)launched.pid());
        waitFor(() -> readPid() > 0 && isAlive(readPid()), 90_000, "a serving pid in " + pidFile);
        int pid = readPid();
        if (!pids.contains(pid))
            pids.add(pid);
        return pid;
    }

    /**
     * Sends {@code signal} to the serving pid {@code old} and waits until another pid serves (the PID file) and
     * {@code old} has exited. The bounds are generous (90 s, within the default ready timeout of 60 s plus the drain)
     * because a JVM start takes 10 s and more on a 2-core machine under other builds' load; they are no speed test.
     *
     * @return the new pid
     */
    int restart(int old, int signal) throws Exception
    {
        if (!Subreaper.signal(old, signal))
            fail("pid " + old + " is gone\n" + logText());
        waitFor(() -> readPid() > 0 && readPid() != old, 90_000, "a new pid in " + pidFile + " after signal " + signal + " to " + old);
        int current = readPid();
        pids.add(current);
        waitForExit(old, 60_000);
        return current;
    }

    int readPid()
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

    static boolean isAlive(int pid)
    {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !isZombie(pid);
    }

    private static boolean isZombie(int pid)
    {
        try
        {
            return Files.readString(Path.of("/proc", String.valueOf(pid), "status")).contains("\nState:\tZ");
        }
        catch (IOException gone)
        {
            return false;
        }
    }

    /** Waits for {@code pid} (a process of this base) to exit, and reaps it. */
    void waitForExit(int pid, long millis) throws Exception
    {
        if (launched != null && pid == launched.pid())
        {
            if (!launched.waitFor(millis, TimeUnit.MILLISECONDS))
                fail("pid " + pid + " did not exit\n" + logText());
            return;
        }
        waitFor(() -> Subreaper.reap(pid) != Subreaper.Reaped.RUNNING, millis, "pid " + pid + " to exit");
    }

    String logText() throws IOException
    {
        return "--- " + log + " ---\n" + (Files.exists(log) ? Files.readString(log) : "(none)");
    }

    @FunctionalInterface
    interface Check
    {
        boolean test() throws Exception;
    }

    void waitFor(Check check, long millis, String what) throws Exception
    {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (check.test())
                return;
            Thread.sleep(20);
        }
        fail("timed out after " + millis + " ms waiting for " + what + "\n" + logText());
    }

    /** Stops and reaps every process of this base: the learned pids newest first, the launched one, then strays. */
    @Override
    public void close() throws Exception
    {
        for (int i = pids.size() - 1; i >= 0; i--)
        {
            if (launched == null || pids.get(i) != launched.pid())
                ConfigTesting.stopAndReap(pids.get(i), 3000);
        }
        if (launched != null && launched.isAlive())
        {
            launched.destroy();
            if (!launched.waitFor(5, TimeUnit.SECONDS))
                launched.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        // Any other process of this base that ended up our child (a replacement we never heard of).
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
            if (cwd.equals(dir))
                ConfigTesting.stopAndReap((int)child.pid(), 3000);
        }
    }

    // ---- layout ----------------------------------------------------------------------------------------------------

    private void layOut() throws IOException
    {
        // "Unpack the config artifact": its modules/ and etc/.
        copyTree(ConfigTesting.configDir(), dir);
        Files.copy(ConfigTesting.testServerXml(), dir.resolve("etc/jetty-test-server.xml"));

        Map<String, Path> classpath = new HashMap<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator))
            classpath.put(Path.of(entry).getFileName().toString(), Path.of(entry));

        copyJars(classpath, SERVER_JARS, dir.resolve("lib"));
        copyJars(classpath, HTTP2_JARS, dir.resolve("lib/http2"));

        // What the graceful-http module's [files] downloads: here copied from the local build instead.
        for (String file : ConfigTesting.readModule(dir.resolve("modules/graceful-http.mod")).get("files"))
        {
            Path target = dir.resolve(file.substring(file.indexOf('|') + 1));
            Files.createDirectories(target.getParent());
            String name = target.getFileName().toString();
            if (name.startsWith("jetty-graceful-connector-"))
                connectorJar(classpath, target);
            else if (classpath.containsKey(name))
                Files.copy(classpath.get(name), target);
            else
                fail(file + ": no " + name + " on the test classpath, whose jars are " + classpath.keySet());
        }
    }

    private static void copyJars(Map<String, Path> classpath, String[] prefixes, Path to) throws IOException
    {
        Files.createDirectories(to);
        for (Map.Entry<String, Path> jar : classpath.entrySet())
        {
            for (String prefix : prefixes)
            {
                if (jar.getKey().startsWith(prefix) && jar.getKey().endsWith(".jar"))
                    Files.copy(jar.getValue(), to.resolve(jar.getKey()));
            }
        }
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
}
