package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.systemd.DebianRootfs.Suite;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real systemd booted as PID 1 of a systemd-nspawn container on a cached {@link DebianRootfs}, the way
 * {@code /work/shared/systemd-nspawn.md} measured it: its own cgroup in every hierarchy, {@code --register=no
 * --keep-unit -b --console=read-only}, the host's network, the host's JDKs ({@code /usr/lib/jvm},
 * {@code /etc/java-17-openjdk}) read-only, and an application directory read-only at {@code /opt/app}.
 * {@code /usr/bin/java} inside points at the JDK under test.
 *
 * <p>Commands run inside through {@code nsenter -t LEADER -m -u -i -p -C} ({@link #exec}, {@link #systemctl},
 * {@link #journal}); pids they print are pids of the container's namespace.</p>
 *
 * <p>Lifetime: {@link #boot} holds the rootfs lock until {@link #close}, which always stops the container (SIGTERM to
 * systemd-nspawn, which powers the container off; SIGKILL to its PID 1 when that takes too long), removes the cgroup
 * directories and releases the lock. A JVM shutdown hook closes whatever a test left booted.</p>
 */
public final class SystemdContainer implements AutoCloseable
{
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POWEROFF_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Set<SystemdContainer> BOOTED = ConcurrentHashMap.newKeySet();
    private static final Thread LAST_RESORT = new Thread(() -> BOOTED.forEach(SystemdContainer::close), "systemd-container-teardown");

    static
    {
        Runtime.getRuntime().addShutdownHook(LAST_RESORT);
    }

    private final Suite suite;
    private final String name;
    private final Path root;
    private final Path consoleLog;
    private final FileLock lock;
    private final List<Path> cgroups;
    private Process nspawn;
    private long leader;
    private boolean closed;

    private SystemdContainer(Suite suite, String name, Path root, Path consoleLog, FileLock lock, List<Path> cgroups)
    {
        this.suite = suite;
        this.name = name;
        this.root = root;
        this.consoleLog = consoleLog;
        this.lock = lock;
        this.cgroups = cgroups;
    }

    /**
     * Boots {@code suite}'s rootfs (building it first if it is not cached) with {@code java} (a JDK's bin/java on this
     * host) as {@code /usr/bin/java} and {@code appDir} as {@code /opt/app}; returns once {@code systemctl
     * is-system-running} says running or degraded. The console goes to {@code logDir/NAME.console.log}.
     */
    public static SystemdContainer boot(Suite suite, Path java, Path appDir, Path logDir)
    {
        Tools.require("systemd-nspawn", "systemd-container");
        Tools.require("nsenter", "util-linux");
        String name = "jg-" + suite.codename + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        FileLock lock = DebianRootfs.lock(suite);
        SystemdContainer container = null;
        try
        {
            Path root = DebianRootfs.ensureLocked(suite);
            endOrphans(suite);
            Files.createDirectories(logDir);
            container = new SystemdContainer(suite, name, root, logDir.resolve(name + ".console.log"), lock, cgroupDirs(name));
            BOOTED.add(container);
            container.start(java.toRealPath(), appDir.toAbsolutePath());
            return container;
        }
        catch (IOException x)
        {
            closeOrRelease(container, lock);
            throw new UncheckedIOException("cannot boot " + suite + " as " + name, x);
        }
        catch (RuntimeException | Error x)
        {
            closeOrRelease(container, lock);
            throw x;
        }
    }

    private static void closeOrRelease(SystemdContainer container, FileLock lock)
    {
        if (container != null)
            container.close();
        else
            release(lock);
    }

    /**
     * Ends containers of {@code suite} whose test JVM died without closing them (killed, so no shutdown hook ran): their
     * cgroup directories are named after that JVM's pid. Every process in such a cgroup is one of the container's
     * (systemd-nspawn and what runs inside), started by a test. Called with the rootfs lock held.
     */
    private static void endOrphans(Suite suite)
    {
        String prefix = "jg-" + suite.codename + "-";
        for (Path hierarchy : cgroupDirs("x").stream().map(Path::getParent).toList())
        {
            try (Stream<Path> entries = Files.list(hierarchy))
            {
                for (Path cgroup : entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList())
                {
                    String[] parts = cgroup.getFileName().toString().split("-");
                    long owner = parts.length == 4 && parts[2].matches("\\d+") ? Long.parseLong(parts[2]) : -1;
                    if (owner == ProcessHandle.current().pid() || ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false))
                        continue;
                    System.err.println("[systemd] ending " + cgroup + ": a container left booted by test JVM " + owner + ", which is gone");
                    for (long pid : pidsIn(cgroup))
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    removeCgroup(cgroup, cgroup.getFileName().toString());
                }
            }
            catch (IOException x)
            {
                System.err.println("[systemd] cannot look for containers left booted in " + hierarchy + ": " + x);
            }
        }
    }

    private static List<Long> pidsIn(Path cgroup) throws IOException
    {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(cgroup))
        {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList())
            {
                for (String line : Files.readAllLines(procs))
                {
                    if (!line.isBlank())
                        pids.add(Long.parseLong(line.trim()));
                }
            }
        }
        return pids;
    }

    private void start(Path java, Path appDir) throws IOException
    {
        long started = System.nanoTime();
        prepareTree(java);
        List<String> command = new ArrayList<>(List.of("sh", "-c",
            "for procs in \"$@\"; do case $procs in --) break;; esac; echo $$ > \"$procs\" || exit 125; done; " +
                "while [ \"$1\" != -- ]; do shift; done; shift; exec \"$@\"", "sh"));
        for (Path cgroup : cgroups)
        {
            Files.createDirectories(cgroup);
            command.add(cgroup.resolve("cgroup.procs").toString());
        }
        command.add("--");
        command.addAll(List.of("systemd-nspawn", "-q", "-D", root.toString(), "-M", name, "--register=no", "--keep-unit", "-b",
            "--console=read-only", "--bind-ro=/usr/lib/jvm",
            // A real PID 1 may raise a service's limits (the units' LimitNICE=). Without CAP_SYS_RESOURCE systemd silently
            // keeps the lower limit: measured here, where the machine's own bounding set lacks it (RLIMIT_NICE stayed 0).
            "--capability=CAP_SYS_RESOURCE"));
        if (Files.isDirectory(Path.of("/etc/java-17-openjdk")))
            command.add("--bind-ro=/etc/java-17-openjdk");
        Path javaHome = java.getParent().getParent();
        if (!javaHome.startsWith("/usr/lib/jvm"))
            command.add("--bind-ro=" + javaHome);
        command.add("--bind-ro=" + appDir + ":/opt/app");
        nspawn = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(consoleLog.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        leader = awaitLeader();
        awaitRunning();
        System.out.println("[systemd] " + name + " (" + suite + ", java " + java + ") booted in " +
            Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms, leader pid " + leader);
    }

    /** Resets what earlier containers changed in the shared tree: test units, old journals; points /usr/bin/java. */
    private void prepareTree(Path java) throws IOException
    {
        Path units = root.resolve("etc/systemd/system");
        try (Stream<Path> files = Files.list(units))
        {
            for (Path unit : files.filter(p -> p.getFileName().toString().startsWith(UnitFiles.PREFIX)).toList())
                DebianRootfs.deleteTree(unit); // a unit, or a unit's drop-in directory

        }
        Path journal = root.resolve("var/log/journal");
        if (Files.isDirectory(journal))
        {
            try (Stream<Path> machines = Files.list(journal))
            {
                for (Path dir : machines.toList())
                    DebianRootfs.deleteTree(dir);
            }
        }
        Path usrBinJava = root.resolve("usr/bin/java");
        Files.deleteIfExists(usrBinJava);
        Files.createSymbolicLink(usrBinJava, java);
    }

    /** This host's cgroup hierarchies: hybrid (name=systemd v1 plus cgroup2 at unified/), pure cgroup2, or v1 only. */
    private static List<Path> cgroupDirs(String name)
    {
        Path base = Path.of("/sys/fs/cgroup");
        if (Files.isDirectory(base.resolve("unified")) && Files.isDirectory(base.resolve("systemd")))
            return List.of(base.resolve("systemd").resolve(name), base.resolve("unified").resolve(name));
        if (Files.exists(base.resolve("cgroup.controllers")))
            return List.of(base.resolve(name));
        if (Files.isDirectory(base.resolve("systemd")))
            return List.of(base.resolve("systemd").resolve(name));
        return fail("no cgroup hierarchy found under /sys/fs/cgroup (neither cgroup2 nor name=systemd): systemd-nspawn cannot " +
            "boot a container here. Fix: run the tests on a Linux host (or a privileged container) with /sys/fs/cgroup mounted");
    }

    /** The container's PID 1: the child of systemd-nspawn whose pid in its own namespace is 1. */
    private long awaitLeader()
    {
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline)
        {
            if (!nspawn.isAlive())
                failBoot("systemd-nspawn exited " + nspawn.exitValue() + " before the container started");
            for (long child : Procs.childrenOf(nspawn.pid()))
            {
                if (isNamespaceInit(child))
                    return child;
            }
            Restarts.pause(Duration.ofMillis(20));
        }
        return failBoot("no container PID 1 below systemd-nspawn (pid " + nspawn.pid() + ") within " + BOOT_TIMEOUT.toSeconds() + " s");
    }

    private static boolean isNamespaceInit(long pid)
    {
        try
        {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(line -> line.startsWith("NSpid:"))
                .anyMatch(line -> line.trim().endsWith("\t1") || line.trim().endsWith(" 1"));
        }
        catch (IOException x)
        {
            return false;
        }
    }

    private void awaitRunning()
    {
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        String state = "";
        while (System.nanoTime() < deadline)
        {
            if (!nspawn.isAlive())
                failBoot("systemd-nspawn exited " + nspawn.exitValue() + " while the container booted");
            state = exec(Duration.ofSeconds(10), "systemctl", "is-system-running").stdout().strip();
            if (state.equals("running") || state.equals("degraded"))
                return;
            Restarts.pause(Duration.ofMillis(50));
        }
        failBoot("systemctl is-system-running still says '" + state + "' after " + BOOT_TIMEOUT.toSeconds() + " s");
    }

    private <T> T failBoot(String problem)
    {
        return fail("cannot boot a systemd container (" + suite + ", " + name + "): " + problem + ". Console (" + consoleLog + "):\n" +
            tail(consoleLog, 30) + "\nThese tests need root, systemd-nspawn (apt-get install -y --no-install-recommends systemd-container " +
            "debootstrap; .ci/run does this) and a writable /sys/fs/cgroup.");
    }

    public Suite suite()
    {
        return suite;
    }

    public String name()
    {
        return name;
    }

    /** @return the container's root directory on the host (for unit files: {@code etc/systemd/system}) */
    public Path root()
    {
        return root;
    }

    /** Runs {@code command} inside the container's namespaces; @return its outcome, whatever the exit code. */
    public Tools.Result exec(Duration timeout, String... command)
    {
        if (isClosed())
            throw new IllegalStateException(this + " is powered off: its leader pid " + leader + " may be another process's by now");
        List<String> full = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(leader), "-m", "-u", "-i", "-p", "-C"));
        full.addAll(List.of(command));
        return Tools.capture(timeout, full);
    }

    /** {@code systemctl ARGS} inside; @return its outcome (callers assert on the exit code) */
    public Tools.Result systemctl(String... args)
    {
        String[] command = new String[args.length + 1];
        command[0] = "systemctl";
        System.arraycopy(args, 0, command, 1, args.length);
        return exec(COMMAND_TIMEOUT, command);
    }

    /** {@code systemctl ARGS}, failing the test unless it exits 0. */
    public String systemctlOk(String... args)
    {
        Tools.Result result = systemctl(args);
        if (!result.ok())
            fail(result.toString());
        return result.stdout();
    }

    /** @return {@code systemctl show -p PROPERTY --value UNIT} */
    public String property(String unit, String property)
    {
        return systemctlOk("show", "-p", property, "--value", unit).strip();
    }

    /** @return this boot's journal of {@code units} ({@code journalctl -b -u UNIT...}), flushed first */
    public String journal(String... units)
    {
        List<String> command = new ArrayList<>(List.of("journalctl", "-b", "--no-pager", "-o", "short-monotonic"));
        for (String unit : units)
            command.addAll(List.of("-u", unit));
        return exec(COMMAND_TIMEOUT, command.toArray(String[]::new)).stdout();
    }

    /** Writes {@code files} (name to content) into /etc/systemd/system and runs {@code systemctl daemon-reload}. */
    public void install(Map<String, String> files)
    {
        try
        {
            for (Map.Entry<String, String> file : files.entrySet())
            {
                Path target = root.resolve("etc/systemd/system").resolve(file.getKey());
                Files.createDirectories(target.getParent()); // a drop-in: app.service.d/NAME.conf
                Files.writeString(target, file.getValue());
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot install units " + files.keySet() + " into " + root, x);
        }
        systemctlOk("daemon-reload");
    }

    /** @return the last {@code lines} lines of the console log */
    public String consoleTail(int lines)
    {
        return tail(consoleLog, lines);
    }

    private static String tail(Path file, int lines)
    {
        try
        {
            List<String> all = Files.readAllLines(file).stream().map(String::strip).filter(line -> !line.isEmpty()).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (IOException x)
        {
            return "(no " + file + ": " + x.getMessage() + ")";
        }
    }

    public synchronized boolean isClosed()
    {
        return closed;
    }

    /** Powers the container off (SIGTERM to systemd-nspawn; SIGKILL to its PID 1 after 20 s), removes its cgroups, unlocks the rootfs. */
    @Override
    public synchronized void close()
    {
        if (closed)
            return;
        closed = true;
        try
        {
            if (nspawn != null)
            {
                long start = System.nanoTime();
                powerOff();
                System.out.println("[systemd] " + name + " powered off in " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
            }
            for (Path cgroup : cgroups)
                removeCgroup(cgroup, name);
        }
        finally
        {
            release(lock);
            BOOTED.remove(this);
        }
    }

    private void powerOff()
    {
        try
        {
            nspawn.destroy();
            if (nspawn.waitFor(POWEROFF_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                return;
            System.err.println("[systemd] " + name + " did not power off within " + POWEROFF_TIMEOUT.toSeconds() + " s of SIGTERM: SIGKILL to its PID 1 " + leader);
            if (leader > 0)
                ProcessHandle.of(leader).ifPresent(ProcessHandle::destroyForcibly);
            nspawn.destroyForcibly();
            nspawn.waitFor(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            nspawn.destroyForcibly();
        }
    }

    /** cgroupfs directories go with rmdir only, deepest first; processes still exiting keep them busy for a moment. */
    private static void removeCgroup(Path cgroup, String name)
    {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Files.isDirectory(cgroup))
        {
            try (Stream<Path> walk = Files.walk(cgroup))
            {
                for (Path dir : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList())
                    Files.deleteIfExists(dir);
            }
            catch (IOException x)
            {
                if (System.nanoTime() > deadline)
                {
                    System.err.println("[systemd] cannot remove cgroup " + cgroup + " of " + name + ": " + x);
                    return;
                }
                Restarts.pause(Duration.ofMillis(100));
            }
        }
    }

    private static void release(FileLock lock)
    {
        try
        {
            lock.channel().close();
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }

    @Override
    public String toString()
    {
        return name + " (" + suite + ")";
    }
}
