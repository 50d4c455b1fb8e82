package io.jettygraceful.internal.holder;

import java.nio.charset.StandardCharsets;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.internal.os.ChildExit;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;

/**
 * The container holder's work once its own server has stopped: reap every child that exits (each replaced
 * generation, and whatever the application left behind: they are all reparented to the holder, PID 1 or a child
 * subreaper), follow the holder channel to know which process serves, and end when that process ends.
 *
 * <p>It runs in the drained first JVM when that one cannot exec a small one ({@link ContainerHolder}), and in the
 * small JVM of {@link HolderMain}. It uses no logging framework and no Jetty class, so the small JVM loads little.
 * Thread-safe: the serving pid is read by the signal forwarder's threads.</p>
 */
final class HolderLoop
{
    private static final long SLICE_MILLIS = 100;
    /** How long a serving pid may be gone, without this process reaping it or a line saying how it ended. */
    private static final long VANISHED_GRACE_NANOS = 10_000_000_000L;

    private final Os os;
    private final int channelFd;
    private final StringBuilder partial = new StringBuilder();
    private volatile int servingPid;
    private volatile ExitStatus servingExit;
    private final boolean takesSignals;
    private volatile boolean channelOpen = true;
    private volatile boolean stopNow;
    private long goneSince;

    /**
     * @param takesSignals true in {@link HolderMain}, whose JVM keeps SIGTERM/SIGINT/SIGHUP blocked: the loop takes them
     *                     itself ({@link Os#awaitTerminationSignal}); false where a {@link SignalForwarder} calls
     *                     {@link #forward} instead
     */
    HolderLoop(Os os, int channelFd, int servingPid, boolean takesSignals)
    {
        this.os = os;
        this.channelFd = channelFd;
        this.servingPid = servingPid;
        this.takesSignals = takesSignals;
    }

    int servingPid()
    {
        return servingPid;
    }

    /** @return how the serving process ended, {@code null} while it runs */
    ExitStatus servingExit()
    {
        return servingExit;
    }

    void serving(int pid)
    {
        if (pid != servingPid)
            log("pid " + pid + " serves now");
        servingPid = pid;
        servingExit = null;
        goneSince = 0;
    }

    /** Records how process {@code pid} ended; it matters only when it is the serving one. */
    void ended(int pid, ExitStatus status)
    {
        if (pid == servingPid && servingExit == null)
        {
            servingExit = status;
            log("serving pid " + pid + " ended (" + status + ")");
        }
    }

    /** Waits up to {@code timeoutMillis} for lines on the holder channel and applies those that came. */
    void readChannel(long timeoutMillis)
    {
        if (!channelOpen || channelFd < 0)
        {
            sleep(timeoutMillis);
            return;
        }
        byte[] buffer = new byte[512];
        int count;
        try
        {
            count = os.read(channelFd, buffer, timeoutMillis);
        }
        catch (OsException x)
        {
            count = 0;
        }
        if (count == 0)
        {
            channelOpen = false; // no generation holds the other end any more
            return;
        }
        if (count < 0)
            return;
        partial.append(new String(buffer, 0, count, StandardCharsets.US_ASCII));
        int newline;
        while ((newline = partial.indexOf("\n")) >= 0)
        {
            apply(partial.substring(0, newline).trim());
            partial.delete(0, newline + 1);
        }
    }

    private void apply(String line)
    {
        String[] words = line.split(" ");
        try
        {
            if (words.length == 2 && words[0].equals(HandoffProtocol.HOLDER_SERVING))
                serving(Integer.parseInt(words[1]));
            else if (words.length == 4 && words[0].equals(HandoffProtocol.HOLDER_ENDED))
                ended(Integer.parseInt(words[1]), new ExitStatus(Integer.parseInt(words[2]), Integer.parseInt(words[3])));
            else
                log("ignoring an unknown line on the holder channel: " + line);
        }
        catch (NumberFormatException x)
        {
            log("ignoring a malformed line on the holder channel: " + line);
        }
    }

    /** Reaps every child that has exited; @return false when no child is left at all */
    boolean reapExited()
    {
        while (true)
        {
            ChildExit child;
            try
            {
                child = os.reapAnyChild();
            }
            catch (OsException x)
            {
                log("cannot reap: " + x.getMessage());
                return true;
            }
            if (child == null)
                return true;
            if (child == ChildExit.NO_CHILDREN)
                return false;
            ended(child.pid(), child.status());
        }
    }

    /**
     * Holds until the serving process has ended, then until every other child has ended too, for at most
     * {@code lingerMillis} (the rest are killed as the container ends).
     *
     * @return the status to exit with: the serving process's, as a shell reports it ({@link ExitStatus#shellStatus()})
     */
    int run(long lingerMillis)
    {
        while (servingExit == null)
        {
            awaitEvents();
            reapExited();
            checkVanished();
        }
        long deadline = System.nanoTime() + lingerMillis * 1_000_000L;
        while (reapExited() && !stopNow && System.nanoTime() - deadline < 0)
            awaitEvents();
        int status = servingExit.shellStatus();
        log("exiting with " + status + ", the status of serving pid " + servingPid);
        return status;
    }

    /** One slice: a signal to forward, or lines on the channel, or nothing for up to 100 ms. */
    private void awaitEvents()
    {
        if (!takesSignals)
        {
            readChannel(SLICE_MILLIS);
            return;
        }
        try
        {
            Os.Signal signal = os.awaitTerminationSignal(SLICE_MILLIS);
            if (signal != null)
                forward(signal);
        }
        catch (OsException x)
        {
            log(x.getMessage());
            sleep(SLICE_MILLIS);
        }
        readChannel(0);
    }

    /** A serving pid that is gone though nobody reported its end: a process outside the holder's tree reaped it. */
    private void checkVanished()
    {
        boolean exists;
        try
        {
            exists = os.signal(servingPid, Os.Signal.ZERO);
        }
        catch (OsException x)
        {
            exists = true;
        }
        if (exists)
        {
            goneSince = 0;
            return;
        }
        long now = System.nanoTime();
        if (goneSince == 0)
            goneSince = now;
        else if (now - goneSince > VANISHED_GRACE_NANOS && servingExit == null)
        {
            log("serving pid " + servingPid + " is gone and nobody reported how it ended");
            servingExit = new ExitStatus(1, 0);
        }
    }

    /** Passes {@code signal} to the serving process; once that one has ended, a signal ends the holder's linger. */
    void forward(Os.Signal signal)
    {
        int pid = servingPid;
        if (servingExit != null)
        {
            stopNow = true;
            return;
        }
        try
        {
            log("forwarding SIG" + signal + " to serving pid " + pid);
            os.signal(pid, signal);
        }
        catch (OsException x)
        {
            log("cannot forward SIG" + signal + " to pid " + pid + ": " + x.getMessage());
        }
    }

    static void log(String message)
    {
        System.err.println("[jetty-graceful holder " + ProcessHandle.current().pid() + "] " + message);
    }

    private static void sleep(long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }
}
