package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A minimal Debian root file system with systemd, built once per suite with debootstrap and cached outside the
 * checkout, under {@code /var/tmp/jetty-graceful-rootfs/SUITE} (system property {@code it.systemd.rootfs} moves the
 * cache).
 *
 * <p>A build goes into {@code .SUITE.partial-*} next to the cache and is renamed to {@code SUITE} only when complete, so
 * an interrupted build is never reused (the next build deletes its leftovers). {@code SUITE.lock} serializes builds of
 * one suite between JVMs; the same lock is held by a booted {@link SystemdContainer} for its whole life, because a
 * container changes the shared tree (unit files, {@code /usr/bin/java}).</p>
 */
public final class DebianRootfs
{
    /** bookworm: systemd 252; trixie: systemd 257. */
    public enum Suite
    {
        BOOKWORM("bookworm", 252),
        TRIXIE("trixie", 257);

        public final String codename;
        public final int systemd;

        Suite(String codename, int systemd)
        {
            this.codename = codename;
            this.systemd = systemd;
        }

        @Override
        public String toString()
        {
            return codename + "/systemd-" + systemd;
        }
    }

    private static final Path CACHE = Path.of(System.getProperty("it.systemd.rootfs", "/var/tmp/jetty-graceful-rootfs"));
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    private static final String PACKAGES = "systemd,systemd-sysv,dbus,procps";

    private DebianRootfs()
    {
    }

    /** @return the lock file that guards {@code suite}'s tree (builds and booted containers) */
    static Path lockFile(Suite suite)
    {
        return CACHE.resolve(suite.codename + ".lock");
    }

    /**
     * Returns the cached tree of {@code suite}, building it first when there is none. The caller must hold
     * {@link #lockFile}'s lock.
     */
    static Path ensureLocked(Suite suite)
    {
        Path root = CACHE.resolve(suite.codename);
        if (Files.isDirectory(root.resolve("usr/lib/systemd")))
            return openToEveryone(root);
        Tools.require("debootstrap", "debootstrap");
        long start = System.nanoTime();
        try
        {
            deleteLeftovers(suite);
            Path partial = Files.createTempDirectory(CACHE, "." + suite.codename + ".partial-");
            String mirror = mirror();
            System.out.println("[systemd] building the " + suite + " rootfs with debootstrap from " + mirror + " into " + partial +
                " (once; cached in " + CACHE + ")");
            Path log = CACHE.resolve(suite.codename + ".debootstrap.log");
            Tools.run(BUILD_TIMEOUT, log, "debootstrap", "--variant=minbase", "--include=" + PACKAGES, suite.codename, partial.toString(), mirror);
            Tools.run(Duration.ofMinutes(1), log, "chroot", partial.toString(), "apt-get", "clean");
            deleteTree(partial.resolve("var/lib/apt/lists"));
            Files.createDirectories(partial.resolve("var/lib/apt/lists/partial"));
            openToEveryone(partial);
            Files.move(partial, root, StandardCopyOption.ATOMIC_MOVE);
            System.out.println("[systemd] built the " + suite + " rootfs in " + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s");
            return root;
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot build the " + suite + " rootfs under " + CACHE, x);
        }
    }

    /**
     * Gives the tree's root directory the mode of a real {@code /}, 755. {@code createTempDirectory} made it 700, under
     * which no service but root's can start (exit 200/CHDIR: the units run the JVM as a user of their own) and dbus fails.
     * Trees cached before this was done are fixed here too.
     */
    private static Path openToEveryone(Path root)
    {
        try
        {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x");
            if (!Files.getPosixFilePermissions(root).equals(mode))
                Files.setPosixFilePermissions(root, mode);
            return root;
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot make " + root + " readable by every user, as / is", x);
        }
    }

    /** Takes {@code suite}'s lock, waiting for another JVM that holds it; close the returned lock to release it. */
    static FileLock lock(Suite suite)
    {
        try
        {
            Files.createDirectories(CACHE);
            FileChannel channel = FileChannel.open(lockFile(suite), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null)
            {
                System.out.println("[systemd] waiting for " + lockFile(suite) + ": another JVM builds or boots the " + suite + " rootfs");
                lock = channel.lock();
            }
            return lock;
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot lock " + lockFile(suite), x);
        }
    }

    private static void deleteLeftovers(Suite suite) throws IOException
    {
        try (Stream<Path> entries = Files.list(CACHE))
        {
            for (Path leftover : entries.filter(p -> p.getFileName().toString().startsWith("." + suite.codename + ".partial-")).toList())
            {
                System.out.println("[systemd] deleting " + leftover + ", left by an interrupted build");
                deleteTree(leftover);
            }
        }
    }

    /**
     * The first Debian mirror this machine uses: {@code URIs:} in /etc/apt/sources.list.d/debian.sources, else the first
     * {@code deb} line of /etc/apt/sources.list, else deb.debian.org (system property {@code it.systemd.mirror} wins).
     */
    static String mirror()
    {
        String property = System.getProperty("it.systemd.mirror");
        if (property != null && !property.isBlank())
            return property;
        return firstMatch(Path.of("/etc/apt/sources.list.d/debian.sources"), Pattern.compile("(?m)^URIs:\\s*(\\S+)"))
            .or(() -> firstMatch(Path.of("/etc/apt/sources.list"), Pattern.compile("(?m)^deb\\s+(?:\\[[^]]*]\\s+)?(\\S+)")))
            .orElse("http://deb.debian.org/debian");
    }

    private static Optional<String> firstMatch(Path file, Pattern pattern)
    {
        try
        {
            if (!Files.isRegularFile(file))
                return Optional.empty();
            Matcher matcher = pattern.matcher(Files.readString(file));
            return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
        }
        catch (IOException x)
        {
            return Optional.empty();
        }
    }

    /** Deletes {@code dir} and everything below it, not following symbolic links. */
    static void deleteTree(Path dir) throws IOException
    {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            return;
        try (Stream<Path> walk = Files.walk(dir))
        {
            List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path path : paths)
                Files.deleteIfExists(path);
        }
    }
}
