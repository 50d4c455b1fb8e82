package io.jettygraceful.it;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Owns every example process a test starts and every pid it learns of, and ends them all after the test, passed or
 * failed. Register per test: {@code @RegisterExtension final ProcessTracker processes = new ProcessTracker();}
 *
 * <p>Processes started here are closed ({@link ExampleProcess#close()}). Pids only seen (in /status, e.g. a
 * generation the example spawned itself, which the test JVM adopts as a {@link Subreaper}) are signalled TERM, then
 * KILL, and reaped with {@code waitpid(pid)}, but only while /proc/PID/cmdline still shows the example jar (or the Spring
 * Boot sample's): a pid of a
 * process that already exited may belong to someone else by now.</p>
 *
 * <p>Also ended: example JVMs that are children of the test JVM without being its {@code Process}es, i.e. orphans
 * it adopted as subreaper, even when the test failed before learning their pid.</p>
 *
 * <p>When the test failed, the log file of each process and its tail are printed.</p>
 */
public final class ProcessTracker implements BeforeEachCallback, AfterEachCallback
{
    private static final Duration TERM_GRACE = Duration.ofSeconds(10);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private final List<ExampleProcess> started = new ArrayList<>();
    private final Set<Long> seen = new LinkedHashSet<>();
    /** The jars ({@code -jar PATH}) of the processes started here: a pid counts as ours only while it runs one of them. */
    private final Set<String> jars = new LinkedHashSet<>();

    @Override
    public void beforeEach(ExtensionContext context)
    {
        Subreaper.enable();
    }

    /** Starts {@code builder}'s process and tracks it. */
    public synchronized ExampleProcess start(ExampleProcess.Builder builder)
    {
        Subreaper.enable();
        ExampleProcess process = builder.start();
        int jar = process.command().indexOf("-jar");
        if (jar >= 0 && jar + 1 < process.command().size())
            jars.add(process.command().get(jar + 1));
        started.add(process);
        seen.add(process.pid());
        return process;
    }

    /** Remembers {@code pid}: it is ended and reaped after the test if it still runs the example jar. */
    private volatile javax.net.ssl.SSLContext tls;

    public synchronized void saw(long pid)
    {
        seen.add(pid);
    }

    /** Makes {@link #status(int)} speak HTTPS with this context, for examples started with {@code --tls-keystore}. */
    public void useTls(javax.net.ssl.SSLContext context)
    {
        tls = context;
    }

    /** GET /status from 127.0.0.1:{@code port} (HTTPS after {@link #useTls}), remembering the pid that answered. */
    public ExampleStatus status(int port) throws IOException
    {
        Http.Response response = Http.get(Http.IPV4, port, "/status", Http.DEFAULT_TIMEOUT, tls);
        assertEquals(200, response.status(), "GET /status: " + response);
        ExampleStatus status = ExampleStatus.parse(response.body());
        saw(status.pid());
        return status;
    }

    /** GET /status over the Unix-domain socket at {@code path}, remembering the pid that answered; unchecked on I/O failure. */
    public ExampleStatus statusUnix(java.nio.file.Path path)
    {
        try (Http.Connection connection = Http.Connection.openUnix(path, Http.DEFAULT_TIMEOUT))
        {
            Http.Response response = connection.get("/status");
            assertEquals(200, response.status(), "GET /status over " + path + ": " + response);
            ExampleStatus status = ExampleStatus.parse(response.body());
            saw(status.pid());
            return status;
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException("GET /status over " + path, x);
        }
    }

    /** Like {@link #status(int)} for polling loops: an I/O failure is an unchecked exception. */
    public ExampleStatus statusQuietly(int port)
    {
        try
        {
            return status(port);
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }

    public synchronized List<ExampleProcess> started()
    {
        return List.copyOf(started);
    }

    @Override
    public void afterEach(ExtensionContext context)
    {
        if (context.getExecutionException().isPresent())
        {
            for (ExampleProcess process : started())
                System.err.println("[it] " + context.getDisplayName() + " failed; " + process.describe());
        }
        List<String> problems = cleanUp();
        if (!problems.isEmpty())
            throw new IllegalStateException("cleanup after " + context.getDisplayName() + ": " + problems);
    }

    /** Ends and reaps everything; @return problems (processes that would not die or could not be reaped). */
    public synchronized List<String> cleanUp()
    {
        List<String> problems = new ArrayList<>();
        for (int i = started.size() - 1; i >= 0; i--)
        {
            try
            {
                started.get(i).close();
            }
            catch (RuntimeException x)
            {
                problems.add(x.getMessage());
            }
        }
        Set<Long> own = new LinkedHashSet<>();
        for (ExampleProcess process : started)
            own.add(process.pid());
        // Orphans the test never asked about (it failed before it could) were adopted by this subreaper: an example
        // JVM whose parent is the test JVM and that is none of our Process children is one of them.
        for (long child : Procs.childrenOf(ProcessHandle.current().pid()))
        {
            if (!own.contains(child) && isExample(child))
                seen.add(child);
        }
        for (long pid : seen)
        {
            if (own.contains(pid))
                continue; // reaped by the JDK; its pid may already be someone else's
            String problem = endSeen(pid);
            if (problem != null)
                problems.add(problem);
        }
        started.clear();
        seen.clear();
        jars.clear();
        return problems;
    }

    private String endSeen(long pid)
    {
        // A JVM whose main thread has exited while others still run shows as a zombie too: give it time to finish.
        if (Procs.isZombie(pid))
            return awaitGone(pid, KILL_GRACE) ? null : reapOrExplain(pid);
        if (!Procs.isAlive(pid) || !isExample(pid))
            return null;
        Subreaper.signal(pid, 15);
        if (awaitGone(pid, TERM_GRACE))
            return null;
        if (isExample(pid))
            Subreaper.signal(pid, 9);
        if (awaitGone(pid, KILL_GRACE))
            return null;
        return "pid " + pid + " is still " + (Procs.isZombie(pid) ? "a zombie, not a child of the test JVM" : "alive") + " after TERM and KILL";
    }

    /** Polls until {@code pid} has exited and is reaped (by us when it is our child). */
    private static boolean awaitGone(long pid, Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline)
        {
            Subreaper.Reaped reaped = Subreaper.reap(pid);
            if (reaped == Subreaper.Reaped.REAPED || !Procs.exists(pid))
                return true;
            Restarts.pause(Duration.ofMillis(20));
        }
        return false;
    }

    private static String reapOrExplain(long pid)
    {
        if (Subreaper.reap(pid) == Subreaper.Reaped.REAPED)
            return null;
        return "pid " + pid + " is a zombie whose parent (" + Procs.parentPid(pid).orElse(-1L) + ") is not the test JVM: nobody will reap it";
    }

    /** @return whether {@code pid} runs the example jar, the Spring Boot sample's, or a jar a process started here ran (the Dropwizard sample, a copy) */
    private boolean isExample(long pid)
    {
        String cmdline = Procs.cmdline(pid);
        return cmdline.contains(Jdks.exampleJar().getFileName().toString()) || cmdline.contains(BOOT_EXAMPLE_JAR) || jars.stream().anyMatch(cmdline::contains);
    }

    private static final String BOOT_EXAMPLE_JAR = "jetty-graceful-spring-boot-example.jar";
}
