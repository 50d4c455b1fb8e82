package io.jettygraceful.internal.os;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.internal.os.FdDescription.SocketInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link LinuxOs} against the real kernel. Every child spawned here is reaped, also when a test fails. */
class LinuxOsTest
{
    /** FD_CLOEXEC as /proc/self/fdinfo/N reports it (O_CLOEXEC in the octal "flags:" line). */
    private static final int O_CLOEXEC = 02000000;
    private static final Map<String, String> CHILD_ENV = orderedMap("PATH", "/usr/bin:/bin", "JG_ONE", "1", "JG_SPACES", "a b=c");

    private static Os os;
    private final List<Integer> children = new ArrayList<>();
    private final List<Integer> fdsToClose = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadOs()
    {
        os = Os.current();
        assertNotNull(os, () -> "native Os unavailable on Linux: " + Os.unsupportedReason());
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        for (int child : children)
        {
            if (os.reap(child, false) == null)
            {
                os.signal(child, Os.Signal.KILL);
                os.reap(child, true);
            }
        }
        for (int fd : fdsToClose)
            os.close(fd);
        for (AutoCloseable closeable : closeables)
            closeable.close();
    }

    private static Map<String, String> orderedMap(String... keysAndValues)
    {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2)
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }

    private <T extends AutoCloseable> T closing(T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    private int[] pair() throws OsException
    {
        int[] pair = os.socketPair();
        fdsToClose.add(pair[0]);
        fdsToClose.add(pair[1]);
        return pair;
    }

    /** Spawns and remembers the child, so that {@link #cleanUp()} reaps it if the test does not. */
    private int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap) throws OsException
    {
        int pid = os.spawn(argv, env, fdMap);
        children.add(pid);
        return pid;
    }

    private ExitStatus reap(int pid) throws OsException
    {
        ExitStatus status = os.reap(pid, true);
        children.remove(Integer.valueOf(pid));
        return status;
    }

    /** @return the one fd of this process whose description matches */
    private static int findFd(Predicate<FdDescription> match) throws OsException
    {
        List<Integer> found = new ArrayList<>();
        for (int fd : os.openFds())
        {
            if (match.test(os.describe(fd)))
                found.add(fd);
        }
        assertEquals(1, found.size(), () -> "expected exactly one matching fd, found " + found);
        return found.get(0);
    }

    private static int socketFd(SocketAddress local, boolean listening) throws OsException
    {
        return findFd(d -> d.isSocket() && d.socket().listening() == listening && local.equals(d.socket().local()));
    }

    private static int fdFlags(int fd) throws IOException
    {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)))
        {
            if (line.startsWith("flags:"))
                return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
        }
        throw new AssertionError("no flags in /proc/self/fdinfo/" + fd);
    }

    private static boolean closeOnExec(int fd) throws IOException
    {
        return (fdFlags(fd) & O_CLOEXEC) != 0;
    }

    /** Reads {@code fd} until end of stream; fails when nothing arrives for 10 s. */
    private static String readAll(int fd) throws OsException
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int count = os.read(fd, buffer, 10_000);
            if (count == 0)
                return out.toString(StandardCharsets.UTF_8);
            if (count < 0)
                fail("no data and no end of stream within 10 s on fd " + fd + "; so far: " + out.toString(StandardCharsets.UTF_8));
            out.write(buffer, 0, count);
        }
    }

    // ---- describe ---------------------------------------------------------------------------------------------

    @Test
    void reapAnyChildReapsAChildItDidNotName() throws Exception
    {
        int pid = spawn(List.of("/bin/sh", "-c", "exit 7"), Map.of(), Map.of());
        long deadline = System.nanoTime() + 10_000_000_000L;
        ChildExit reaped = null;
        while (reaped == null || reaped.pid() != pid)
        {
            assertTrue(System.nanoTime() < deadline, "child " + pid + " reaped through waitpid(-1) within 10 s; last: " + reaped);
            reaped = os.reapAnyChild();
            if (reaped == null)
                Thread.sleep(10);
        }
        children.remove(Integer.valueOf(pid));
        assertEquals(new ExitStatus(7, 0), reaped.status());
        assertEquals(7, reaped.status().shellStatus());
    }

    @Test
    void pidAndParentPid()
    {
        assertEquals(ProcessHandle.current().pid(), os.pid());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), os.parentPid());
    }

    @Test
    void describesAListeningIpv4Socket() throws Exception
    {
        ServerSocketChannel server = closing(ServerSocketChannel.open(StandardProtocolFamily.INET));
        server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        InetSocketAddress local = (InetSocketAddress)server.getLocalAddress();
        int fd = socketFd(local, true);

        FdDescription description = os.describe(fd);
        assertEquals(fd, description.fd());
        assertTrue(description.isOpen());
        assertTrue(description.target().matches("socket:\\[\\d+]"), description.target());
        SocketInfo socket = description.socket();
        assertEquals(SocketInfo.AF_INET, socket.family());
        assertEquals(SocketInfo.SOCK_STREAM, socket.type());
        assertTrue(socket.listening());
        assertEquals(local.getPort(), socket.local().getPort());
        assertEquals(InetAddress.getByName("127.0.0.1"), socket.local().getAddress());
        assertEquals(0, socket.peerPid());
        assertEquals("a listening IPv4 stream (TCP) socket on 127.0.0.1:" + local.getPort(), description.describe());
    }

    @Test
    void describesAListeningIpv6Socket() throws Exception
    {
        ServerSocketChannel server = closing(ServerSocketChannel.open(StandardProtocolFamily.INET6));
        try
        {
            server.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
        }
        catch (IOException x)
        {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + x);
        }
        InetSocketAddress local = (InetSocketAddress)server.getLocalAddress();
        SocketInfo socket = os.describe(socketFd(local, true)).socket();
        assertEquals(SocketInfo.AF_INET6, socket.family());
        assertEquals(InetAddress.getByName("::1"), socket.local().getAddress());
        assertEquals(local.getPort(), socket.local().getPort());
    }

    @Test
    void describesConnectedTcpSocketsAsNotListening() throws Exception
    {
        ServerSocketChannel server = closing(ServerSocketChannel.open(StandardProtocolFamily.INET));
        server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        SocketChannel client = closing(SocketChannel.open(StandardProtocolFamily.INET));
        client.connect(server.getLocalAddress());
        SocketChannel accepted = closing(server.accept());

        SocketInfo clientSocket = os.describe(socketFd(client.getLocalAddress(), false)).socket();
        assertEquals(SocketInfo.AF_INET, clientSocket.family());
        assertEquals(SocketInfo.SOCK_STREAM, clientSocket.type());
        assertFalse(clientSocket.listening());
        assertEquals(client.getLocalAddress(), clientSocket.local());

        // The accepted socket shares the listener's address but is not listening: exactly one such fd.
        SocketInfo acceptedSocket = os.describe(socketFd(accepted.getLocalAddress(), false)).socket();
        assertFalse(acceptedSocket.listening());
        assertEquals(server.getLocalAddress(), acceptedSocket.local());
    }

    @Test
    void describesAFileByItsPath() throws Exception
    {
        Path file = Files.writeString(tmp.resolve("described.txt"), "x").toRealPath();
        closing(FileChannel.open(file, StandardOpenOption.READ));
        int fd = findFd(d -> file.toString().equals(d.target()));

        FdDescription description = os.describe(fd);
        assertTrue(description.isOpen());
        assertFalse(description.isSocket());
        assertNull(description.socket());
        assertEquals(file.toString(), description.target());
        assertEquals("a file or device (" + file + ")", description.describe());
    }

    @Test
    void describesAClosedFdAsNotOpen() throws Exception
    {
        int[] pair = pair();
        int fd = os.duplicate(pair[0], 5000);
        os.close(fd);
        FdDescription description = os.describe(fd);
        assertFalse(description.isOpen());
        assertFalse(description.isSocket());
        assertNull(description.target());
        assertEquals("not open", description.describe());
        assertFalse(os.openFds().contains(fd));
        os.close(fd); // closing again is not an error
    }

    @Test
    void openFdsListsThisProcessesFdsAscending() throws Exception
    {
        int[] pair = pair();
        List<Integer> fds = os.openFds();
        assertTrue(fds.containsAll(List.of(0, 1, 2, pair[0], pair[1])), fds::toString);
        List<Integer> sorted = new ArrayList<>(fds);
        sorted.sort(null);
        assertEquals(sorted, fds);
    }

    // ---- fd operations ----------------------------------------------------------------------------------------

    @Test
    void socketPairIsTwoConnectedUnixSocketsWithCloseOnExec() throws Exception
    {
        int[] pair = pair();
        assertNotEquals(pair[0], pair[1]);
        for (int fd : pair)
        {
            FdDescription description = os.describe(fd);
            SocketInfo socket = description.socket();
            assertNotNull(socket, description::describe);
            assertEquals(SocketInfo.AF_UNIX, socket.family());
            assertEquals(SocketInfo.SOCK_STREAM, socket.type());
            assertFalse(socket.listening());
            assertNull(socket.local());
            assertEquals(os.pid(), socket.peerPid());
            assertTrue(closeOnExec(fd), "fd " + fd + " lacks FD_CLOEXEC");
        }
        assertNotEquals(os.describe(pair[0]).target(), os.describe(pair[1]).target());
    }

    @Test
    void readTimesOutThenReturnsWrittenBytesThenEndOfStream() throws Exception
    {
        int[] pair = pair();
        byte[] buffer = new byte[64];
        long start = System.nanoTime();
        assertEquals(-1, os.read(pair[0], buffer, 200));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMs >= 190, "read returned after " + waitedMs + " ms, before its 200 ms timeout");

        os.write(pair[1], "hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals(5, os.read(pair[0], buffer, 5000));
        assertEquals("hello", new String(buffer, 0, 5, StandardCharsets.US_ASCII));

        os.write(pair[0], "back".getBytes(StandardCharsets.US_ASCII));
        assertEquals(4, os.read(pair[1], buffer, 5000));
        assertEquals("back", new String(buffer, 0, 4, StandardCharsets.US_ASCII));

        os.close(pair[1]);
        assertEquals(0, os.read(pair[0], buffer, 5000), "end of stream once the peer is closed");
    }

    @Test
    void writeOfALargeBufferWritesAllOfIt() throws Exception
    {
        int[] pair = pair();
        byte[] data = new byte[1 << 20];
        for (int i = 0; i < data.length; i++)
            data[i] = (byte)(i * 31);
        Thread writer = new Thread(() ->
        {
            try
            {
                os.write(pair[1], data);
                os.close(pair[1]);
            }
            catch (OsException x)
            {
                throw new RuntimeException(x);
            }
        });
        writer.start();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        int count;
        while ((count = os.read(pair[0], buffer, 10_000)) > 0)
            received.write(buffer, 0, count);
        writer.join(10_000);
        assertEquals(0, count, "end of stream, not a timeout");
        assertTrue(Arrays.equals(data, received.toByteArray()), "received bytes differ from written");
    }

    @Test
    void duplicateGivesACloseOnExecCopyAtOrAboveLowest() throws Exception
    {
        int[] pair = pair();
        int copy = os.duplicate(pair[0], 700);
        fdsToClose.add(copy);
        assertTrue(copy >= 700, "copy at " + copy);
        assertEquals(os.describe(pair[0]).target(), os.describe(copy).target(), "same socket");
        assertTrue(closeOnExec(copy));

        os.write(copy, "via copy".getBytes(StandardCharsets.US_ASCII));
        byte[] buffer = new byte[64];
        assertEquals(8, os.read(pair[1], buffer, 5000));

        int second = os.duplicate(pair[0], 700);
        fdsToClose.add(second);
        assertTrue(second > 700, "the lowest free fd >= 700 is taken by the first copy");
    }

    @Test
    void duplicateOntoReplacesTheTargetWithoutCloseOnExec() throws Exception
    {
        int[] pair = pair();
        int[] other = pair();
        int target = os.duplicate(other[0], 800); // close-on-exec, refers to the other pair
        fdsToClose.add(target);
        assertTrue(closeOnExec(target));

        os.duplicateOnto(pair[0], target);
        assertEquals(os.describe(pair[0]).target(), os.describe(target).target());
        assertFalse(closeOnExec(target), "dup2 target must not have FD_CLOEXEC");

        os.write(target, "x".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, os.read(pair[1], new byte[8], 5000));
        // The target's old reference to other[0] was closed; other[0] itself stays open.
        assertTrue(os.describe(other[0]).isOpen());
    }

    @Test
    void setCloseOnExecSetsTheFlag() throws Exception
    {
        int[] pair = pair();
        int target = os.duplicate(pair[0], 900);
        fdsToClose.add(target);
        os.duplicateOnto(pair[0], target); // clears FD_CLOEXEC
        assertFalse(closeOnExec(target));
        os.setCloseOnExec(target);
        assertTrue(closeOnExec(target));
    }

    @Test
    void operationsOnAClosedFdFailNamingTheFd() throws Exception
    {
        int[] pair = pair();
        int closed = os.duplicate(pair[0], 6000);
        os.close(closed);
        OsException x = assertThrows(OsException.class, () -> os.setCloseOnExec(closed));
        assertTrue(x.getMessage().contains("fcntl(" + closed), x.getMessage());
        assertEquals(9, x.errno()); // EBADF
        x = assertThrows(OsException.class, () -> os.duplicate(closed, 3));
        assertTrue(x.getMessage().contains(String.valueOf(closed)), x.getMessage());
        x = assertThrows(OsException.class, () -> os.duplicateOnto(closed, 6001));
        assertTrue(x.getMessage().contains("dup2(" + closed + ", 6001)"), x.getMessage());
        assertFalse(os.describe(6001).isOpen());
    }

    // ---- spawn, reap, signal ----------------------------------------------------------------------------------

    /** The output of {@code ls -l /proc/self/fd/} as fd number to link target. */
    private static Map<Integer, String> parseFdListing(String listing)
    {
        Map<Integer, String> fds = new TreeMap<>();
        Matcher line = Pattern.compile("(?m)^l\\S+\\s.*?\\s(\\d+) -> (.*)$").matcher(listing);
        while (line.find())
            fds.put(Integer.parseInt(line.group(1)), line.group(2));
        return fds;
    }

    /** What a child wrote, how it ended, and the link target of the socket mapped into it. */
    private record ChildRun(String output, ExitStatus status, String socketTarget)
    {
    }

    /**
     * Spawns {@code /bin/sh -c script} with fd {@code target} of the child mapped to one end of a fresh socket pair,
     * and reads what the child writes there until it exits.
     */
    private ChildRun runShell(String script, int target) throws Exception
    {
        int[] pair = pair();
        String socketTarget = os.describe(pair[1]).target();
        int pid = spawn(List.of("/bin/sh", "-c", script), CHILD_ENV, Map.of(target, pair[1]));
        os.close(pair[1]); // only the child's copy is left: end of stream when it exits
        String output = readAll(pair[0]);
        return new ChildRun(output, reap(pid), socketTarget);
    }

    @Test
    void spawnedChildHasExactlyTheMappedFds() throws Exception
    {
        // A file this JVM opens has no FD_CLOEXEC: the spawn itself must keep it out of the child.
        Path file = Files.writeString(tmp.resolve("leak.txt"), "x").toRealPath();
        closing(FileChannel.open(file, StandardOpenOption.READ));

        ChildRun run = runShell("ls -l /proc/self/fd/ >&3; echo done >&3; exit 3", 3);
        assertEquals(new ExitStatus(3, 0), run.status());
        assertTrue(run.output().endsWith("done\n"), run.output());

        Map<Integer, String> fds = parseFdListing(run.output());
        // ls opens /proc/self/fd itself (at the lowest free fd) to read it: exactly one such fd, then 0-3.
        List<Integer> listingFds = fds.entrySet().stream().filter(e -> e.getValue().matches("/proc/\\d+/fd")).map(Map.Entry::getKey).toList();
        assertEquals(List.of(4), listingFds, () -> "ls's own directory fd: " + run.output());
        Set<Integer> rest = new HashSet<>(fds.keySet());
        rest.removeAll(listingFds);
        assertEquals(Set.of(0, 1, 2, 3), rest, () -> "child fds: " + run.output());
        assertEquals(run.socketTarget(), fds.get(3), "fd 3 is the mapped socket");
        assertEquals(run.socketTarget(), fds.get(1), "stdout was redirected to fd 3 by the shell");
        assertFalse(fds.containsValue(file.toString()), "the JVM's open file leaked into the child");
    }

    @Test
    void spawnedChildHasExactlyTheMappedFdsAtAHigherTarget() throws Exception
    {
        // Make sure an fd without FD_CLOEXEC sits below the target, in the range the spawn's close-from does not cover.
        Path file = Files.writeString(tmp.resolve("gap.txt"), "x").toRealPath();
        closing(FileChannel.open(file, StandardOpenOption.READ));
        int fileFd = findFd(d -> file.toString().equals(d.target()));
        assertFalse(closeOnExec(fileFd), "precondition: the JDK opened the file without FD_CLOEXEC");
        int target = fileFd + 1;
        int[] pair = pair();
        String socketTarget = os.describe(pair[1]).target();
        Path out = tmp.resolve("gap-listing.txt");

        // dash redirects single-digit fds only: the child writes its listing to a file instead.
        int pid = spawn(List.of("/bin/sh", "-c", "ls -l /proc/self/fd/ > \"$1\"", "sh", out.toString()), CHILD_ENV, Map.of(target, pair[1]));
        assertEquals(new ExitStatus(0, 0), reap(pid));
        String listing = Files.readString(out);
        ChildRun run = new ChildRun(listing, null, socketTarget);
        Map<Integer, String> fds = parseFdListing(run.output());
        assertFalse(fds.containsValue(file.toString()),
            () -> "fd " + fileFd + " of the parent (" + file + ") leaked into a child whose only mapped fd is " + target + ": " + run.output());
        assertEquals(run.socketTarget(), fds.get(target));
        Set<Integer> others = new HashSet<>(fds.keySet());
        others.removeIf(fd -> fd <= 2 || fd == target || fds.get(fd).matches("/proc/\\d+/fd"));
        assertEquals(Set.of(), others, () -> "child fds: " + run.output());
    }

    @Test
    void spawnedChildHasAnEmptySignalMaskAndDefaultDispositions() throws Exception
    {
        // HotSpot threads block SIGQUIT (SigBlk 0x4): posix_spawn would hand that mask to the child unless told not to.
        // The child is sleep itself, not a shell: dash clears its signal mask at startup and would hide the problem.
        String spawningThread = Files.readAllLines(Path.of("/proc/thread-self/status")).stream().filter(l -> l.startsWith("SigBlk:")).findFirst().orElse("?");
        int pid = spawn(List.of("sleep", "30"), CHILD_ENV, Map.of());
        awaitExec(pid, "sleep\0" + "30\0");
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertTrue(status.contains("\nSigBlk:\t0000000000000000\n"),
            () -> "blocked signals in the child: " + status + " (spawning thread: " + spawningThread + ")");
        // The classic signals (1-31) at their defaults, except those this JVM found ignored at its start (none when
        // the build runs in a terminal; SIGINT when it runs as a background job of a non-interactive shell).
        assertEquals(os.ignoredAtStart(), LinuxOs.ignoredSignals(status), () -> "ignored signals in the child: " + status);
        assertTrue(os.signal(pid, Os.Signal.KILL));
        assertEquals(new ExitStatus(-1, 9), reap(pid));
    }

    @Test
    void ignoredSignalsAreReadFromTheSigIgnMask()
    {
        assertEquals(Set.of(), LinuxOs.ignoredSignals("Name:\tjava\nSigIgn:\t0000000000000000\n"));
        // nohup in a background job: HUP (bit 0) and INT (bit 1); QUIT (bit 2); USR1 is 10 (bit 9); bits past 31 are not classic signals.
        assertEquals(Set.of(1, 2, 3, 10), LinuxOs.ignoredSignals("SigPnd:\t0000000000000000\nSigIgn:\t0000000100000207\nSigCgt:\t0000000000004000\n"));
        assertEquals(Set.of(), LinuxOs.ignoredSignals("no such line"));
    }

    @Test
    void spawnedChildIgnoresWhatThisProcessIgnoredAtStartEvenWhereItHasAHandlerNow() throws Exception
    {
        // This JVM handles HUP (its shutdown hook handler) and, here, USR1; an Os that found both ignored at its start
        // must start children with both ignored all the same, and leave this JVM's handlers as they were.
        LinuxOs started = new LinuxOs(Set.of(1, 10));
        java.util.concurrent.CountDownLatch usr1 = new java.util.concurrent.CountDownLatch(1);
        sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("USR1"), s -> usr1.countDown());
        try
        {
            String handledBefore = statusLine("SigCgt");
            String ignoredBefore = statusLine("SigIgn");
            int pid = started.spawn(List.of("sleep", "30"), CHILD_ENV, Map.of());
            children.add(pid);
            awaitExec(pid, "sleep\0" + "30\0");
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            // Exactly those: whatever else this JVM ignores now is not what that Os recorded.
            assertEquals(Set.of(1, 10), LinuxOs.ignoredSignals(status), () -> "ignored signals in the child: " + status);
            assertEquals(handledBefore, statusLine("SigCgt"), "this JVM's handlers are back after the spawn");
            assertEquals(ignoredBefore, statusLine("SigIgn"), "this JVM ignores what it did before the spawn");
            sun.misc.Signal.raise(new sun.misc.Signal("USR1"));
            assertTrue(usr1.await(10, java.util.concurrent.TimeUnit.SECONDS), "the USR1 handler still runs");
            assertTrue(started.signal(pid, Os.Signal.KILL));
            assertEquals(new ExitStatus(-1, 9), reap(pid));
        }
        finally
        {
            sun.misc.Signal.handle(new sun.misc.Signal("USR1"), before);
        }
    }

    private static String statusLine(String name) throws IOException
    {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow();
    }

    /**
     * Waits until the child's new program image has its arguments. posix_spawn returns once the exec has replaced the
     * child's memory, which is a moment before the kernel has copied the arguments and environment into it.
     */
    private static void awaitExec(int pid, String cmdline) throws Exception
    {
        long deadline = System.nanoTime() + 10_000_000_000L;
        Path file = Path.of("/proc/" + pid + "/cmdline");
        while (!Files.readString(file).equals(cmdline))
        {
            if (System.nanoTime() > deadline)
                fail("child " + pid + " did not exec '" + cmdline.replace('\0', ' ') + "' within 10 s: " + Files.readString(file));
            Thread.onSpinWait();
        }
    }

    @Test
    void spawnedChildGetsExactlyTheGivenEnvironment() throws Exception
    {
        int pid = spawn(List.of("sleep", "30"), CHILD_ENV, Map.of());
        awaitExec(pid, "sleep\0" + "30\0");
        // The environment the kernel gave the exec'd program, read from outside: no shell adds to it.
        String environ = Files.readString(Path.of("/proc/" + pid + "/environ"));
        Map<String, String> env = new LinkedHashMap<>();
        for (String entry : environ.split("\0"))
        {
            int equals = entry.indexOf('=');
            env.put(entry.substring(0, equals), entry.substring(equals + 1));
        }
        assertEquals(CHILD_ENV, env);
        assertTrue(os.signal(pid, Os.Signal.KILL));
        assertEquals(new ExitStatus(-1, 9), reap(pid));
    }

    @Test
    void spawnWithEmptyEnvironmentAndNoFds() throws Exception
    {
        int pid = spawn(List.of("/bin/sleep", "30"), Map.of(), Map.of());
        awaitExec(pid, "/bin/sleep\0" + "30\0");
        assertEquals("", Files.readString(Path.of("/proc/" + pid + "/environ")));
        assertTrue(os.signal(pid, Os.Signal.KILL));
        assertEquals(new ExitStatus(-1, 9), reap(pid));
    }

    @Test
    void spawnOfAMissingProgramFailsNamingIt()
    {
        OsException x = assertThrows(OsException.class, () -> spawn(List.of("jetty-graceful-no-such-program"), CHILD_ENV, Map.of()));
        assertTrue(x.getMessage().contains("jetty-graceful-no-such-program"), x.getMessage());
        assertTrue(x.getMessage().contains("no such program"), x.getMessage());

        x = assertThrows(OsException.class, () -> spawn(List.of("/nonexistent/dir/prog", "arg"), CHILD_ENV, Map.of()));
        assertTrue(x.getMessage().contains("/nonexistent/dir/prog"), x.getMessage());
    }

    @Test
    void spawnRejectsTargetsBelowThreeAndEmptyCommands() throws Exception
    {
        int[] pair = pair();
        OsException x = assertThrows(OsException.class, () -> spawn(List.of("true"), CHILD_ENV, Map.of(1, pair[0])));
        assertTrue(x.getMessage().contains("target fd 1"), x.getMessage());
        assertThrows(OsException.class, () -> spawn(List.of(), CHILD_ENV, Map.of()));
    }

    @Test
    void spawnPassesArgumentsUnchanged() throws Exception
    {
        int[] pair = pair();
        int pid = spawn(List.of("/bin/sh", "-c", "printf '%s|' \"$@\" >&3", "sh", "a b", "", "*", "ü"), CHILD_ENV, Map.of(3, pair[1]));
        os.close(pair[1]);
        String output = readAll(pair[0]);
        assertEquals(new ExitStatus(0, 0), reap(pid));
        assertEquals("a b||*|ü|", output);
    }

    @Test
    void reapReportsTheExitCode() throws Exception
    {
        int pid = spawn(List.of("/bin/sh", "-c", "exit 42"), CHILD_ENV, Map.of());
        assertEquals(new ExitStatus(42, 0), reap(pid));
        assertThrows(OsException.class, () -> os.reap(pid, true), "a reaped child cannot be reaped again");
    }

    @Test
    void nonBlockingReapIsNullWhileRunningThenTermGivesSignal15() throws Exception
    {
        int pid = spawn(List.of("sleep", "30"), CHILD_ENV, Map.of());
        assertNull(os.reap(pid, false), "still running");
        assertTrue(os.signal(pid, Os.Signal.ZERO), "alive");
        assertTrue(os.signal(pid, Os.Signal.TERM));
        assertEquals(new ExitStatus(-1, 15), reap(pid));
        assertEquals("killed by signal 15", new ExitStatus(-1, 15).toString());
    }

    @Test
    void signalToAMissingProcessReturnsFalse() throws Exception
    {
        int pid = spawn(List.of("/bin/sh", "-c", "exit 0"), CHILD_ENV, Map.of());
        assertEquals(new ExitStatus(0, 0), reap(pid));
        assertFalse(os.signal(pid, Os.Signal.ZERO), "a reaped child no longer exists");
    }

    // ---- datagrams ----------------------------------------------------------------------------------------------

    @Test
    void sendDatagramToAMissingSocketFailsNamingTheAddress()
    {
        String address = tmp.resolve("no-such-notify.sock").toString();
        OsException x = assertThrows(OsException.class, () -> os.sendDatagram(address, "READY=1".getBytes(StandardCharsets.UTF_8)));
        assertTrue(x.getMessage().contains(address), x.getMessage());
    }

    @Test
    void seqPacketMessagesCarryUpTo253FdsEachWholeAndApart() throws Exception
    {
        int[] pair = os.seqPacketPair();
        fdsToClose.add(pair[0]);
        fdsToClose.add(pair[1]);
        Path file = Files.writeString(tmp.resolve("passed"), "x");
        FileChannel opened = closing(FileChannel.open(file, StandardOpenOption.READ));
        int fd = -1;
        for (int candidate : os.openFds())
        {
            if (file.toString().equals(os.describe(candidate).target()))
                fd = candidate;
        }
        assertTrue(fd >= 0 && opened.isOpen());
        int[] many = new int[Os.MAX_FDS_PER_MESSAGE];
        Arrays.fill(many, fd);
        os.sendFds(pair[0], "first".getBytes(StandardCharsets.US_ASCII), many);
        os.sendFds(pair[0], "second".getBytes(StandardCharsets.US_ASCII), new int[0]);
        assertThrows(OsException.class, () -> os.sendFds(pair[0], new byte[1], new int[Os.MAX_FDS_PER_MESSAGE + 1]));

        Os.FdMessage first = os.receiveFds(pair[1], 64, 5000);
        assertEquals("first", new String(first.payload(), StandardCharsets.US_ASCII));
        assertEquals(Os.MAX_FDS_PER_MESSAGE, first.fds().length);
        assertFalse(first.fdsTruncated());
        for (int received : first.fds())
        {
            assertEquals(file.toString(), os.describe(received).target(), "each fd refers to the file sent");
            assertTrue(cloexec(received), "received with FD_CLOEXEC");
            os.close(received);
        }
        Os.FdMessage second = os.receiveFds(pair[1], 64, 5000);
        assertEquals("second", new String(second.payload(), StandardCharsets.US_ASCII), "messages stay apart");
        assertEquals(0, second.fds().length);
        assertNull(os.receiveFds(pair[1], 64, 50), "nothing more: a timeout");
        os.close(pair[0]);
        assertTrue(os.receiveFds(pair[1], 64, 5000).endOfStream());
    }

    @Test
    void peerAddressOfAConnectedSocket() throws Exception
    {
        ServerSocketChannel server = closing(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel client = closing(SocketChannel.open(server.getLocalAddress()));
        SocketChannel accepted = closing(server.accept());
        for (int fd : os.openFds())
        {
            FdDescription description = os.describe(fd);
            if (description.isSocket() && client.getLocalAddress().equals(description.socket().local()))
                assertEquals(server.getLocalAddress(), os.peerAddress(fd));
            if (description.isSocket() && accepted.getLocalAddress().equals(description.socket().local()) && !description.socket().listening())
                assertEquals(client.getLocalAddress(), os.peerAddress(fd));
        }
    }

    private static boolean cloexec(int fd) throws IOException
    {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)))
        {
            if (line.startsWith("flags:"))
                return (Integer.parseInt(line.substring(6).trim(), 8) & O_CLOEXEC) != 0;
        }
        return false;
    }
}
