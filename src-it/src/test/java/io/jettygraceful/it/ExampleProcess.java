package io.jettygraceful.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The example jar running as a real process: {@code [wrapper...] java [jvmArgs...] -jar example.jar [args...]}.
 * Its stdout and stderr go to one log file under {@code target/it-logs/}; every failure message names that file.
 *
 * <p>The wrappers used here ({@code systemd-socket-activate}, {@code sh -c '... exec "$@"'}) exec the JVM, so
 * {@link #pid()} is the JVM's pid. {@link #close()} ends the process (TERM, then KILL) and always reaps it.</p>
 */
public final class ExampleProcess implements AutoCloseable
{
    public static final Path LOG_DIR = Path.of("target", "it-logs");
    /**
     * The replacement's nice value in these tests, which run the load clients on the same cores as the servers:
     * at the default (5) a replacement competes with a test JVM that saturates the machine, and starts several times
     * slower than it would beside clients on other machines (on 2 cores, a Dropwizard replacement under the test's load
     * took 19 s to start at nice 5 and 9 s at nice 0). The tests are about requests, not priority:
     * {@code ReplacementPriorityTest} tests the priority, and {@link Builder#asUsersRunIt()} keeps the default.
     */
    public static final int TEST_REPLACEMENT_NICE = 0;
    /**
     * The JVM flags the harness gives every server JVM it starts (each replacement repeats them): the JIT's first tier
     * and the serial collector. Every generation is a fresh JVM that compiles its hot code again; with C2 that
     * compiling competes with the load clients and the other generation on the same cores, and a Dropwizard
     * replacement under load took 8.6 s to start instead of 6.5 s (and served half the requests). The benchmark and
     * {@code StartupTimeTest} run the JVM's defaults ({@link Builder#asUsersRunIt()}).
     */
    public static final List<String> TEST_JVM_ARGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Pattern SERVING = Pattern.compile("Serving pid=(\\d+) generation=(\\d+) uuid=([0-9a-f-]+)");
    private static final Duration POLL = Duration.ofMillis(20);

    private final Process process;
    private final Path log;
    private final List<String> command;
    private final long startNanos;
    private final boolean outputOutlivesProcess;

    private ExampleProcess(Process process, Path log, List<String> command, long startNanos, boolean outputOutlivesProcess)
    {
        this.outputOutlivesProcess = outputOutlivesProcess;
        this.process = process;
        this.log = log;
        this.command = command;
        this.startNanos = startNanos;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** Wrapper: systemd's own activator listening on {@code listens} (e.g. 127.0.0.1:8080), fds named {@code names}. */
    public static List<String> systemdSocketActivate(List<String> listens, List<String> names, String... extraOptions)
    {
        List<String> wrapper = new ArrayList<>();
        wrapper.add("systemd-socket-activate");
        for (String listen : listens)
            wrapper.add("--listen=" + listen);
        if (!names.isEmpty())
            wrapper.add("--fdname=" + String.join(":", names));
        wrapper.addAll(List.of(extraOptions));
        return wrapper;
    }

    /**
     * Wrapper: a shell that runs {@code script} and then execs the JVM. The script sees the JVM's future pid as
     * {@code $$}, e.g. {@code exec 3</etc/hostname; export LISTEN_PID=$$ LISTEN_FDS=1}.
     */
    public static List<String> shell(String script)
    {
        return List.of("/bin/sh", "-c", script + "\nexec \"$@\"", "sh");
    }

    /** Wrapper: like {@link #shell(String)} but with bash (for {@code /dev/tcp}). */
    public static List<String> bash(String script)
    {
        return List.of("/bin/bash", "-c", script + "\nexec \"$@\"", "bash");
    }

    public static final class Builder
    {
        private Path java;
        private String name = "example";
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> wrapper = new ArrayList<>();
        private boolean outputOutlivesProcess;
        private Path jar;
        private boolean asUsersRunIt;

        /**
         * Declares that processes started by this one (a restart's next generation, a wrapper's background job) write
         * to the same log and may outlive it: {@link #awaitLog} then waits its full timeout even after this process
         * exited, instead of failing at once.
         */
        public Builder outputOutlivesProcess()
        {
            this.outputOutlivesProcess = true;
            return this;
        }

        /** The java binary (default: JDK 17). */
        public Builder java(Path java)
        {
            this.java = java;
            return this;
        }

        public Builder jdk(int feature)
        {
            return java(Jdks.java(feature));
        }

        /** Prefix of the log file name. */
        public Builder name(String name)
        {
            this.name = name.replaceAll("[^A-Za-z0-9_.-]", "_");
            return this;
        }

        /** The jar to run (default: the example jar the build made), e.g. a copy a test may replace. */
        public Builder jar(Path jar)
        {
            this.jar = jar;
            return this;
        }

        public Builder jvmArgs(String... jvmArgs)
        {
            this.jvmArgs.addAll(List.of(jvmArgs));
            return this;
        }

        /** Arguments of the example (after {@code -jar example.jar}). */
        public Builder args(String... args)
        {
            this.args.addAll(List.of(args));
            return this;
        }

        public Builder args(List<String> args)
        {
            this.args.addAll(args);
            return this;
        }

        /** An environment variable on top of the test JVM's (minus any LISTEN_* and JETTY_GRACEFUL_*). */
        public Builder env(String key, String value)
        {
            this.env.put(key, value);
            return this;
        }

        /**
         * Runs the plain example as a user would: the JVM's own defaults and the example's default
         * {@code --replacement-nice}, not {@link #TEST_JVM_ARGS} and {@link #TEST_REPLACEMENT_NICE}. For figures.
         */
        public Builder asUsersRunIt()
        {
            this.asUsersRunIt = true;
            return this;
        }

        public Builder wrapper(List<String> wrapper)
        {
            this.wrapper.clear();
            this.wrapper.addAll(wrapper);
            return this;
        }

        public List<String> command()
        {
            List<String> command = new ArrayList<>(wrapper);
            command.add((java != null ? java : Jdks.java(17)).toString());
            boolean plainExample = jar == null || jar.equals(Jdks.exampleJar());
            if (plainExample && !asUsersRunIt && jvmArgs.stream().noneMatch(a -> a.startsWith("-XX:TieredStopAtLevel") || a.endsWith("GC")))
                command.addAll(TEST_JVM_ARGS);
            command.addAll(jvmArgs);
            command.add("-jar");
            command.add((jar != null ? jar : Jdks.exampleJar()).toString());
            command.addAll(args);
            if (plainExample && !asUsersRunIt && !args.contains("--replacement-nice"))
                command.addAll(List.of("--replacement-nice", String.valueOf(TEST_REPLACEMENT_NICE)));
            return command;
        }

        public ExampleProcess start()
        {
            List<String> command = command();
            try
            {
                Files.createDirectories(LOG_DIR);
                // unique across the test JVMs that share target/ (surefire's forks): the test JVM's pid is in the name
                Path log = LOG_DIR.resolve(name + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + ".log").toAbsolutePath();
                Files.writeString(log, "");
                ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                Map<String, String> environment = builder.environment();
                environment.keySet().removeIf(k -> k.startsWith("LISTEN_") || k.startsWith("JETTY_GRACEFUL_") || k.equals("NOTIFY_SOCKET"));
                environment.putAll(env);
                long start = System.nanoTime();
                Process process = builder.start();
                return new ExampleProcess(process, log, command, start, outputOutlivesProcess);
            }
            catch (IOException x)
            {
                throw new UncheckedIOException("cannot start " + command, x);
            }
        }
    }

    /** @return the pid of the process started (the JVM, as the wrappers exec it) */
    public long pid()
    {
        return process.pid();
    }

    public Process process()
    {
        return process;
    }

    public Path logFile()
    {
        return log;
    }

    /** @return System.nanoTime() just before the process was spawned */
    public long startNanos()
    {
        return startNanos;
    }

    public List<String> command()
    {
        return command;
    }

    public boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return everything the process wrote so far */
    public String output()
    {
        try
        {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
        catch (IOException x)
        {
            return "(cannot read " + log + ": " + x + ")";
        }
    }

    /** @return the last {@code lines} lines of the output, for failure messages */
    public String tail(int lines)
    {
        List<String> all = output().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** @return "pid N, log PATH", with the tail of the log */
    public String describe()
    {
        return "process " + pid() + " (" + String.join(" ", command) + "), " + (process.isAlive() ? "running" : "exited " + process.exitValue()) +
            ", log " + log + ":\n" + tail(30);
    }

    /**
     * Waits until a line of the output matches {@code regex} (found anywhere in the line). Fails at once when the
     * process exited without logging it (unless {@link Builder#outputOutlivesProcess()}).
     *
     * @return the matcher of the first matching line
     */
    public Matcher awaitLog(String regex, Duration timeout)
    {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            boolean exited = !process.isAlive(); // read the output after: it is complete when the process had exited
            for (String line : output().lines().toList())
            {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find())
                    return matcher;
            }
            if (exited && !outputOutlivesProcess)
                return fail("process exited with " + process.exitValue() + " before logging /" + regex + "/: " + describe());
            if (System.nanoTime() > deadline)
                return fail("no line matching /" + regex + "/ within " + timeout.toMillis() + " ms: " + describe());
            Restarts.pause(POLL);
        }
    }

    /** @return the pid the JVM logged in its {@code Serving pid=...} line (waits for that line) */
    public long servingPid(Duration timeout)
    {
        return Long.parseLong(awaitLog(SERVING.pattern(), timeout).group(1));
    }

    /** @return the uuid the JVM logged in its {@code Serving ...} line (waits for that line) */
    public String servingUuid(Duration timeout)
    {
        return awaitLog(SERVING.pattern(), timeout).group(3);
    }

    /** Waits for the process to exit; @return its exit code, failing the test on timeout. */
    public int exitCode(Duration timeout)
    {
        try
        {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                fail("still running after " + timeout.toMillis() + " ms: " + describe());
            return process.exitValue();
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", x);
        }
    }

    /** Sends SIGTERM (the JVM then stops Jetty and exits). */
    public void terminate()
    {
        process.destroy();
    }

    /** Ends the process: SIGTERM, up to 10 s to exit, then SIGKILL; always reaped (by the JDK's reaper thread). */
    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(10)))
            {
                process.destroyForcibly();
                if (!waitFor(Duration.ofSeconds(10)))
                    throw new IllegalStateException("process " + pid() + " survived SIGKILL for 10 s: " + describe());
            }
        }
    }

    private boolean waitFor(Duration timeout)
    {
        try
        {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }
}
