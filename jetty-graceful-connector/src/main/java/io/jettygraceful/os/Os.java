package io.jettygraceful.os;

import java.util.List;
import java.util.Map;

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
     * signal mask and default signal dispositions.
     *
     * @param argv    the program and its arguments; argv[0] is looked up in {@code PATH} if it has no slash
     * @param env     the child's whole environment
     * @param fdMap   target fd in the child to source fd in this process; targets must be {@code >= 3}
     * @return the child's pid; the caller must reap it ({@link #reap})
     */
    int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fdMap) throws OsException;

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
     * Removes a variable from this process's native environment (the one {@code execve} passes on when a
     * {@link ProcessBuilder} never copied the Java view of it). {@link System#getenv()} does not change. The default
     * does nothing, for fakes.
     */
    default void unsetEnvironmentVariable(String name) throws OsException
    {
    }

    /** Signals that jetty-graceful sends. */
    enum Signal
    {
        TERM(15), KILL(9), HUP(1), ZERO(0);

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
