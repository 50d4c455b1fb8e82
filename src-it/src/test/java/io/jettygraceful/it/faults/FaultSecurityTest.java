package io.jettygraceful.it.faults;

import io.jettygraceful.it.Restarts;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What reaches the replacement and what does not: its fds, its environment, the environment of processes the
 * application starts, and the PID file against a planted symlink.
 */
class FaultSecurityTest
{
    private static final int UNIX_LISTENING = 0x10000;

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /**
     * The child's fds, listed while it waits in its readiness check (--ready-delay): 0-2 as the parent's, fd 3 the
     * listening socket, fd 4 the control socket (a connected, not listening, Unix socket), and otherwise only what the
     * child's own JVM opened. In particular no client connection the parent holds (one is held open across the spawn),
     * no other socket and no pipe of the parent. Its environment carries the handoff variables and no LISTEN_PID.
     */
    @Test
    void onlyTheListenerAndTheControlSocketReachTheChild() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleStatus parent = Faults.start(processes, ExampleProcess.builder().name("fault-child-fds"), port, "--ready-delay", "4s");
        ExampleProcess process = processes.started().get(0);
        try (Socket client = new Socket())
        {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            client.setSoTimeout(10_000);
            OutputStream out = client.getOutputStream();
            out.write(("GET /uuid HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[4096];
            assertTrue(in.read(buffer) > 0, "the parent answered on the kept connection");

            Map<Integer, String> parentFds = Faults.fds(parent.pid());
            Set<Long> parentSockets = inodes(parentFds, "socket");
            Set<Long> parentPipes = inodes(parentFds, "pipe");
            long listener = -1;
            long connection = -1;
            for (Faults.TcpSocket socket : Faults.tcpSockets())
            {
                if (socket.localPort() == port && socket.state() == Faults.TcpSocket.LISTEN && parentSockets.contains(socket.inode()))
                    listener = socket.inode();
                if (socket.localPort() == port && socket.remotePort() == client.getLocalPort())
                    connection = socket.inode();
            }
            assertTrue(listener > 0, "the parent's listening socket is found");
            assertTrue(parentSockets.contains(connection), "the parent holds the client connection (inode " + connection + "): " + parentFds);
            Map<Long, Integer> unix = Faults.unixSockets();
            for (long inode : parentSockets)
                assertFalse(unix.containsKey(inode) && (unix.get(inode) & UNIX_LISTENING) != 0, "the parent has a listening Unix socket: " + inode);

            long child = Faults.hupAndAwaitReplacement(processes, process, parent.pid());
            process.awaitLog("Serving pid=" + child + " ", Duration.ofSeconds(30));
            Map<Integer, String> childFds = Faults.fds(child);
            Map<Long, Integer> unixNow = Faults.unixSockets();
            System.out.println("[it] child fds while it waits to report ready: " + new java.util.TreeMap<>(childFds));

            for (int fd = 0; fd <= 2; fd++)
                assertEquals(parentFds.get(fd), childFds.get(fd), "fd " + fd + " is the parent's");
            assertEquals(Optional.of(listener), Faults.inode(childFds.get(3), "socket"), "fd 3 is the listening socket");
            Optional<Long> control = Faults.inode(String.valueOf(childFds.get(4)), "socket");
            assertTrue(control.isPresent() && unixNow.containsKey(control.get()), "fd 4 is a Unix socket: " + childFds.get(4));
            assertEquals(0, unixNow.get(control.get()) & UNIX_LISTENING, "the control socket is not a listening socket");

            Set<Long> childSockets = inodes(childFds, "socket");
            assertFalse(childSockets.contains(connection), "the parent's client connection reached the child: " + childFds);
            Set<Long> shared = new HashSet<>(childSockets);
            shared.retainAll(parentSockets);
            assertEquals(Set.of(listener), shared, "the only socket the child shares with the parent is the listener");
            for (long inode : childSockets)
            {
                if (inode != listener)
                    assertTrue(unixNow.containsKey(inode) && (unixNow.get(inode) & UNIX_LISTENING) == 0,
                        "any other socket of the child is a connected Unix socket (the control socket): " + inode);
            }
            Set<Long> sharedPipes = inodes(childFds, "pipe");
            sharedPipes.retainAll(parentPipes);
            assertTrue(sharedPipes.isEmpty(), "pipes of the parent in the child: " + sharedPipes);

            Map<String, String> env = Faults.environ(child);
            assertEquals(String.valueOf(parent.pid()), env.get("JETTY_GRACEFUL_PARENT_PID"));
            assertEquals("4", env.get("JETTY_GRACEFUL_CONTROL_FD"));
            assertEquals("2", env.get("JETTY_GRACEFUL_GENERATION"));
            assertEquals("1", env.get("LISTEN_FDS"));
            assertNotNull(env.get("LISTEN_FDNAMES"));
            assertFalse(env.containsKey("LISTEN_PID"), "no LISTEN_PID: posix_spawn cannot know the child's pid");
        }
        Faults.awaitNextGeneration(processes, port, parent, Faults.HANDOFF);
    }

    /**
     * Processes the application starts do not get LISTEN_*, JETTY_GRACEFUL_* nor NOTIFY_SOCKET once a real
     * GracefulRestart has started: neither through a plain ProcessBuilder or Runtime.exec (they pass the native
     * environment on; this failed before the library unset the variables natively), nor through a ProcessBuilder whose
     * environment() was copied, when the JVM runs with the --add-opens it documents (the example jar's manifest
     * carries Add-Opens, which only applies to java -jar: here the JVM is started with -cp). Without the flag only that
     * copy keeps them, and one log line says how to remove them (harmless anyway: InheritedSockets in such a process
     * ignores them, see FaultHostileEnvironmentTest).
     */
    @ParameterizedTest(name = "add-opens {0}")
    @ValueSource(booleans = {true, false})
    void handoffVariablesDoNotReachProcessesTheApplicationStarts(boolean addOpens) throws Exception
    {
        List<String> command = new ArrayList<>(List.of(Jdks.java(17).toString()));
        if (addOpens)
            command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED"));
        command.addAll(List.of("-cp", Jdks.exampleJar() + ":" + Path.of("target", "test-classes").toAbsolutePath(), EnvProbe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("LISTEN_") || k.startsWith("JETTY_GRACEFUL_") || k.equals("NOTIFY_SOCKET"));
        env.put("LISTEN_FDS", "1");
        env.put("LISTEN_FDNAMES", "http");
        env.put("JETTY_GRACEFUL_PARENT_PID", "1");
        env.put("JETTY_GRACEFUL_CONTROL_FD", "3");
        env.put("JETTY_GRACEFUL_GENERATION", "2");
        env.put("NOTIFY_SOCKET", "/run/nonexistent/notify");
        env.put("PROBE_KEEP", "kept");
        Process probe = builder.start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, probe.exitValue(), output);
        assertTrue(output.contains("PROBE-DONE"), output);
        for (String prefix : List.of("COPY-ENV ", "CHILD-ENV ", "EXEC-ENV "))
        {
            List<String> lines = output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
            assertTrue(lines.contains("PROBE_KEEP=kept"), "other variables pass: " + lines);
            List<String> passing = lines.stream().filter(l -> l.startsWith("LISTEN_") || l.startsWith("JETTY_GRACEFUL_") || l.startsWith("NOTIFY_SOCKET=")).toList();
            if (addOpens || !prefix.equals("COPY-ENV "))
                assertEquals(List.of(), passing, prefix + "variables that must not reach the application's processes");
            else
                assertEquals(6, passing.size(), prefix + "without --add-opens a copy of ProcessBuilder.environment() keeps them: " + passing);
        }
        if (!addOpens)
            assertTrue(output.contains("run with --add-opens java.base/java.lang=ALL-UNNAMED"), "the log says how to remove them: " + output);
    }

    /**
     * A symlink planted at the PID file's path (pointing at a victim file) is replaced, not written through: after the
     * start and after a restart the victim is unchanged and the path is a regular file holding the serving pid.
     */
    @Test
    void pidFileIsNotWrittenThroughAPlantedSymlink(@TempDir Path shared) throws Exception
    {
        Path victim = shared.resolve("victim.conf");
        Files.writeString(victim, "precious\n");
        Path pidFile = shared.resolve("example.pid");
        Files.createSymbolicLink(pidFile, victim);
        int port = FreePorts.ipv4();
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("fault-pid-symlink"), port, "--pid-file", pidFile.toString());

        Restarts.await(() -> !Files.isSymbolicLink(pidFile), Duration.ofSeconds(10), "the PID file to be written");
        assertEquals("precious\n", Files.readString(victim), "the victim is unchanged");
        assertTrue(Files.isRegularFile(pidFile, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the PID file is a regular file");
        assertEquals(String.valueOf(first.pid()), Files.readString(pidFile).trim());

        Files.delete(pidFile);
        Files.createSymbolicLink(pidFile, victim);
        ExampleStatus second = Faults.restart(processes, port, first);
        Restarts.await(() -> !Files.isSymbolicLink(pidFile), Duration.ofSeconds(10), "the PID file to be rewritten by the restart");
        Restarts.await(() -> readOrEmpty(pidFile).equals(String.valueOf(second.pid())), Duration.ofSeconds(10), "the PID file to hold the new pid");
        assertEquals("precious\n", Files.readString(victim), "the victim is unchanged after the restart");
        assertTrue(Files.isRegularFile(pidFile, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        try (var leftovers = Files.list(shared))
        {
            assertEquals(Set.of("victim.conf", "example.pid"), leftovers.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
                "no temporary files left behind");
        }
    }

    private static String readOrEmpty(Path path)
    {
        try
        {
            return Files.readString(path).trim();
        }
        catch (java.io.IOException x)
        {
            return "";
        }
    }

    private static Set<Long> inodes(Map<Integer, String> fds, String kind)
    {
        Set<Long> inodes = new HashSet<>();
        for (String target : fds.values())
            Faults.inode(target, kind).ifPresent(inodes::add);
        return inodes;
    }
}
