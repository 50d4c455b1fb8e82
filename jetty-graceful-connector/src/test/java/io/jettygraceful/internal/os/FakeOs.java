package io.jettygraceful.internal.os;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.internal.os.FdDescription.SocketInfo;

/**
 * A test {@link Os}: tests declare what each fd is, and script processes and control-socket traffic. Every call is
 * recorded so tests can assert what the code under test did (and did not) touch. Thread-safe.
 *
 * <p>Fds: declare with {@link #file}, {@link #pipe}, {@link #devNull}, {@link #udp}, {@link #tcp},
 * {@link #listening}, {@link #unixListening}, {@link #unixPeer}; an fd never declared (or {@link #closed}) is not
 * open. {@link #describeCount(int)} and {@link #closeOnExecFds()} tell what was looked at and marked.</p>
 *
 * <p>Processes: {@link #spawn} records a {@link Spawned} and returns a new pid (or throws what
 * {@link #failNextSpawn} set). A child runs until a test calls {@link #exit(int, ExitStatus)} (or an
 * {@link #onSignal} hook does); {@link #reap} then returns its status once.</p>
 *
 * <p>Streams: {@link #feed(int, String)} queues bytes for {@link #read}, {@link #endOfStream(int)} makes it return 0;
 * {@link #written(int)} is everything {@link #write} wrote to an fd. A {@link #read} with nothing queued waits for
 * its timeout (the code under test's own wait) and returns -1; to script a conversation without races, answer from
 * an {@link #onWrite} or {@link #onSpawn} hook, which run on the caller's thread before the call returns.</p>
 *
 * <p>{@link #events()} is the order of spawns, closes, writes, signals and reaps, for tests of ordering.</p>
 */
public class FakeOs implements Os
{
    /** How long a blocking {@link #reap} waits for a scripted exit before failing the test. */
    private static final long BLOCKING_REAP_LIMIT_MS = 30_000;
    private static final byte[] EOF = new byte[0];

    private final int pid;
    private volatile int parentPid;
    private final Map<Integer, FdDescription> fds = new TreeMap<>();
    private final Set<Integer> cloexec = new LinkedHashSet<>();
    private final List<Integer> closeOnExecCalls = new ArrayList<>();
    private final Map<Integer, Integer> describeCounts = new HashMap<>();
    private final List<Integer> closed = new ArrayList<>();
    private int inode = 1000;

    private final List<Spawned> spawned = new ArrayList<>();
    private final Map<Integer, ExitStatus> exits = new HashMap<>();
    private final Set<Integer> reaped = new LinkedHashSet<>();
    private final List<String> signals = new ArrayList<>();
    private int nextPid;
    private OsException spawnFailure;
    private volatile BiConsumer<Integer, Signal> onSignal = (p, s) -> { };
    private volatile Consumer<Spawned> onSpawn = s -> { };
    private volatile BiConsumer<Integer, String> onWrite = (f, t) -> { };
    private final List<int[]> socketPairs = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private String datagramFailure;
    private volatile Set<Integer> ignoredAtStart = Set.of();
    private volatile String stopIgnoringFailure;

    private final Map<Integer, BlockingDeque<byte[]>> incoming = new ConcurrentHashMap<>();
    private final Map<Integer, ByteArrayOutputStream> outgoing = new HashMap<>();
    private final List<String> datagrams = new ArrayList<>();

    public FakeOs()
    {
        this(4242, 4241);
    }

    public FakeOs(int pid, int parentPid)
    {
        this.pid = pid;
        this.parentPid = parentPid;
        this.nextPid = pid + 100;
    }

    /** A child started by {@link #spawn}. */
    public record Spawned(int pid, List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap)
    {
    }

    // ---- declaring fds ----------------------------------------------------------------------------------------

    public synchronized FakeOs closed(int fd)
    {
        fds.remove(fd);
        return this;
    }

    public synchronized FakeOs file(int fd, String path)
    {
        return put(new FdDescription(fd, path, null));
    }

    public FakeOs devNull(int fd)
    {
        return file(fd, "/dev/null");
    }

    public synchronized FakeOs pipe(int fd)
    {
        return put(new FdDescription(fd, "pipe:[" + (++inode) + "]", null));
    }

    public FakeOs udp(int fd, String host, int port)
    {
        return socket(fd, familyOf(host), SocketInfo.SOCK_DGRAM, false, address(host, port), 0);
    }

    /** A TCP socket that is not listening (a connected or merely bound one). */
    public FakeOs tcp(int fd, String host, int port)
    {
        return socket(fd, familyOf(host), SocketInfo.SOCK_STREAM, false, address(host, port), 0);
    }

    /** A listening TCP socket; IPv6 when {@code host} contains a colon. */
    public FakeOs listening(int fd, String host, int port)
    {
        return socket(fd, familyOf(host), SocketInfo.SOCK_STREAM, true, address(host, port), 0);
    }

    /** A listening Unix-domain stream socket bound to {@code path} ({@code @name} for the abstract namespace). */
    public synchronized FakeOs unixListening(int fd, String path)
    {
        return put(new FdDescription(fd, "socket:[" + (++inode) + "]", new SocketInfo(SocketInfo.AF_UNIX, SocketInfo.SOCK_STREAM, true, null, 0, path)));
    }

    /** A listening Unix-domain stream socket whose address is unknown (unnamed). */
    public FakeOs unixListening(int fd)
    {
        return socket(fd, SocketInfo.AF_UNIX, SocketInfo.SOCK_STREAM, true, null, 0);
    }

    /** One end of a connected Unix stream socket whose peer had pid {@code peerPid} when the pair was made. */
    public FakeOs unixPeer(int fd, int peerPid)
    {
        return socket(fd, SocketInfo.AF_UNIX, SocketInfo.SOCK_STREAM, false, null, peerPid);
    }

    public synchronized FakeOs socket(int fd, int family, int type, boolean listening, InetSocketAddress local, int peerPid)
    {
        return put(new FdDescription(fd, "socket:[" + (++inode) + "]", new SocketInfo(family, type, listening, local, peerPid)));
    }

    private synchronized FakeOs put(FdDescription description)
    {
        fds.put(description.fd(), description);
        cloexec.remove(description.fd());
        return this;
    }

    private static int familyOf(String host)
    {
        return host.contains(":") ? SocketInfo.AF_INET6 : SocketInfo.AF_INET;
    }

    private static InetSocketAddress address(String host, int port)
    {
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (UnknownHostException x)
        {
            throw new IllegalArgumentException("use a literal address, not " + host, x);
        }
    }

    // ---- what was done to fds ---------------------------------------------------------------------------------

    /** @return how often {@link #describe} was called for {@code fd} */
    public synchronized int describeCount(int fd)
    {
        return describeCounts.getOrDefault(fd, 0);
    }

    /** @return the fds {@link #setCloseOnExec} was called for, in call order */
    public synchronized List<Integer> closeOnExecCalls()
    {
        return List.copyOf(closeOnExecCalls);
    }

    /** @return the open fds that have FD_CLOEXEC now */
    public synchronized Set<Integer> closeOnExecFds()
    {
        return Set.copyOf(cloexec);
    }

    public synchronized boolean isOpen(int fd)
    {
        return fds.containsKey(fd);
    }

    /** @return the fds {@link #close} was called for, in call order */
    public synchronized List<Integer> closedFds()
    {
        return List.copyOf(closed);
    }

    /** @return the pairs {@link #socketPair} made, in order */
    public synchronized List<int[]> socketPairs()
    {
        return socketPairs.stream().map(int[]::clone).toList();
    }

    /**
     * @return what was done, in order: {@code "spawn <pid>"}, {@code "close <fd>"}, {@code "write <fd> <text>"},
     * {@code "signal <pid> <NAME>"}, {@code "reaped <pid>"}
     */
    public synchronized List<String> events()
    {
        return List.copyOf(events);
    }

    // ---- Os: fds ----------------------------------------------------------------------------------------------

    @Override
    public int pid()
    {
        return pid;
    }

    @Override
    public int parentPid()
    {
        return parentPid;
    }

    /** As after the parent's exit: the kernel reparents this process (to the service manager, or init). */
    public FakeOs reparent(int newParentPid)
    {
        parentPid = newParentPid;
        return this;
    }

    @Override
    public synchronized FdDescription describe(int fd)
    {
        describeCounts.merge(fd, 1, Integer::sum);
        return fds.getOrDefault(fd, new FdDescription(fd, null, null));
    }

    @Override
    public synchronized void setCloseOnExec(int fd) throws OsException
    {
        closeOnExecCalls.add(fd);
        if (!fds.containsKey(fd))
            throw new OsException("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC) failed: Bad file descriptor", 9);
        cloexec.add(fd);
    }

    @Override
    public synchronized int duplicate(int fd, int lowest) throws OsException
    {
        FdDescription source = open(fd, "fcntl(" + fd + ", F_DUPFD_CLOEXEC)");
        int copy = lowest;
        while (fds.containsKey(copy))
            copy++;
        fds.put(copy, new FdDescription(copy, source.target(), source.socket()));
        cloexec.add(copy);
        return copy;
    }

    @Override
    public synchronized void duplicateOnto(int fd, int target) throws OsException
    {
        FdDescription source = open(fd, "dup2(" + fd + ", " + target + ")");
        if (fd == target)
            return;
        fds.put(target, new FdDescription(target, source.target(), source.socket()));
        cloexec.remove(target);
    }

    @Override
    public synchronized void close(int fd)
    {
        closed.add(fd);
        events.add("close " + fd);
        fds.remove(fd);
        cloexec.remove(fd);
    }

    @Override
    public synchronized int[] socketPair()
    {
        int[] pair = new int[2];
        for (int i = 0; i < 2; i++)
        {
            int fd = 3;
            while (fds.containsKey(fd))
                fd++;
            unixPeer(fd, pid);
            cloexec.add(fd);
            pair[i] = fd;
        }
        socketPairs.add(pair.clone());
        return pair;
    }

    /** A SOCK_SEQPACKET pair is, to this fake, a socket pair like {@link #socketPair} (listed in {@link #socketPairs}). */
    @Override
    public synchronized int[] seqPacketPair()
    {
        return socketPair();
    }

    @Override
    public synchronized List<Integer> openFds()
    {
        return List.copyOf(fds.keySet());
    }

    private FdDescription open(int fd, String call) throws OsException
    {
        FdDescription description = fds.get(fd);
        if (description == null)
            throw new OsException(call + " failed: Bad file descriptor", 9);
        return description;
    }

    // ---- Os: signal dispositions -----------------------------------------------------------------------------

    /** Pretends these signals were ignored when this process started. */
    public FakeOs ignoredAtStart(Set<Integer> signals)
    {
        ignoredAtStart = Set.copyOf(signals);
        return this;
    }

    @Override
    public Set<Integer> ignoredAtStart()
    {
        return ignoredAtStart;
    }

    /** Makes every {@link #stopIgnoring} throw an {@link OsException} with this message. */
    public FakeOs failStopIgnoring(String message)
    {
        stopIgnoringFailure = message;
        return this;
    }

    /** Records {@code "stopIgnoring <signal>"} in {@link #events()}; changes nothing in this JVM. */
    @Override
    public void stopIgnoring(int signal) throws OsException
    {
        synchronized (this)
        {
            events.add("stopIgnoring " + signal);
        }
        if (stopIgnoringFailure != null)
            throw new OsException(stopIgnoringFailure, 22);
    }

    // ---- Os: processes ----------------------------------------------------------------------------------------

    /** Makes the next {@link #spawn} throw an {@link OsException} with this message. */
    public synchronized FakeOs failNextSpawn(String message)
    {
        spawnFailure = new OsException(message, 2);
        return this;
    }

    /** Runs on every {@link #signal} to a live child, e.g. {@code (pid, s) -> os.exit(pid, new ExitStatus(-1, 15))}. */
    public FakeOs onSignal(BiConsumer<Integer, Signal> hook)
    {
        onSignal = hook;
        return this;
    }

    /** Runs after every successful {@link #spawn}, before it returns, e.g. to feed the child's first message. */
    public FakeOs onSpawn(Consumer<Spawned> hook)
    {
        onSpawn = hook;
        return this;
    }

    /** Runs after every {@link #write}, before it returns, with the fd and the text written, e.g. to feed an answer. */
    public FakeOs onWrite(BiConsumer<Integer, String> hook)
    {
        onWrite = hook;
        return this;
    }

    /** Ends a child: a later {@link #reap} returns {@code status}. */
    public synchronized void exit(int child, ExitStatus status)
    {
        if (exits.putIfAbsent(child, status) == null)
            notifyAll();
    }

    public synchronized List<Spawned> spawned()
    {
        return List.copyOf(spawned);
    }

    /** @return the signals sent, as {@code "pid:NAME"}, in order */
    public synchronized List<String> signals()
    {
        return List.copyOf(signals);
    }

    /** @return the children reaped so far */
    public synchronized Set<Integer> reaped()
    {
        return Set.copyOf(reaped);
    }

    @Override
    public int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap) throws OsException
    {
        Spawned child;
        synchronized (this)
        {
            if (spawnFailure != null)
            {
                OsException failure = spawnFailure;
                spawnFailure = null;
                throw failure;
            }
            for (int source : fdMap.values())
                open(source, "spawn: source fd " + source);
            child = new Spawned(nextPid++, List.copyOf(argv), Map.copyOf(env), Map.copyOf(fdMap));
            spawned.add(child);
            events.add("spawn " + child.pid());
        }
        onSpawn.accept(child);
        return child.pid();
    }

    @Override
    public synchronized ExitStatus reap(int child, boolean block) throws OsException
    {
        if (reaped.contains(child) || spawned.stream().noneMatch(s -> s.pid() == child))
            throw new OsException("waitpid(" + child + ") failed: No child processes", 10);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BLOCKING_REAP_LIMIT_MS);
        while (block && !exits.containsKey(child))
        {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0)
                throw new IllegalStateException("FakeOs: blocking reap of " + child + " but the test never made it exit");
            try
            {
                wait(left);
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                throw new OsException("waitpid(" + child + ") interrupted", 4);
            }
        }
        ExitStatus status = exits.get(child);
        if (status != null)
        {
            reaped.add(child);
            events.add("reaped " + child);
        }
        return status;
    }

    @Override
    public boolean signal(int target, Signal signal)
    {
        boolean alive;
        synchronized (this)
        {
            signals.add(target + ":" + signal);
            events.add("signal " + target + " " + signal);
            alive = target == pid || (spawned.stream().anyMatch(s -> s.pid() == target) && !reaped.contains(target));
        }
        if (alive && target != pid)
            onSignal.accept(target, signal);
        return alive;
    }

    // ---- Os: streams ------------------------------------------------------------------------------------------

    /** Queues bytes that a later {@link #read} of {@code fd} returns. */
    public FakeOs feed(int fd, String text)
    {
        queue(fd).add(text.getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** Makes a later {@link #read} of {@code fd} (after what was fed) return 0, end of stream. */
    public FakeOs endOfStream(int fd)
    {
        queue(fd).add(EOF);
        return this;
    }

    /** @return everything written to {@code fd} */
    public synchronized String written(int fd)
    {
        ByteArrayOutputStream out = outgoing.get(fd);
        return out == null ? "" : out.toString(StandardCharsets.US_ASCII);
    }

    /** @return the datagrams sent, as {@code "address payload"} */
    public synchronized List<String> datagrams()
    {
        return List.copyOf(datagrams);
    }

    private BlockingDeque<byte[]> queue(int fd)
    {
        return incoming.computeIfAbsent(fd, k -> new LinkedBlockingDeque<>());
    }

    @Override
    public int read(int fd, byte[] buffer, long timeoutMillis) throws OsException
    {
        synchronized (this)
        {
            open(fd, "read(" + fd + ")");
        }
        BlockingDeque<byte[]> queue = queue(fd);
        byte[] chunk;
        try
        {
            chunk = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            throw new OsException("read(" + fd + ") interrupted", 4);
        }
        if (chunk == null)
            return -1;
        if (chunk == EOF)
        {
            queue.addFirst(EOF); // end of stream stays
            return 0;
        }
        int count = Math.min(chunk.length, buffer.length);
        System.arraycopy(chunk, 0, buffer, 0, count);
        if (count < chunk.length)
            queue.addFirst(java.util.Arrays.copyOfRange(chunk, count, chunk.length));
        return count;
    }

    @Override
    public void write(int fd, byte[] data) throws OsException
    {
        String text = new String(data, StandardCharsets.US_ASCII);
        synchronized (this)
        {
            open(fd, "write(" + fd + ")");
            outgoing.computeIfAbsent(fd, k -> new ByteArrayOutputStream()).writeBytes(data);
            events.add("write " + fd + " " + text);
        }
        onWrite.accept(fd, text);
    }

    /** Makes every later {@link #sendDatagram} throw an {@link OsException} with this message ({@code null}: succeed). */
    public synchronized FakeOs failDatagrams(String message)
    {
        datagramFailure = message;
        return this;
    }

    @Override
    public synchronized void sendDatagram(String address, byte[] payload, int[] fds) throws OsException
    {
        if (datagramFailure != null)
            throw new OsException(datagramFailure, 111);
        datagrams.add(address + " " + new String(payload, StandardCharsets.UTF_8) + (fds.length > 0 ? " fds=" + java.util.Arrays.toString(fds) : ""));
    }
}
