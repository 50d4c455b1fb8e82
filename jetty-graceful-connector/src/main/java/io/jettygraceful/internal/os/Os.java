package io.jettygraceful.internal.os;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jettygraceful.ExitStatus;

/**
 * The operating-system seam: every native call jetty-graceful makes goes through this interface, so that the
 * protocol above it can be unit-tested with a fake.
 *
 * <p>File descriptors are plain {@code int}s. Unless a method says otherwise, the caller owns every fd it passes in
 * and every fd a method returns; no method closes an fd it was given.</p>
 *
 * <p>Obtain the real implementation with {@link #current()}; it is {@code null} where the platform is unsupported
 * (any OS but Linux, or a Linux where the native library cannot load), and callers must then fall back to plain
 * behaviour and say so.</p>
 */
public interface Os
{
    /** @return the pid of this process */
    int pid();

    /** @return the pid of this process's parent (1 or a subreaper once the parent has died) */
    int parentPid();

    /**
     * Describes an fd of this process without changing it.
     *
     * @param fd the fd
     * @return its description, {@link FdDescription#isOpen()} false when the fd is not open
     */
    FdDescription describe(int fd);

    /**
     * Sets FD_CLOEXEC on {@code fd}, so that no exec'd program inherits it by accident.
     *
     * @throws OsException if the fd is not open
     */
    void setCloseOnExec(int fd) throws OsException;

    /**
     * Duplicates {@code fd} onto the lowest free fd that is {@code >= lowest}, with FD_CLOEXEC set.
     *
     * @return the new fd, owned by the caller
     */
    int duplicate(int fd, int lowest) throws OsException;

    /**
     * Makes {@code target} refer to the same open file as {@code fd} ({@code dup2}); what {@code target} referred to
     * before is closed atomically. {@code target} does not get FD_CLOEXEC.
     */
    void duplicateOnto(int fd, int target) throws OsException;

    /** Closes {@code fd}; an fd that is already closed is not an error. */
    void close(int fd);

    /**
     * Creates a connected pair of Unix stream sockets, both with FD_CLOEXEC set.
     *
     * @return the two fds, owned by the caller
     */
    int[] socketPair() throws OsException;

    /**
     * Starts a program with exactly the fds that {@code fdMap} names (target fd to source fd) besides 0, 1 and 2,
     * which are inherited; every other fd of this process stays out of the child. The child starts with an empty
     * signal mask and the signal dispositions this process started with: every signal of {@link #ignoredAtStart()}
     * ignored (also one this process has taken a handler for since), every other one at its default. So a
     * {@code nohup} (SIGHUP ignored) or a background job of a non-interactive shell (SIGINT ignored) stays so in
     * every generation of replacements.
     *
     * @param argv    the program and its arguments; argv[0] is looked up in {@code PATH} if it has no slash
     * @param env     the child's whole environment
     * @param fdMap   target fd in the child to source fd in this process; targets must be {@code >= 3}
     * @return the child's pid; the caller must reap it ({@link #reap})
     */
    int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap) throws OsException;

    /**
     * The classic signals (1-31) that were ignored ({@code SIG_IGN}) in this process when it started, as
     * {@code SigIgn} of {@code /proc/self/status} shows them when this {@code Os} is first created (before
     * jetty-graceful changes any disposition). The JVM has started by then: signals HotSpot takes for itself
     * whatever they were (QUIT, PIPE, XFSZ, USR2, the error signals) never appear here; HUP, INT and TERM, which
     * HotSpot leaves ignored when they were (it installs no handler and {@code sun.misc.Signal.handle} does
     * nothing), and USR1 do. A replacement started by {@link #spawn} reads the same set at its start, so the set is
     * the same in every generation. The default is none, for fakes.
     *
     * @return the signal numbers, unmodifiable
     */
    default Set<Integer> ignoredAtStart()
    {
        return Set.of();
    }

    /**
     * Makes an ignored signal deliverable again, so that a following {@code sun.misc.Signal.handle} installs the
     * JVM's handler (HotSpot refuses to for HUP, INT and TERM while they are ignored). The disposition becomes the
     * JVM's own handler, copied from SIGTERM or SIGINT, whichever has one; at no moment is it the default action,
     * so a signal arriving meanwhile is dropped rather than ending the process. Only when neither has a handler
     * (both ignored too) is it set to the default action until the handler is installed. The default does nothing,
     * for fakes.
     *
     * @param signal the signal number (1-31, not KILL or STOP)
     */
    default void stopIgnoring(int signal) throws OsException
    {
    }

    /**
     * Reaps a child of this process.
     *
     * @param pid   the child
     * @param block wait until it exits
     * @return its exit status, or {@code null} when {@code block} is false and it is still running
     */
    ExitStatus reap(int pid, boolean block) throws OsException;

    /**
     * Sends a signal.
     *
     * @return false when no such process exists
     */
    boolean signal(int pid, Signal signal) throws OsException;

    /**
     * Reads up to {@code buffer.length} bytes, waiting at most {@code timeoutMillis}.
     *
     * @return the count read, 0 at end of stream, -1 on timeout
     */
    int read(int fd, byte[] buffer, long timeoutMillis) throws OsException;

    /** Writes all of {@code data}. */
    void write(int fd, byte[] data) throws OsException;

    /** @return the fds open in this process, ascending */
    List<Integer> openFds() throws OsException;

    /**
     * Sends one datagram to a Unix datagram socket, as sd_notify does.
     *
     * @param address a filesystem path, or an abstract address starting with {@code @}
     */
    default void sendDatagram(String address, byte[] payload) throws OsException
    {
        sendDatagram(address, payload, new int[0]);
    }

    /**
     * Sends one datagram to a Unix datagram socket with file descriptors attached ({@code SCM_RIGHTS}), as
     * {@code sd_pid_notify_with_fds} does for systemd's fd store. The receiver gets its own duplicates; this process
     * keeps and still owns every fd in {@code fds}.
     *
     * @param address a filesystem path, or an abstract address starting with {@code @}
     * @param fds     the fds to pass, possibly none
     */
    void sendDatagram(String address, byte[] payload, int[] fds) throws OsException;

    /**
     * Runs each kind of native call a restart makes once, harmlessly (a socket pair written and read, a spawn of a
     * program that does not exist, a reap of no child), so that every class those calls need is loaded while the
     * application's jar is still the one this JVM started from: a jar overwritten in place later ({@code cp new.jar
     * app.jar}) can no longer be read by this JVM. Never throws. The default does nothing, for fakes.
     */
    default void warmUp()
    {
    }

    /**
     * @param tid a thread of this process ({@code /proc/self/task}), or 0 for the calling thread
     * @return that thread's nice value (Linux schedules threads: each has its own, and a new thread or process starts
     * with its creator's)
     * @throws OsException no such thread
     */
    default int threadNice(int tid) throws OsException
    {
        return 0;
    }

    /**
     * Sets one thread's nice value ({@code setpriority(PRIO_PROCESS, tid, nice)}). Raising it is always allowed;
     * lowering it needs CAP_SYS_NICE or a high enough RLIMIT_NICE ({@code LimitNICE=} under systemd).
     *
     * @param tid a thread of this process, or 0 for the calling thread
     * @throws OsException EPERM or EACCES when not allowed, ESRCH when the thread is gone
     */
    default void setThreadNice(int tid, int nice) throws OsException
    {
    }

    /**
     * Removes a variable from this process's native environment (the one {@code execve} passes on when a
     * {@link ProcessBuilder} never copied the Java view of it). {@link System#getenv()} does not change. The default
     * does nothing, for fakes.
     */
    default void unsetEnvironmentVariable(String name) throws OsException
    {
    }

    /**
     * Reaps any one exited child of this process ({@code waitpid(-1, WNOHANG)}), for a process that holds a container
     * (see {@code ContainerHolder}): it reaps every orphan, not only its own children.
     *
     * @return the child reaped; {@code null} when children run but none has exited; {@link ChildExit#NO_CHILDREN} when
     * this process has no children at all
     */
    default ChildExit reapAnyChild() throws OsException
    {
        return ChildExit.NO_CHILDREN;
    }

    /**
     * Makes this process a child subreaper ({@code prctl(PR_SET_CHILD_SUBREAPER)}): orphans below it become its
     * children rather than PID 1's. The setting survives {@code execve}. The default does nothing, for fakes.
     */
    default void becomeChildSubreaper() throws OsException
    {
    }

    /**
     * Replaces this process's program ({@code execve}), keeping its pid, its children and exactly the fds
     * {@code keepFds} besides 0, 1 and 2 (every other fd gets FD_CLOEXEC first). SIGTERM, SIGINT and SIGHUP are
     * blocked in the calling thread before the exec: the new program starts with them blocked, so one that arrives
     * before it installed its handlers stays pending instead of being lost (PID 1 drops signals it has no handler
     * for); it takes them with {@link #awaitTerminationSignal}.
     *
     * @param program an absolute path
     * @throws OsException when the exec failed; this process then runs on unchanged (the signals unblocked again)
     */
    default void exec(String program, List<String> argv, Map<String, String> env, List<Integer> keepFds) throws OsException
    {
        throw new OsException("exec is not supported by " + getClass().getSimpleName(), 0);
    }

    /**
     * Waits up to {@code timeoutMillis} for SIGTERM, SIGINT or SIGHUP to be pending and takes it ({@code sigtimedwait}),
     * for a program whose every thread keeps them blocked, as after {@link #exec} in a JVM started with {@code -Xrs}
     * (which leaves them blocked and installs no handler): nothing is lost between the exec and the first wait.
     *
     * @return the signal taken, or {@code null} when none came in time
     */
    default Signal awaitTerminationSignal(long timeoutMillis) throws OsException
    {
        return null;
    }

    /** The most fds one {@code SCM_RIGHTS} message carries ({@code SCM_MAX_FD} in the kernel). */
    int MAX_FDS_PER_MESSAGE = 253;

    /**
     * Creates a connected pair of Unix sequenced-packet sockets ({@code SOCK_SEQPACKET}: each message arrives whole and
     * apart from the next, with the fds sent along with it), both with FD_CLOEXEC set.
     *
     * @return the two fds, owned by the caller
     */
    default int[] seqPacketPair() throws OsException
    {
        throw new OsException("seqPacketPair is not supported by " + getClass().getSimpleName(), 0);
    }

    /**
     * Sends one message with {@code fds} attached ({@code SCM_RIGHTS}), blocking until the socket takes it. The receiver
     * gets its own references when it receives the message; until then the references are in flight (counted against
     * this process's {@code RLIMIT_NOFILE}: {@code ETOOMANYREFS}). This process keeps and still owns every fd in
     * {@code fds}; a message that is never received drops its references with the receiving socket.
     *
     * @param fds at most {@link #MAX_FDS_PER_MESSAGE}
     */
    default void sendFds(int fd, byte[] payload, int[] fds) throws OsException
    {
        throw new OsException("sendFds is not supported by " + getClass().getSimpleName(), 0);
    }

    /**
     * Receives one message sent by {@link #sendFds}, waiting at most {@code timeoutMillis}. The fds received are new fds
     * of this process, with FD_CLOEXEC set, owned by the caller (also when the message says it was truncated).
     *
     * @return the message, or {@code null} on timeout
     */
    default FdMessage receiveFds(int fd, int maxBytes, long timeoutMillis) throws OsException
    {
        throw new OsException("receiveFds is not supported by " + getClass().getSimpleName(), 0);
    }

    /** @return the address of the peer of a connected IP socket ({@code getpeername}), or {@code null} when it has none */
    default java.net.InetSocketAddress peerAddress(int fd)
    {
        return null;
    }

    /**
     * One message received by {@link #receiveFds}.
     *
     * @param fdsTruncated  {@code MSG_CTRUNC}: the kernel dropped fds that did not fit (this process was at its fd
     *                      limit); those references are gone from this side, the sender still has its own
     * @param bytesTruncated {@code MSG_TRUNC}: the payload was longer than asked for
     * @param endOfStream   the other end closed (no payload, no fds)
     */
    record FdMessage(byte[] payload, int[] fds, boolean fdsTruncated, boolean bytesTruncated, boolean endOfStream)
    {
    }

    /** Signals that jetty-graceful sends. */
    enum Signal
    {
        TERM(15), KILL(9), HUP(1), INT(2), ZERO(0);

        private final int number;

        Signal(int number)
        {
            this.number = number;
        }

        public int number()
        {
            return number;
        }
    }

    /**
     * @return the native implementation for this platform, or {@code null} when unsupported; the reason is then in
     * {@link #unsupportedReason()}
     */
    static Os current()
    {
        return NativeSupport.OS;
    }

    /** @return why {@link #current()} is null, or {@code null} when it is not */
    static String unsupportedReason()
    {
        return NativeSupport.REASON;
    }
}
