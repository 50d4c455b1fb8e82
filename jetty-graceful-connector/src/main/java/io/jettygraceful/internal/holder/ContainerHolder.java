package io.jettygraceful.internal.holder;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.internal.inherit.InheritedEnvironment;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first process of a container, when it must not exit: PID 1 of its PID namespace (whose exit makes the kernel
 * kill every process in it, the replacement included), or the only child of tini or dumb-init (which exit when it
 * does). It hands over as usual and drains; then, instead of exiting, it holds the container:
 * <ul>
 *   <li>from the handoff on, SIGTERM, SIGINT and SIGHUP sent to it are forwarded to the process that serves now
 *       ({@link SignalForwarder}): {@code docker stop} stops the service, {@code docker kill -s HUP} restarts it;</li>
 *   <li>once drained, it execs a small JVM ({@link HolderMain}: same pid, same children, 8 MB heap) that reaps every
 *       orphan and exits with the serving process's status when that one ends ({@link HolderLoop}); when it cannot
 *       (the library is not a plain jar on the class path, the small JVM fails its pre-flight), the drained JVM holds
 *       itself, bigger but the same. The small JVM's class path is this JVM's plus the jars of the class loader that
 *       loaded the library (start.jar's, a Maven plugin realm's), where jffi's native jar is;</li>
 *   <li>an exit the application starts on its own once its server stopped (Maven's {@code jetty:run} returns from
 *       {@code Server.join()} and exits) waits in a shutdown hook until the holder ends the process: the first
 *       process stays, also as the first {@code mvn} of jetty-maven-plugin (holder {@code always}).</li>
 * </ul>
 * Which process serves it learns over the holder channel (see {@link HandoffProtocol}): a socket pair it creates
 * once, whose other end every generation inherits and passes on. Not being PID 1, it makes itself a child subreaper,
 * so that orphaned generations become its children, not init's.
 */
public final class ContainerHolder implements HolderLink
{
    private static final Logger LOG = LoggerFactory.getLogger(ContainerHolder.class);
    /**
     * Flags of the small JVM: the smallest resident set measured (about 43 MB on JDK 17, 46 MB on JDK 25, against
     * about 100 MB for the drained example JVM) with what jnr-ffi needs. The interpreter alone is enough for a loop
     * that wakes ten times a second; the class data sharing archive keeps the JDK's classes shared. {@code -Xrs} keeps
     * SIGTERM, SIGINT and SIGHUP blocked from the exec on, for {@link HolderMain} to take with sigtimedwait.
     */
    static final List<String> HOLDER_JVM_OPTIONS = List.of("-Xrs", "-Xmx8m", "-Xms2m", "-Xss256k", "-XX:+UseSerialGC", "-Xint",
        "-XX:ReservedCodeCacheSize=8m", "-XX:-UsePerfData", "-Xshare:auto", "-Djffi.unsafe.disabled=true");
    private static final Set<String> DROPPED_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "NOTIFY_SOCKET",
        HandoffProtocol.LISTEN_PID, HandoffProtocol.LISTEN_FDS, HandoffProtocol.LISTEN_FDNAMES);
    private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(20);

    /** The values of {@link io.jettygraceful.GracefulRestartConfiguration#setHolder(String)}. */
    public enum Mode
    {
        AUTO, ALWAYS, NEVER;

        public static Mode parse(String value)
        {
            try
            {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            }
            catch (IllegalArgumentException | NullPointerException x)
            {
                throw new IllegalArgumentException("holder '" + value + "' is not one of auto (hold when this JVM is PID 1, the default), " +
                    "always (the JVM is the child of tini, dumb-init or docker run --init) or never");
            }
        }
    }

    private final Os os;
    private final int holderEnd;
    private final int generationsEnd;
    private final HolderLoop loop;
    private volatile SignalForwarder forwarder;
    private volatile Thread reader;
    private volatile boolean reading;
    private volatile Thread exitHook;
    private volatile boolean exiting;
    private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    /** Set by the one thread that holds: the drain's end ({@link #hold}), or the exit hook when the JVM's exit came first. */
    private final java.util.concurrent.atomic.AtomicBoolean holdBegun = new java.util.concurrent.atomic.AtomicBoolean();
    /** How long the other children may take once the serving process has ended, when the exit hook holds. */
    private volatile Duration linger = Duration.ofSeconds(30);

    private ContainerHolder(Os os, int[] pair)
    {
        this.os = os;
        this.holderEnd = pair[0];
        this.generationsEnd = pair[1];
        this.loop = new HolderLoop(os, holderEnd, os.pid(), false);
    }

    /**
     * @return the holder when this first process must stay after a handoff: {@code mode} AUTO and this JVM is PID 1,
     * or ALWAYS; {@code null} otherwise, and always in a replacement (only the first process holds)
     */
    public static ContainerHolder forFirstProcess(Os os, Mode mode, InheritedSockets registry) throws OsException
    {
        if (os == null || registry.source() == InheritedSockets.Source.HANDOFF)
            return null;
        boolean pid1 = os.pid() == 1;
        if (mode == Mode.NEVER || (mode == Mode.AUTO && !pid1))
        {
            if (pid1)
                LOG.warn("This JVM is PID 1 and holder is 'never': after a handoff it exits, and the kernel then kills the whole PID namespace, replacement included");
            return null;
        }
        int[] pair = os.socketPair();
        if (!pid1)
            os.becomeChildSubreaper();
        LOG.info("Container holder: this JVM is {}; after a handoff it stays, forwarding SIGTERM/SIGINT/SIGHUP to the serving generation, reaping orphans, " +
            "and exits with the serving generation's status", pid1 ? "PID 1 (holder=" + mode.name().toLowerCase(Locale.ROOT) + ")" : "a child subreaper (holder=always)");
        return new ContainerHolder(os, pair);
    }

    @Override
    public int passOnFd()
    {
        return generationsEnd;
    }

    @Override
    public void serving(int pid)
    {
        loop.serving(pid);
    }

    @Override
    public void ended(int pid, ExitStatus status)
    {
        loop.ended(pid, status);
    }

    /** @return whether this process has handed over and forwards signals now */
    public boolean isHolding()
    {
        return forwarder != null;
    }

    /**
     * Called once {@code servingPid} has taken over: signals go to the serving process from now on.
     *
     * @param linger how long the other children may still take once the serving process has ended (the drain timeout)
     */
    public synchronized void startHolding(int servingPid, Duration linger)
    {
        this.linger = linger;
        loop.serving(servingPid);
        if (forwarder == null)
            forwarder = SignalForwarder.install(loop::forward);
        if (exitHook == null)
        {
            // The application may end the JVM on its own once its server stopped after the drain (Maven's jetty:run
            // returns from Server.join() and exits): the holder must stay all the same, until the serving process ends.
            Thread hook = new Thread(this::awaitHold, "graceful-holder-exit");
            Runtime.getRuntime().addShutdownHook(hook);
            exitHook = hook;
        }
        reading = true;
        Thread thread = new Thread(() ->
        {
            while (reading)
                loop.readChannel(100);
        }, "graceful-holder-channel");
        thread.setDaemon(true);
        reader = thread;
        thread.start();
    }

    /** This process took its sockets back and serves again: its signals are its own again. */
    public synchronized void stopHolding()
    {
        stopReading();
        Thread hook = exitHook;
        exitHook = null;
        if (hook != null)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (IllegalStateException x)
            {
                // the JVM is already exiting: the hook waits for hold(), which ends the process
            }
        }
        if (forwarder != null)
            forwarder.restore();
        forwarder = null;
        loop.serving(os.pid());
    }

    private void stopReading()
    {
        reading = false;
        Thread thread = reader;
        reader = null;
        if (thread != null)
        {
            try
            {
                thread.join(1000);
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Holds the container until the serving process ends, then exits this JVM with its status; never returns. Call
     * once this process has drained and stopped its server.
     *
     * @param linger how long the other children may still take once the serving process has ended
     */
    public void hold(Duration linger)
    {
        if (!holdBegun.compareAndSet(false, true))
        {
            // The exit hook holds already (the application exited first, from a drained listener): it ends the process.
            awaitProcessEnd();
        }
        holdNow(linger);
    }

    /** {@link #hold}'s work, run by the one thread that won {@link #holdBegun}; never returns. */
    private void holdNow(Duration linger)
    {
        stopReading();
        List<String> command = holderCommand(linger);
        if (command == null)
            LOG.warn("Container holder: the library or jnr-ffi is not a plain local jar (class path {}): holding in this JVM instead of a small one",
                System.getProperty("java.class.path"));
        else if (preflight(command))
        {
            LOG.info("Container holder: exec {}", String.join(" ", command));
            try
            {
                os.exec(command.get(0), command, holderEnvironment(), List.of(holderEnd));
            }
            catch (OsException x)
            {
                LOG.warn("Container holder: cannot exec the small JVM ({}): holding in this JVM", x.getMessage());
            }
        }
        int status = loop.run(linger.toMillis());
        held.countDown();
        if (exiting)
            Runtime.getRuntime().halt(status); // the JVM's exit began elsewhere and waits in awaitHold: it would never run a second one
        System.exit(status);
    }

    /**
     * The shutdown hook while holding: the JVM's exit (an application that ends once its server stopped, as Maven's
     * {@code jetty:run} does) waits until {@link #hold} ends the process, by exec or by halt, with the serving
     * generation's status; it stops waiting if this process takes its sockets back.
     */
    private void awaitHold()
    {
        exiting = true;
        if (held.getCount() == 0)
            return;
        LOG.info("Container holder: this JVM was asked to exit while it holds; it stays until the serving generation (pid {}) ends", loop.servingPid());
        // The exit came before the drain's end called hold(), e.g. from a drained listener on the restart thread (Spring
        // Boot's and Dropwizard's end of a replaced process call System.exit there): that thread now waits in this very
        // exit, so hold here, or nobody would reap the serving generation and end the container with its status.
        if (isHolding() && holdBegun.compareAndSet(false, true))
            holdNow(linger); // never returns: exec, or halt with the serving generation's status
        try
        {
            // until hold() ends the process; or no longer, when this process took its sockets back (stopHolding)
            while (!held.await(200, java.util.concurrent.TimeUnit.MILLISECONDS))
            {
                if (!isHolding())
                    return;
            }
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Never returns: another thread ends the process (by exec or halt). */
    private static void awaitProcessEnd()
    {
        while (true)
        {
            try
            {
                Thread.sleep(Long.MAX_VALUE);
            }
            catch (InterruptedException x)
            {
                // keep waiting: the process ends elsewhere
            }
        }
    }

    /** Runs the small JVM once with {@code --check}: an exec that fails after the fact would end the container. */
    private boolean preflight(List<String> command)
    {
        List<String> check = new ArrayList<>(command.subList(0, command.indexOf(HolderMain.class.getName()) + 1));
        check.add("--check");
        try
        {
            int pid = os.spawn(check, holderEnvironment(), Map.of());
            long deadline = System.nanoTime() + PREFLIGHT_TIMEOUT.toNanos();
            while (true)
            {
                ExitStatus status = os.reap(pid, false);
                if (status != null)
                {
                    if (status.code() == 0)
                        return true;
                    LOG.warn("Container holder: the small JVM's pre-flight ({}) ended with {}: holding in this JVM", String.join(" ", check), status);
                    return false;
                }
                if (System.nanoTime() - deadline >= 0)
                {
                    os.signal(pid, Os.Signal.KILL);
                    os.reap(pid, true);
                    LOG.warn("Container holder: the small JVM's pre-flight did not end within {} s: holding in this JVM", PREFLIGHT_TIMEOUT.toSeconds());
                    return false;
                }
                Thread.sleep(20);
            }
        }
        catch (OsException x)
        {
            LOG.warn("Container holder: cannot run the small JVM's pre-flight ({}): holding in this JVM", x.getMessage());
            return false;
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** @return the small JVM's command line, or {@code null} when its classes are not plain files on the class path */
    private List<String> holderCommand(Duration linger)
    {
        String classPath = holderClassPath();
        if (classPath == null)
            return null;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(HOLDER_JVM_OPTIONS);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(classPath);
        command.add(HolderMain.class.getName());
        command.addAll(List.of("--channel", String.valueOf(holderEnd), "--serving", String.valueOf(loop.servingPid()), "--linger", String.valueOf(linger.toMillis())));
        ExitStatus ended = loop.servingExit();
        if (ended != null)
            command.addAll(List.of("--ended", ended.code() + ":" + ended.signal()));
        return command;
    }

    /**
     * @return this JVM's class path, plus the jar or directory of any class the small JVM needs (this library, jnr-ffi,
     * jffi) that is not on it by name (reached through a jar's {@code Class-Path} manifest entry, which {@code -cp}
     * honours too); {@code null} when one of them is not a plain local file (nested jars of a Spring Boot fat jar, a
     * custom class loader)
     */
    static String holderClassPath()
    {
        String classPath = System.getProperty("java.class.path", "");
        List<String> entries = new ArrayList<>();
        Set<Path> known = new HashSet<>();
        for (String entry : classPath.split(File.pathSeparator))
        {
            if (!entry.isEmpty() && known.add(Path.of(entry).toAbsolutePath().normalize()))
                entries.add(entry);
        }
        // Loaded by a class loader of its own (start.jar's for jetty-home, a Maven plugin's realm for jetty-maven-plugin):
        // that loader's jars too, since jffi's native library lives in a jar of its own that no class names.
        for (ClassLoader loader = HolderMain.class.getClassLoader(); loader != null && loader != ClassLoader.getSystemClassLoader(); loader = loader.getParent())
        {
            if (!(loader instanceof java.net.URLClassLoader urls))
                continue;
            for (URL url : urls.getURLs())
            {
                try
                {
                    if ("file".equals(url.getProtocol()))
                    {
                        Path path = Path.of(url.toURI()).toAbsolutePath().normalize();
                        if (java.nio.file.Files.exists(path) && known.add(path))
                            entries.add(path.toString());
                    }
                }
                catch (URISyntaxException | IllegalArgumentException x)
                {
                    // not a plain file: the checks below decide
                }
            }
        }
        for (Class<?> needed : List.of(HolderMain.class, jnr.ffi.LibraryLoader.class, com.kenai.jffi.Library.class))
        {
            CodeSource source = needed.getProtectionDomain().getCodeSource();
            URL location = source == null ? null : source.getLocation();
            if (location == null || !"file".equals(location.getProtocol()))
                return null;
            try
            {
                Path path = Path.of(location.toURI()).toAbsolutePath().normalize();
                if (known.add(path))
                    entries.add(path.toString());
            }
            catch (URISyntaxException | IllegalArgumentException x)
            {
                return null;
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Map<String, String> holderEnvironment()
    {
        Map<String, String> env = new TreeMap<>(InheritedEnvironment.original());
        env.keySet().removeIf(key -> DROPPED_VARIABLES.contains(key) || key.startsWith(HandoffProtocol.PREFIX));
        return env;
    }
}
