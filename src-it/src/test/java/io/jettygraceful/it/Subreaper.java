package io.jettygraceful.it;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.byref.IntByReference;

/**
 * Makes the test JVM a child subreaper, so that processes orphaned below it (a generation-1 example that spawned
 * generation 2 and exited) become its children instead of PID 1's. On these machines PID 1 does not reap orphans:
 * without this, every orphan that exits stays a zombie until the container stops.
 *
 * <p>Reaping is by pid only, for pids a test learned of: {@code waitpid(-1)} would also collect the children the
 * JDK's own process reaper waits for, and their {@link Process#exitValue()} would be lost.</p>
 */
public final class Subreaper
{
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int PR_GET_CHILD_SUBREAPER = 37;
    private static final int WNOHANG = 1;
    private static final int ECHILD = 10;

    /** The few libc calls the harness needs. */
    public interface LibC
    {
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        int prctl(int option, IntByReference result, long arg3, long arg4, long arg5);

        int waitpid(int pid, IntByReference status, int options);

        int kill(int pid, int signal);
    }

    private static volatile LibC libc;
    private static volatile boolean enabled;

    private Subreaper()
    {
    }

    static LibC libc()
    {
        LibC c = libc;
        if (c == null)
        {
            synchronized (Subreaper.class)
            {
                if (libc == null)
                    libc = LibraryLoader.create(LibC.class).load(Platform.getNativePlatform().getStandardCLibraryName());
                c = libc;
            }
        }
        return c;
    }

    /** Makes this JVM a child subreaper (idempotent). */
    public static synchronized void enable()
    {
        if (enabled)
            return;
        int rc = libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        if (rc != 0)
            throw new IllegalStateException("prctl(PR_SET_CHILD_SUBREAPER) failed: errno " + jnr.ffi.LastError.getLastError(jnr.ffi.Runtime.getSystemRuntime()));
        enabled = true;
    }

    /** @return whether the kernel says this JVM is a child subreaper */
    public static boolean isEnabled()
    {
        IntByReference value = new IntByReference();
        return libc().prctl(PR_GET_CHILD_SUBREAPER, value, 0, 0, 0) == 0 && value.intValue() != 0;
    }

    /** What {@link #reap(long)} found. */
    public enum Reaped
    {
        /** It had exited and is now reaped. */
        REAPED,
        /** It is our child and still running. */
        RUNNING,
        /** It is not (or no longer) our child: already reaped, never ours, or gone. */
        NOT_OUR_CHILD
    }

    /** Reaps {@code pid} if it is an exited child of this JVM; never blocks. */
    public static Reaped reap(long pid)
    {
        IntByReference status = new IntByReference();
        int rc = libc().waitpid((int)pid, status, WNOHANG);
        if (rc == pid)
            return Reaped.REAPED;
        if (rc == 0)
            return Reaped.RUNNING;
        int errno = jnr.ffi.LastError.getLastError(jnr.ffi.Runtime.getSystemRuntime());
        if (errno == ECHILD)
            return Reaped.NOT_OUR_CHILD;
        throw new IllegalStateException("waitpid(" + pid + ") failed: errno " + errno);
    }

    /** Sends {@code signal} (15 TERM, 9 KILL) to {@code pid}; @return false when there is no such process. */
    public static boolean signal(long pid, int signal)
    {
        return libc().kill((int)pid, signal) == 0;
    }
}
