package io.jettygraceful.internal.os;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import io.jettygraceful.ExitStatus;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * {@link Os} for Linux (glibc or musl, x86_64 and aarch64: the constants below are the same on both), through
 * jnr-ffi. Thread-safe: it keeps no state besides the loaded library.
 */
final class LinuxOs implements Os
{
    private static final int F_GETFD = 1;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SO_DOMAIN = 39;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int WNOHANG = 1;
    private static final int EINTR = 4;
    private static final int ENOENT = 2;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POLLIN = 0x1;
    private static final int SIGINT = 2;
    private static final int SIGKILL = 9;
    private static final int SIGTERM = 15;
    private static final int SIGSTOP = 19;
    /** sa_handler values; sa_handler is the first member of glibc's and musl's struct sigaction on x86_64 and aarch64. */
    private static final long SIG_DFL = 0;
    private static final long SIG_IGN = 1;
    private static final int SIGHUP = 1;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_UNBLOCK = 1;
    private static final int EAGAIN = 11;
    private static final int ECHILD = 10;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    /** Larger than glibc's posix_spawn_file_actions_t (80), posix_spawnattr_t (336) and sigset_t (128). */
    private static final int OPAQUE_STRUCT_SIZE = 1024;

    private final LibC libc;
    private final Runtime runtime;
    private final Set<Integer> ignoredAtStart;
    private volatile boolean closeFromAvailable = true;

    /** Records {@link #ignoredAtStart()} from this process's {@code /proc/self/status}, now. */
    LinuxOs()
    {
        this(ignoredSignals(readSelfStatus()));
    }

    /** @param ignoredAtStart the signals to treat as ignored at this process's start (tests pass their own) */
    LinuxOs(Set<Integer> ignoredAtStart)
    {
        this.ignoredAtStart = Collections.unmodifiableSet(new TreeSet<>(ignoredAtStart));
        // jffi would otherwise use sun.misc.Unsafe memory access, which JDK 24+ warns about on stderr.
        if (System.getProperty("jffi.unsafe.disabled") == null)
            System.setProperty("jffi.unsafe.disabled", "true");
        libc = LibraryLoader.create(LibC.class).load("c");
        runtime = Runtime.getRuntime(libc);
        libc.getpid();
    }

    private static String readSelfStatus()
    {
        try
        {
            return Files.readString(Path.of("/proc/self/status"));
        }
        catch (IOException x)
        {
            return ""; // no /proc: treat nothing as ignored, as before
        }
    }

    /**
     * @param status the text of a {@code /proc/PID/status}
     * @return the classic signals (1-31) its {@code SigIgn} line (a hex mask, bit n-1 for signal n) names
     */
    static Set<Integer> ignoredSignals(String status)
    {
        Set<Integer> signals = new TreeSet<>();
        for (String line : status.split("\n"))
        {
            if (!line.startsWith("SigIgn:"))
                continue;
            long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
            for (int signal = 1; signal < 32; signal++)
            {
                if ((mask & (1L << (signal - 1))) != 0)
                    signals.add(signal);
            }
        }
        return signals;
    }

    @Override
    public Set<Integer> ignoredAtStart()
    {
        return ignoredAtStart;
    }

    @Override
    public void stopIgnoring(int signal) throws OsException
    {
        if (signal < 1 || signal > 31 || signal == SIGKILL || signal == SIGSTOP)
            throw new OsException("stopIgnoring: signal " + signal + " cannot be handled", 0);
        Pointer action = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        for (int source : new int[]{SIGTERM, SIGINT})
        {
            if (source == signal)
                continue;
            if (libc.sigaction(source, null, action) != 0)
                throw failure("sigaction(" + source + ")");
            long handler = action.getAddress(0);
            if (handler != SIG_DFL && handler != SIG_IGN)
            {
                if (libc.sigaction(signal, action, null) != 0)
                    throw failure("sigaction(" + signal + ")");
                return;
            }
        }
        Pointer defaults = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        if (libc.sigaction(signal, defaults, null) != 0)
            throw failure("sigaction(" + signal + ", SIG_DFL)");
    }

    @Override
    public int pid()
    {
        return libc.getpid();
    }

    @Override
    public int parentPid()
    {
        return libc.getppid();
    }

    @Override
    public int threadNice(int tid) throws OsException
    {
        runtime.setLastError(0);
        int nice = libc.getpriority(PRIO_PROCESS, tid);
        if (nice == -1 && errno() != 0)
            throw failure("getpriority(PRIO_PROCESS, " + tid + ")");
        return nice;
    }

    @Override
    public void setThreadNice(int tid, int nice) throws OsException
    {
        if (libc.setpriority(PRIO_PROCESS, tid, nice) != 0)
            throw failure("setpriority(PRIO_PROCESS, " + tid + ", " + nice + ")");
    }

    @Override
    public FdDescription describe(int fd)
    {
        String target;
        try
        {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        }
        catch (NoSuchFileException x)
        {
            return new FdDescription(fd, null, null);
        }
        catch (IOException x)
        {
            target = libc.fcntl(fd, F_GETFD, 0) < 0 ? null : "unknown";
        }
        if (target == null || !target.startsWith("socket:"))
            return new FdDescription(fd, target, null);

        int family = intOption(fd, SO_DOMAIN);
        int type = intOption(fd, SO_TYPE);
        boolean listening = intOption(fd, SO_ACCEPTCONN) == 1;
        InetSocketAddress local = null;
        int peerPid = 0;
        String unixPath = null;
        if (family == FdDescription.SocketInfo.AF_INET || family == FdDescription.SocketInfo.AF_INET6)
            local = localAddress(fd);
        else if (family == FdDescription.SocketInfo.AF_UNIX)
        {
            peerPid = peerPid(fd);
            unixPath = unixAddress(fd);
        }
        return new FdDescription(fd, target, new FdDescription.SocketInfo(family, type, listening, local, peerPid, unixPath));
    }

    private int intOption(int fd, int option)
    {
        Pointer value = Memory.allocateDirect(runtime, 4, true);
        IntByReference length = new IntByReference(4);
        if (libc.getsockopt(fd, SOL_SOCKET, option, value, length) != 0)
            return -1;
        return value.getInt(0);
    }

    private int peerPid(int fd)
    {
        Pointer ucred = Memory.allocateDirect(runtime, 12, true);
        IntByReference length = new IntByReference(12);
        if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ucred, length) != 0)
            return 0;
        return ucred.getInt(0);
    }

    /**
     * @return the {@code sun_path} of a Unix-domain socket's address (struct sockaddr_un: a 2-byte family, then up to
     * 108 bytes): a path, {@code @name} for the abstract namespace (leading NUL), {@code ""} when unnamed, or
     * {@code null} when getsockname fails
     */
    private String unixAddress(int fd)
    {
        Pointer address = Memory.allocateDirect(runtime, 110, true);
        IntByReference length = new IntByReference(110);
        if (libc.getsockname(fd, address, length) != 0)
            return null;
        int pathLength = Math.min(108, length.intValue() - 2);
        if (pathLength <= 0)
            return "";
        byte[] path = new byte[pathLength];
        address.get(2, path, 0, pathLength);
        if (path[0] == 0)
            return "@" + new String(path, 1, pathLength - 1, java.nio.charset.StandardCharsets.UTF_8);
        int end = 0;
        while (end < pathLength && path[end] != 0)
            end++;
        return new String(path, 0, end, java.nio.charset.StandardCharsets.UTF_8);
    }

    private InetSocketAddress localAddress(int fd)
    {
        return ipAddress(fd, false);
    }

    @Override
    public InetSocketAddress peerAddress(int fd)
    {
        return ipAddress(fd, true);
    }

    private InetSocketAddress ipAddress(int fd, boolean peer)
    {
        Pointer address = Memory.allocateDirect(runtime, 128, true);
        IntByReference length = new IntByReference(128);
        if ((peer ? libc.getpeername(fd, address, length) : libc.getsockname(fd, address, length)) != 0)
            return null;
        int family = address.getShort(0) & 0xffff;
        int port = ((address.getByte(2) & 0xff) << 8) | (address.getByte(3) & 0xff);
        byte[] ip;
        if (family == FdDescription.SocketInfo.AF_INET)
        {
            ip = new byte[4];
            address.get(4, ip, 0, 4);
        }
        else
        {
            ip = new byte[16];
            address.get(8, ip, 0, 16);
        }
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        }
        catch (UnknownHostException x)
        {
            return null;
        }
    }

    @Override
    public void setCloseOnExec(int fd) throws OsException
    {
        int flags = libc.fcntl(fd, F_GETFD, 0);
        if (flags < 0 || libc.fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
            throw failure("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)");
    }

    @Override
    public int duplicate(int fd, int lowest) throws OsException
    {
        int copy = libc.fcntl(fd, F_DUPFD_CLOEXEC, lowest);
        if (copy < 0)
            throw failure("fcntl(" + fd + ", F_DUPFD_CLOEXEC, " + lowest + ")");
        return copy;
    }

    @Override
    public void duplicateOnto(int fd, int target) throws OsException
    {
        while (libc.dup2(fd, target) < 0)
        {
            if (errno() != EINTR)
                throw failure("dup2(" + fd + ", " + target + ")");
        }
    }

    @Override
    public void close(int fd)
    {
        libc.close(fd);
    }

    @Override
    public int[] socketPair() throws OsException
    {
        int[] fds = new int[2];
        if (libc.socketpair(FdDescription.SocketInfo.AF_UNIX, FdDescription.SocketInfo.SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw failure("socketpair(AF_UNIX, SOCK_STREAM)");
        return fds;
    }

    @Override
    public int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap) throws OsException
    {
        if (argv.isEmpty())
            throw new OsException("spawn: empty command", 0);
        int firstFree = 3;
        for (int target : fdMap.keySet())
        {
            if (target < 3)
                throw new OsException("spawn: target fd " + target + " is below 3", 0);
            firstFree = Math.max(firstFree, target + 1);
        }

        // Copy every source above every target first, so that no dup2 in the child overwrites a source it still needs.
        List<Integer> staged = new ArrayList<>();
        Pointer actions = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        Pointer attributes = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        boolean actionsReady = false;
        boolean attributesReady = false;
        try
        {
            checkZero(libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            for (Map.Entry<Integer, Integer> entry : fdMap.entrySet())
            {
                int copy = duplicate(entry.getValue(), firstFree);
                staged.add(copy);
                checkZero(libc.posix_spawn_file_actions_adddup2(actions, copy, entry.getKey()), "posix_spawn_file_actions_adddup2");
            }
            // Targets need not be contiguous: close every other fd below the highest target too.
            for (int fd = 3; fd < firstFree; fd++)
            {
                if (!fdMap.containsKey(fd))
                    checkZero(libc.posix_spawn_file_actions_addclose(actions, fd), "posix_spawn_file_actions_addclose");
            }
            addCloseAllFrom(actions, firstFree);

            checkZero(libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            attributesReady = true;
            Pointer emptyMask = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
            libc.sigemptyset(emptyMask);
            Pointer defaults = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
            libc.sigemptyset(defaults);
            for (int signal = 1; signal < 32; signal++)
            {
                if (signal != SIGKILL && signal != SIGSTOP && !ignoredAtStart.contains(signal))
                    libc.sigaddset(defaults, signal);
            }
            checkZero(libc.posix_spawnattr_setsigmask(attributes, emptyMask), "posix_spawnattr_setsigmask");
            checkZero(libc.posix_spawnattr_setsigdefault(attributes, defaults), "posix_spawnattr_setsigdefault");
            checkZero(libc.posix_spawnattr_setflags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "posix_spawnattr_setflags");

            List<String> envList = new ArrayList<>(env.size());
            env.forEach((k, v) -> envList.add(k + "=" + v));
            int[] pid = new int[1];
            int error;
            Map<Integer, Pointer> handled = ignoreWhileSpawning();
            try
            {
                error = libc.posix_spawnp(pid, argv.get(0), actions, attributes, stringArray(argv), stringArray(envList));
            }
            finally
            {
                handled.forEach((signal, action) -> libc.sigaction(signal, action, null));
            }
            if (error != 0)
                throw new OsException("cannot start " + argv.get(0) + ": " + libc.strerror(error) +
                    (error == ENOENT ? " (no such program on PATH)" : ""), error);
            return pid[0];
        }
        finally
        {
            if (actionsReady)
                libc.posix_spawn_file_actions_destroy(actions);
            if (attributesReady)
                libc.posix_spawnattr_destroy(attributes);
            for (int copy : staged)
                libc.close(copy);
        }
    }

    @Override
    public void warmUp()
    {
        try
        {
            int[] pair = socketPair();
            try
            {
                write(pair[0], new byte[] {'\n'});
                read(pair[1], new byte[1], 0);
                describe(pair[0]);
            }
            finally
            {
                close(pair[0]);
                close(pair[1]);
            }
            try
            {
                spawn(List.of("/nonexistent/jetty-graceful-warm-up"), Map.of(), Map.of());
            }
            catch (OsException expected)
            {
                // ENOENT: glibc reaps the child whose exec failed
            }
            try
            {
                reap(Integer.MAX_VALUE, false);
            }
            catch (OsException expected)
            {
                // ECHILD
            }
            signal(Integer.MAX_VALUE, Signal.ZERO);
            openFds();
        }
        catch (Throwable x)
        {
            // a warm-up only: the real call will report its own failure
        }
    }

    /**
     * posix_spawn keeps a signal ignored in the child only if it is ignored here at the spawn; one that this process
     * handles (a restart trigger taken although it was ignored at start, a handler the application installed) reaches
     * the child at its default. So every signal of {@link #ignoredAtStart()} is ignored here for the moment of the
     * spawn (a few hundred microseconds: such a signal arriving then is dropped, which for the restart trigger is what
     * a trigger during a restart gets anyway) and put back right after it.
     *
     * @return the signals changed, with the action to put back
     */
    private Map<Integer, Pointer> ignoreWhileSpawning() throws OsException
    {
        Map<Integer, Pointer> changed = new LinkedHashMap<>();
        Pointer ignore = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        ignore.putAddress(0, SIG_IGN);
        for (int signal : ignoredAtStart)
        {
            Pointer old = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
            if (libc.sigaction(signal, null, old) != 0)
                throw failure("sigaction(" + signal + ")");
            if (old.getAddress(0) == SIG_IGN)
                continue;
            if (libc.sigaction(signal, ignore, null) != 0)
            {
                OsException failure = failure("sigaction(" + signal + ", SIG_IGN)");
                changed.forEach((s, action) -> libc.sigaction(s, action, null));
                throw failure;
            }
            changed.put(signal, old);
        }
        return changed;
    }

    private void addCloseAllFrom(Pointer actions, int from) throws OsException
    {
        if (closeFromAvailable)
        {
            try
            {
                checkZero(libc.posix_spawn_file_actions_addclosefrom_np(actions, from), "posix_spawn_file_actions_addclosefrom_np");
                return;
            }
            catch (UnsatisfiedLinkError x)
            {
                closeFromAvailable = false;
            }
        }
        // Older C libraries: close what is open now. An fd opened by another thread after this listing would leak.
        for (int fd : openFds())
        {
            if (fd >= from)
                checkZero(libc.posix_spawn_file_actions_addclose(actions, fd), "posix_spawn_file_actions_addclose");
        }
    }

    private Pointer stringArray(List<String> strings)
    {
        int size = runtime.addressSize();
        Pointer array = Memory.allocateDirect(runtime, (strings.size() + 1) * size, true);
        for (int i = 0; i < strings.size(); i++)
        {
            byte[] bytes = strings.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer string = Memory.allocateDirect(runtime, bytes.length + 1, true);
            string.put(0, bytes, 0, bytes.length);
            array.putPointer((long)i * size, string);
        }
        return array;
    }

    @Override
    public ExitStatus reap(int pid, boolean block) throws OsException
    {
        int[] status = new int[1];
        while (true)
        {
            int result = libc.waitpid(pid, status, block ? 0 : WNOHANG);
            if (result == pid)
                return ExitStatus.fromWaitStatus(status[0]);
            if (result == 0)
                return null;
            if (errno() != EINTR)
                throw failure("waitpid(" + pid + ")");
        }
    }

    @Override
    public ChildExit reapAnyChild() throws OsException
    {
        int[] status = new int[1];
        while (true)
        {
            int result = libc.waitpid(-1, status, WNOHANG);
            if (result > 0)
                return new ChildExit(result, ExitStatus.fromWaitStatus(status[0]));
            if (result == 0)
                return null;
            int errno = errno();
            if (errno == ECHILD)
                return ChildExit.NO_CHILDREN;
            if (errno != EINTR)
                throw failure("waitpid(-1)");
        }
    }

    @Override
    public void becomeChildSubreaper() throws OsException
    {
        if (libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            throw failure("prctl(PR_SET_CHILD_SUBREAPER)");
    }

    @Override
    public void exec(String program, List<String> argv, Map<String, String> env, List<Integer> keepFds) throws OsException
    {
        if (argv.isEmpty() || !program.startsWith("/"))
            throw new OsException("exec: needs an absolute program path and arguments, got " + program + " " + argv, 0);
        for (int fd : openFds())
        {
            if (fd > 2 && !keepFds.contains(fd))
                libc.fcntl(fd, F_SETFD, FD_CLOEXEC); // an fd closed meanwhile (the listing's own) is no error
        }
        for (int fd : keepFds)
        {
            int flags = libc.fcntl(fd, F_GETFD, 0);
            if (flags < 0 || libc.fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                throw failure("fcntl(" + fd + ", F_SETFD, 0)");
        }
        List<String> envList = new ArrayList<>(env.size());
        env.forEach((k, v) -> envList.add(k + "=" + v));
        Pointer argvArray = stringArray(argv);
        Pointer envArray = stringArray(envList);
        Pointer mask = terminationSignals();
        checkZero(libc.pthread_sigmask(SIG_BLOCK, mask, null), "pthread_sigmask(SIG_BLOCK)");
        libc.execve(program, argvArray, envArray);
        OsException failed = failure("execve(" + program + ")");
        libc.pthread_sigmask(SIG_UNBLOCK, mask, null);
        for (int fd : keepFds)
            libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
        throw failed;
    }

    @Override
    public Signal awaitTerminationSignal(long timeoutMillis) throws OsException
    {
        Pointer timeout = Memory.allocateDirect(runtime, 16, true);
        timeout.putLong(0, timeoutMillis / 1000);
        timeout.putLong(8, (timeoutMillis % 1000) * 1_000_000L);
        Pointer info = Memory.allocateDirect(runtime, 128, true);
        int number = libc.sigtimedwait(terminationSignals(), info, timeout);
        if (number < 0)
        {
            int errno = errno();
            if (errno == EAGAIN || errno == EINTR)
                return null;
            throw failure("sigtimedwait");
        }
        return switch (number)
        {
            case SIGTERM -> Signal.TERM;
            case SIGINT -> Signal.INT;
            case SIGHUP -> Signal.HUP;
            default -> null;
        };
    }

    private Pointer terminationSignals()
    {
        Pointer mask = Memory.allocateDirect(runtime, OPAQUE_STRUCT_SIZE, true);
        libc.sigemptyset(mask);
        libc.sigaddset(mask, SIGTERM);
        libc.sigaddset(mask, SIGINT);
        libc.sigaddset(mask, SIGHUP);
        return mask;
    }

    @Override
    public boolean signal(int pid, Signal signal) throws OsException
    {
        if (libc.kill(pid, signal.number()) == 0)
            return true;
        if (errno() == 3) // ESRCH
            return false;
        throw failure("kill(" + pid + ", SIG" + signal + ")");
    }

    @Override
    public int read(int fd, byte[] buffer, long timeoutMillis) throws OsException
    {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true)
        {
            if (!awaitReadable(fd, deadline))
                return -1;
            long count = libc.read(fd, buffer, buffer.length);
            if (count >= 0)
                return (int)count;
            if (errno() != EINTR)
                throw failure("read(" + fd + ")");
        }
    }

    @Override
    public void write(int fd, byte[] data) throws OsException
    {
        int offset = 0;
        while (offset < data.length)
        {
            byte[] rest = offset == 0 ? data : java.util.Arrays.copyOfRange(data, offset, data.length);
            long count = libc.write(fd, rest, rest.length);
            if (count < 0)
            {
                if (errno() == EINTR)
                    continue;
                throw failure("write(" + fd + ")");
            }
            offset += (int)count;
        }
    }

    @Override
    public void unsetEnvironmentVariable(String name) throws OsException
    {
        if (libc.unsetenv(name) != 0)
            throw failure("unsetenv(" + name + ")");
    }

    @Override
    public List<Integer> openFds() throws OsException
    {
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd")))
        {
            List<Integer> fds = new ArrayList<>();
            entries.forEach(p -> fds.add(Integer.parseInt(p.getFileName().toString())));
            fds.sort(null);
            return fds;
        }
        catch (IOException x)
        {
            throw new OsException("cannot list /proc/self/fd: " + x.getMessage(), 0);
        }
    }

    @Override
    public void sendDatagram(String address, byte[] payload, int[] fds) throws OsException
    {
        byte[] path = address.getBytes(StandardCharsets.UTF_8);
        boolean abstractAddress = address.startsWith("@");
        if (path.length > 107)
            throw new OsException("Unix socket address too long (" + path.length + " bytes, at most 107): " + address, 0);
        if (fds.length > 0 && runtime.addressSize() != 8)
            throw new OsException("passing file descriptors is implemented for 64-bit Linux only", 0);
        Pointer sockaddr = Memory.allocateDirect(runtime, 110, true);
        sockaddr.putShort(0, (short)FdDescription.SocketInfo.AF_UNIX);
        sockaddr.put(2, path, 0, path.length);
        if (abstractAddress)
            sockaddr.putByte(2, (byte)0);
        int length = 2 + path.length + (abstractAddress ? 0 : 1);

        int fd = libc.socket(FdDescription.SocketInfo.AF_UNIX, FdDescription.SocketInfo.SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw failure("socket(AF_UNIX, SOCK_DGRAM)");
        try
        {
            Pointer buffer = Memory.allocateDirect(runtime, Math.max(1, payload.length), true);
            buffer.put(0, payload, 0, payload.length);
            if (fds.length == 0)
            {
                while (libc.sendto(fd, buffer, payload.length, MSG_NOSIGNAL, sockaddr, length) < 0)
                {
                    if (errno() != EINTR)
                        throw failure("sendto(" + address + ")");
                }
                return;
            }
            // struct iovec { void *base; size_t len; }
            Pointer iov = Memory.allocateDirect(runtime, 16, true);
            iov.putAddress(0, buffer.address());
            iov.putLong(8, payload.length);
            // struct cmsghdr { size_t len; int level; int type; int fds[]; }, padded to 8 bytes (CMSG_SPACE)
            int cmsgLength = 16 + 4 * fds.length;
            int cmsgSpace = (cmsgLength + 7) & ~7;
            Pointer control = Memory.allocateDirect(runtime, cmsgSpace, true);
            control.putLong(0, cmsgLength);
            control.putInt(8, SOL_SOCKET);
            control.putInt(12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++)
                control.putInt(16 + 4L * i, fds[i]);
            // struct msghdr { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen; void *control; size_t controllen; int flags; }
            Pointer message = Memory.allocateDirect(runtime, 56, true);
            message.putAddress(0, sockaddr.address());
            message.putInt(8, length);
            message.putAddress(16, iov.address());
            message.putLong(24, 1);
            message.putAddress(32, control.address());
            message.putLong(40, cmsgSpace);
            message.putInt(48, 0);
            while (libc.sendmsg(fd, message, MSG_NOSIGNAL) < 0)
            {
                if (errno() != EINTR)
                    throw failure("sendmsg(" + address + ", " + fds.length + " fd(s))");
            }
        }
        finally
        {
            libc.close(fd);
        }
    }

    private static final int PRIO_PROCESS = 0;
    private static final int SOCK_SEQPACKET = 5;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    @Override
    public int[] seqPacketPair() throws OsException
    {
        int[] fds = new int[2];
        if (libc.socketpair(FdDescription.SocketInfo.AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
            throw failure("socketpair(AF_UNIX, SOCK_SEQPACKET)");
        return fds;
    }

    @Override
    public void sendFds(int fd, byte[] payload, int[] fds) throws OsException
    {
        if (fds.length > MAX_FDS_PER_MESSAGE)
            throw new OsException("at most " + MAX_FDS_PER_MESSAGE + " fds fit in one message (SCM_MAX_FD), not " + fds.length, 0);
        if (runtime.addressSize() != 8)
            throw new OsException("passing file descriptors is implemented for 64-bit Linux only", 0);
        Pointer buffer = Memory.allocateDirect(runtime, Math.max(1, payload.length), true);
        buffer.put(0, payload, 0, payload.length);
        Pointer iov = Memory.allocateDirect(runtime, 16, true);
        iov.putAddress(0, buffer.address());
        iov.putLong(8, payload.length);
        Pointer message = Memory.allocateDirect(runtime, 56, true);
        message.putAddress(16, iov.address());
        message.putLong(24, 1);
        if (fds.length > 0)
        {
            int cmsgLength = 16 + 4 * fds.length;
            int cmsgSpace = (cmsgLength + 7) & ~7;
            Pointer control = Memory.allocateDirect(runtime, cmsgSpace, true);
            control.putLong(0, cmsgLength);
            control.putInt(8, SOL_SOCKET);
            control.putInt(12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++)
                control.putInt(16 + 4L * i, fds[i]);
            message.putAddress(32, control.address());
            message.putLong(40, cmsgSpace);
        }
        while (true)
        {
            long sent = libc.sendmsg(fd, message, MSG_NOSIGNAL);
            if (sent == payload.length)
                return;
            if (sent >= 0)
                throw new OsException("sendmsg(" + fd + ") sent " + sent + " of " + payload.length + " bytes", 0);
            if (errno() != EINTR)
                throw failure("sendmsg(" + fd + ", " + fds.length + " fd(s))");
        }
    }

    @Override
    public FdMessage receiveFds(int fd, int maxBytes, long timeoutMillis) throws OsException
    {
        if (runtime.addressSize() != 8)
            throw new OsException("passing file descriptors is implemented for 64-bit Linux only", 0);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true)
        {
            if (!awaitReadable(fd, deadline))
                return null;
            Pointer buffer = Memory.allocateDirect(runtime, Math.max(1, maxBytes), true);
            Pointer iov = Memory.allocateDirect(runtime, 16, true);
            iov.putAddress(0, buffer.address());
            iov.putLong(8, maxBytes);
            int controlSpace = (16 + 4 * MAX_FDS_PER_MESSAGE + 7) & ~7;
            Pointer control = Memory.allocateDirect(runtime, controlSpace, true);
            Pointer message = Memory.allocateDirect(runtime, 56, true);
            message.putAddress(16, iov.address());
            message.putLong(24, 1);
            message.putAddress(32, control.address());
            message.putLong(40, controlSpace);
            long count = libc.recvmsg(fd, message, MSG_CMSG_CLOEXEC);
            if (count < 0)
            {
                if (errno() == EINTR)
                    continue;
                throw failure("recvmsg(" + fd + ")");
            }
            int flags = message.getInt(48);
            long controlLength = message.getLong(40);
            List<Integer> fds = new ArrayList<>();
            long offset = 0;
            // struct cmsghdr { size_t len; int level; int type; unsigned char data[]; }, each padded to 8 bytes
            while (offset + 16 <= controlLength)
            {
                long length = control.getLong(offset);
                if (length < 16)
                    break;
                if (control.getInt(offset + 8) == SOL_SOCKET && control.getInt(offset + 12) == SCM_RIGHTS)
                {
                    for (long i = offset + 16; i + 4 <= offset + length; i += 4)
                        fds.add(control.getInt(i));
                }
                offset += (length + 7) & ~7L;
            }
            byte[] payload = new byte[(int)count];
            buffer.get(0, payload, 0, payload.length);
            return new FdMessage(payload, fds.stream().mapToInt(Integer::intValue).toArray(),
                (flags & MSG_CTRUNC) != 0, (flags & MSG_TRUNC) != 0, count == 0 && fds.isEmpty());
        }
    }

    /**
     * Polls {@code fd} for input until {@code deadline} ({@link System#nanoTime()}), through EINTR.
     *
     * @return false when the deadline passed with nothing to read
     */
    private boolean awaitReadable(int fd, long deadline) throws OsException
    {
        Pointer pollFd = Memory.allocateDirect(runtime, 8, true);
        while (true)
        {
            long remaining = Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            pollFd.putInt(0, fd);
            pollFd.putShort(4, POLLIN);
            pollFd.putShort(6, (short)0);
            int ready = libc.poll(pollFd, 1, (int)Math.min(Integer.MAX_VALUE, remaining));
            if (ready >= 0)
                return ready > 0;
            if (errno() != EINTR)
                throw failure("poll(" + fd + ")");
        }
    }

    private int errno()
    {
        return runtime.getLastError();
    }

    private void checkZero(int result, String call) throws OsException
    {
        if (result != 0)
            throw new OsException(call + " failed: " + libc.strerror(result), result);
    }

    private OsException failure(String call)
    {
        int errno = errno();
        return new OsException(call + " failed: " + libc.strerror(errno), errno);
    }
}
