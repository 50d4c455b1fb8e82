package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Subreaper;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Helpers shared by the fault tests: starting the example, restarting it, reading /proc. (The harness's
 * {@code Restarts} is package-private to {@code io.jettygraceful.it}; the few calls needed are repeated here.)
 */
final class Faults
{
    static final int SIGHUP = 1;
    static final int SIGKILL = 9;
    static final int SIGTERM = 15;
    static final int SIGSTOP = 19;
    static final Duration START = Duration.ofSeconds(30);
    static final Duration HANDOFF = Duration.ofSeconds(30);
    static final Pattern STARTED_REPLACEMENT = Pattern.compile("Restart: started replacement pid (\\d+)");

    private Faults()
    {
    }

    /** Starts the example on 127.0.0.1:{@code port} and waits until it answers /status. */
    static ExampleStatus start(ProcessTracker processes, ExampleProcess.Builder builder, int port, String... args) throws IOException
    {
        ExampleProcess process = processes.start(builder.outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port)).args(args));
        process.servingPid(START);
        return processes.status(port);
    }

    static void hup(long pid)
    {
        if (!Subreaper.signal(pid, SIGHUP))
            fail("cannot send SIGHUP to pid " + pid + ": it is gone");
    }

    static ExampleStatus awaitNextGeneration(ProcessTracker processes, int port, ExampleStatus current, Duration timeout) throws IOException
    {
        return Restarts.awaitGeneration(processes, port, current, timeout);
    }

    static ExampleStatus restart(ProcessTracker processes, int port, ExampleStatus current) throws IOException
    {
        hup(current.pid());
        return awaitNextGeneration(processes, port, current, HANDOFF);
    }

    /** /status without remembering anything; fails the test on I/O errors. */
    static ExampleStatus statusOf(int port)
    {
        try
        {
            return ExampleStatus.parse(Http.get(port, "/status").body());
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }

    static String uuidOf(int port) throws IOException
    {
        Http.Response response = Http.get(port, "/uuid");
        assertTrue(response.status() == 200, "GET /uuid: " + response);
        return response.body().trim();
    }

    /** Waits until /status says {@code restartsFailed} is {@code n}; @return that status. */
    static ExampleStatus awaitRestartsFailed(int port, int n, Duration timeout)
    {
        Restarts.await(() -> statusOf(port).json().contains("\"restartsFailed\":" + n), timeout, "restartsFailed to reach " + n);
        return statusOf(port);
    }

    /**
     * Sends SIGHUP to {@code parentPid} and waits until the log of {@code process} (the first generation, whose output
     * every generation shares) names the first replacement it started.
     *
     * @return the replacement's pid, tracked so that it is reaped after the test
     */
    static long hupAndAwaitReplacement(ProcessTracker processes, ExampleProcess process, long parentPid)
    {
        hup(parentPid);
        long child = startedReplacement(process, 1, Duration.ofSeconds(10));
        processes.saw(child);
        return child;
    }

    /** @return the pid a log line "Restart: started replacement pid N" names (waits for it) */
    static long startedReplacement(ExampleProcess process, int nth, Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0)
        {
            Matcher m = STARTED_REPLACEMENT.matcher(process.output());
            int found = 0;
            while (m.find())
            {
                if (++found == nth)
                    return Long.parseLong(m.group(1));
            }
            Restarts.pause(Duration.ofMillis(10));
        }
        return fail("no " + nth + ". 'started replacement' line within " + timeout.toMillis() + " ms: " + process.describe());
    }

    static int count(String text, String needle)
    {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1))
            count++;
        return count;
    }

    /** @return the live (not zombie) example JVMs started for {@code port}: their command line names the jar and the port */
    static List<Long> exampleJvms(int port)
    {
        String jar = Jdks.exampleJar().getFileName().toString();
        String portArg = "--port " + port;
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc")))
        {
            for (Path entry : (Iterable<Path>)entries::iterator)
            {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit))
                    continue;
                long pid = Long.parseLong(name);
                String cmdline = Procs.cmdline(pid);
                if (cmdline.contains(jar) && (cmdline.endsWith(portArg) || cmdline.contains(portArg + " ")) && Procs.isAlive(pid))
                    pids.add(pid);
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
        return pids;
    }

    /** @return fd number to link target ({@code socket:[123]}, {@code /path}, {@code pipe:[4]}, ...) of {@code pid} */
    static Map<Integer, String> fds(long pid)
    {
        Map<Integer, String> fds = new HashMap<>();
        Path dir = Path.of("/proc", String.valueOf(pid), "fd");
        try (Stream<Path> entries = Files.list(dir))
        {
            for (Path entry : (Iterable<Path>)entries::iterator)
            {
                try
                {
                    fds.put(Integer.parseInt(entry.getFileName().toString()), Files.readSymbolicLink(entry).toString());
                }
                catch (IOException x)
                {
                    // closed meanwhile
                }
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot list " + dir, x);
        }
        return fds;
    }

    /** @return the inode in a link target like {@code socket:[123]} or {@code pipe:[123]}, empty for anything else */
    static Optional<Long> inode(String target, String kind)
    {
        Matcher m = Pattern.compile(Pattern.quote(kind) + ":\\[(\\d+)]").matcher(target);
        return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    /** A row of /proc/net/tcp or tcp6. */
    record TcpSocket(int localPort, int remotePort, int state, long inode)
    {
        static final int LISTEN = 0x0A;
    }

    /** @return every TCP socket of the network namespace (IPv4 and IPv6) */
    static List<TcpSocket> tcpSockets()
    {
        List<TcpSocket> sockets = new ArrayList<>();
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6"))
        {
            try
            {
                List<String> lines = Files.readAllLines(Path.of(file));
                for (String line : lines.subList(1, lines.size()))
                {
                    String[] f = line.trim().split("\\s+");
                    int localPort = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                    int remotePort = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                    sockets.add(new TcpSocket(localPort, remotePort, Integer.parseInt(f[3], 16), Long.parseLong(f[9])));
                }
            }
            catch (IOException x)
            {
                // no IPv6
            }
        }
        return sockets;
    }

    /** @return inodes of the Unix sockets of the namespace, to flags (0x10000 = listening) */
    static Map<Long, Integer> unixSockets()
    {
        Map<Long, Integer> sockets = new HashMap<>();
        try
        {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/unix"));
            for (String line : lines.subList(1, lines.size()))
            {
                String[] f = line.trim().split("\\s+");
                sockets.put(Long.parseLong(f[6]), Integer.parseInt(f[3], 16));
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
        return sockets;
    }

    /**
     * @return the fds of {@code pid} that are not client connections: everything but sockets, plus listening TCP
     * sockets and Unix sockets. What a process holds structurally, which must not change from generation to generation
     * (client connections come and go with the load). The fds are listed before the socket tables are read, so a
     * connection accepted in between is in the table as a connection, and one closed in between is not counted.
     */
    static int structuralFdCount(long pid)
    {
        Map<Integer, String> fds = fds(pid);
        Set<Long> listeners = new HashSet<>();
        for (TcpSocket socket : tcpSockets())
        {
            if (socket.state() == TcpSocket.LISTEN)
                listeners.add(socket.inode());
        }
        Set<Long> unix = unixSockets().keySet();
        int count = 0;
        for (String target : fds.values())
        {
            Optional<Long> inode = inode(target, "socket");
            if (inode.isEmpty() || listeners.contains(inode.get()) || unix.contains(inode.get()))
                count++;
        }
        return count;
    }

    /** @return a field of /proc/PID/status such as {@code Threads} or {@code VmRSS} (kB), -1 when gone */
    static long statusField(long pid, String field)
    {
        try
        {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")))
            {
                if (line.startsWith(field + ":"))
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        catch (IOException x)
        {
            return -1;
        }
        return -1;
    }

    /**
     * @return the wait status of an exited, not yet reaped process (a zombie: e.g. an old generation adopted by the
     * test JVM as subreaper), from field 52 of /proc/PID/stat; empty when it is not a zombie
     */
    static Optional<Integer> zombieWaitStatus(long pid)
    {
        try
        {
            String text = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = text.substring(text.lastIndexOf(')') + 1).trim().split(" +");
            if (!fields[0].equals("Z") || fields.length < 50)
                return Optional.empty();
            return Optional.of(Integer.parseInt(fields[49]));
        }
        catch (IOException | RuntimeException x)
        {
            return Optional.empty();
        }
    }

    /** @return the environment of {@code pid} (readable by root or the same user) */
    static Map<String, String> environ(long pid) throws IOException
    {
        byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ"));
        Map<String, String> env = new HashMap<>();
        for (String entry : new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0"))
        {
            int eq = entry.indexOf('=');
            if (eq > 0)
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return env;
    }

    /** Runs a command to completion (for prlimit); fails the test when it exits non-zero. */
    static String run(String... command) throws IOException, InterruptedException
    {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int rc = process.waitFor();
        if (rc != 0)
            fail(String.join(" ", command) + " exited " + rc + ": " + output);
        return output;
    }
}
