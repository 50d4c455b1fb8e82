package io.jettygraceful.internal.holder;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;

/**
 * The small JVM a drained first process execs into to hold the container (see {@link ContainerHolder}): same pid,
 * same children, a heap of a few megabytes. Not for direct use; the arguments are {@link ContainerHolder}'s:
 *
 * <pre>
 * HolderMain --channel FD --serving PID --linger MILLIS [--ended CODE:SIGNAL]
 * HolderMain --check      (exits 0 when this JVM can hold: the native library loads; the first process's pre-flight)
 * </pre>
 *
 * <p>It forwards SIGTERM, SIGINT and SIGHUP to the serving process, reaps every child, and exits with the serving
 * process's status once that one has ended (see {@link HolderLoop#run}). The signals arrive blocked (the exec blocked
 * them) and stay blocked: this JVM runs with {@code -Xrs}, so it neither unblocks them nor installs handlers, and the
 * loop takes them with {@code sigtimedwait}. A signal sent while this JVM starts is pending, not lost: a Java handler
 * would be installed only after the JVM had unblocked them, and PID 1 drops what arrives in between.</p>
 */
public final class HolderMain
{
    private HolderMain()
    {
    }

    public static void main(String[] args)
    {
        Os os = Os.current();
        if (os == null)
        {
            HolderLoop.log("cannot hold: " + Os.unsupportedReason());
            System.exit(1);
            return;
        }
        if (args.length == 1 && args[0].equals("--check"))
        {
            System.exit(0);
            return;
        }
        int channel = -1;
        int serving = 0;
        long linger = 30_000;
        ExitStatus ended = null;
        try
        {
            for (int i = 0; i + 1 < args.length; i += 2)
            {
                String value = args[i + 1];
                switch (args[i])
                {
                    case "--channel" -> channel = Integer.parseInt(value);
                    case "--serving" -> serving = Integer.parseInt(value);
                    case "--linger" -> linger = Long.parseLong(value);
                    case "--ended" ->
                    {
                        String[] parts = value.split(":");
                        ended = new ExitStatus(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        }
        catch (RuntimeException x)
        {
            HolderLoop.log("bad arguments (" + x.getMessage() + "); expected --channel FD --serving PID --linger MILLIS [--ended CODE:SIGNAL]");
            System.exit(2);
            return;
        }
        HolderLoop loop = new HolderLoop(os, channel, serving, true);
        if (ended != null)
            loop.ended(serving, ended);
        try
        {
            if (os.pid() != 1)
                os.becomeChildSubreaper(); // kept across the exec already; cheap to make sure
        }
        catch (OsException x)
        {
            HolderLoop.log(x.getMessage());
        }
        HolderLoop.log("holding for serving pid " + serving + " (" + Runtime.version() + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB)");
        System.exit(loop.run(linger));
    }
}
