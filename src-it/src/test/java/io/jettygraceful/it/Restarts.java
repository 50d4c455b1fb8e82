package io.jettygraceful.it;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Driving restarts of the example from a test: send the signal, wait for the next generation, wait for exits. */
public final class Restarts
{
    public static final int SIGHUP = 1;

    private Restarts()
    {
    }

    /**
     * Sends SIGHUP to the process serving on {@code port} and waits until the next generation answers /status.
     *
     * @return the new generation's status
     */
    public static ExampleStatus restart(ProcessTracker processes, int port, ExampleStatus current, Duration timeout) throws IOException
    {
        if (!Subreaper.signal(current.pid(), SIGHUP))
            fail("cannot send SIGHUP to pid " + current.pid() + ": it is gone");
        return awaitGeneration(processes, port, current, timeout);
    }

    /** Polls /status until a process other than {@code current} answers, of the next generation. */
    public static ExampleStatus awaitGeneration(ProcessTracker processes, int port, ExampleStatus current, Duration timeout) throws IOException
    {
        try
        {
            return awaitGeneration(() -> processes.statusQuietly(port), "port " + port, current, timeout);
        }
        catch (java.io.UncheckedIOException x)
        {
            throw x.getCause();
        }
    }

    /**
     * Sends SIGHUP to {@code current} and waits until the next generation answers through {@code status} (e.g. /status
     * over a Unix-domain socket, {@link ProcessTracker#statusUnix}).
     */
    public static ExampleStatus restart(java.util.function.Supplier<ExampleStatus> status, String where, ExampleStatus current, Duration timeout)
    {
        if (!Subreaper.signal(current.pid(), SIGHUP))
            fail("cannot send SIGHUP to pid " + current.pid() + ": it is gone");
        return awaitGeneration(status, where, current, timeout);
    }

    /**
     * Polls {@code status} until a process other than {@code current} answers, of the next generation. An older
     * generation that still answers because it has handed over ({@code "handedOff":true}: in its overlap, where both
     * processes accept, or its drain) is not the serving one and is passed over; any other answer fails.
     */
    public static ExampleStatus awaitGeneration(java.util.function.Supplier<ExampleStatus> source, String where, ExampleStatus current, Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        ExampleStatus status = current;
        while (System.nanoTime() - deadline < 0)
        {
            status = source.get();
            if (status.pid() != current.pid() && !status.json().contains("\"handedOff\":true"))
            {
                if (status.generation() != current.generation() + 1 || status.parentPid() != current.pid())
                    fail("after pid " + current.pid() + " (generation " + current.generation() + ") restarted, pid " + status.pid() +
                        " answered as generation " + status.generation() + " with parent " + status.parentPid());
                return status;
            }
            pause(Duration.ofMillis(20));
        }
        fail("no new generation answered on " + where + " within " + timeout.toMillis() + " ms; still " + status.json());
        return null;
    }

    /**
     * Waits until the replaced process {@code oldPid} no longer accepts (the end of its overlap, logged in the output
     * every generation shares): from then on new connections reach its replacement alone.
     */
    public static void awaitNoLongerAccepting(ExampleProcess output, long oldPid, Duration timeout)
    {
        output.awaitLog("Restart: pid " + oldPid + " no longer accepts", timeout);
    }

    /**
     * Waits until {@code pid} has exited, every thread of it (a zombie counts as exited; its children have then moved to
     * the subreaper); fails after {@code timeout}.
     */
    public static void awaitExit(long pid, Duration timeout)
    {
        await(() -> Procs.hasExited(pid), timeout, "pid " + pid + " to exit");
    }

    public static void await(BooleanSupplier condition, Duration timeout, String what)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline >= 0)
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            pause(Duration.ofMillis(20));
        }
    }

    public static void pause(Duration duration)
    {
        try
        {
            Thread.sleep(duration.toMillis());
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(x);
        }
    }
}
