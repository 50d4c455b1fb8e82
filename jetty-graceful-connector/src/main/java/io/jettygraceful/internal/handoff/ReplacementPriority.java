package io.jettygraceful.internal.handoff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replacement's lower CPU priority while it starts, so that the process still serving keeps the CPU it needs: a
 * JVM's start (class loading, JIT compiler threads, GC) competes for every core with the serving process's request
 * threads, and on a busy machine that costs the serving process a good part of its throughput for the seconds the
 * start takes.
 *
 * <p>How: Linux schedules threads, and a new process starts with the nice value of the thread that spawned it, which
 * each of its threads then inherits. The parent raises the nice value of its restart thread by the increment just
 * before the spawn (and lowers it again right after), so every thread of the replacement starts that much nicer.
 * When the parent says {@value HandoffProtocol#GO}, before it accepts, the replacement sets every thread of its own
 * that still has that nice value back to the parent's ({@value HandoffProtocol#NICE} carries both numbers). From then on
 * it runs exactly as its parent did.</p>
 *
 * <p>Lowering a nice value again needs CAP_SYS_NICE (root, or the capability) or a high enough RLIMIT_NICE
 * ({@code LimitNICE=} in a systemd unit, {@code ulimit -e}): raising it is always allowed, so without that permission a
 * replacement would stay niced for the rest of its life. The parent therefore tries it first on a short-lived thread of
 * its own; when that is refused it spawns the replacement at its own priority and logs once why.</p>
 */
public final class ReplacementPriority
{
    private static final Logger LOG = LoggerFactory.getLogger(ReplacementPriority.class);
    private static volatile boolean refusalLogged;

    private final int serving;
    private final int starting;

    private ReplacementPriority(int serving, int starting)
    {
        this.serving = serving;
        this.starting = starting;
    }

    /**
     * @param increment how much nicer the replacement starts, 0 to 19
     * @return the priority to spawn with, or {@code null} for none: increment 0, or this process may not lower a
     * nice value again (logged once, with the fix)
     */
    public static ReplacementPriority forSpawn(Os os, int increment)
    {
        if (increment <= 0)
            return null;
        int[] base = {0};
        String[] refusal = {null};
        Thread probe = new Thread(() ->
        {
            try
            {
                base[0] = os.threadNice(0);
                if (base[0] >= 19)
                {
                    refusal[0] = "this process already runs at nice 19";
                    return;
                }
                os.setThreadNice(0, base[0] + 1);
                os.setThreadNice(0, base[0]);
            }
            catch (OsException x)
            {
                refusal[0] = x.getMessage();
            }
        }, "graceful-nice-probe");
        probe.setDaemon(true);
        probe.start();
        try
        {
            probe.join(5_000);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            return null;
        }
        if (probe.isAlive() || refusal[0] != null)
        {
            if (!refusalLogged)
            {
                refusalLogged = true;
                LOG.info("Restart: the replacement starts at this process's priority, not {} nicer: a replacement could not lower its nice value " +
                    "again once it serves ({}). To let it, give the service CAP_SYS_NICE or LimitNICE={} (systemd; ulimit -e {} in a shell), or set replacementNice to 0",
                    increment, refusal[0] != null ? refusal[0] : "the probe did not end", 20 - base[0], 20 - base[0]);
            }
            return null;
        }
        return new ReplacementPriority(base[0], Math.min(19, base[0] + increment));
    }

    /** @return the value of {@value HandoffProtocol#NICE} for the replacement: {@code <starting> <serving>} */
    String environmentValue()
    {
        return starting + " " + serving;
    }

    /**
     * Lowers the calling thread's priority to the replacement's starting one: call right before the spawn, on the
     * spawning thread, and {@link #restoreCallingThread} right after.
     */
    public void lowerCallingThread(Os os)
    {
        try
        {
            os.setThreadNice(0, starting);
        }
        catch (OsException x)
        {
            LOG.debug("Restart: cannot lower the spawning thread's priority: {}", x.getMessage());
        }
    }

    public void restoreCallingThread(Os os)
    {
        try
        {
            os.setThreadNice(0, serving);
        }
        catch (OsException x)
        {
            LOG.warn("Restart: cannot restore the restart thread's priority to nice {}: {}", serving, x.getMessage());
        }
    }

    /**
     * In a replacement told {@value HandoffProtocol#GO}: every thread of this process still at the starting nice value
     * goes back to the serving one (twice over the thread list, for threads created meanwhile by a thread not yet
     * restored). A thread whose nice the application changed itself is left alone. Never throws.
     *
     * @param value {@value HandoffProtocol#NICE} as the parent set it, or null
     * @return how many threads were restored
     */
    static int restore(Os os, String value)
    {
        if (value == null || value.isBlank())
            return 0;
        int starting;
        int serving;
        try
        {
            String[] parts = value.trim().split("\\s+");
            starting = Integer.parseInt(parts[0]);
            serving = Integer.parseInt(parts[1]);
        }
        catch (RuntimeException x)
        {
            LOG.warn("Takeover: ignoring {}={}: expected two nice values", HandoffProtocol.NICE, value);
            return 0;
        }
        int restored = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int tid : threads())
            {
                try
                {
                    if (os.threadNice(tid) == starting)
                    {
                        os.setThreadNice(tid, serving);
                        restored++;
                    }
                }
                catch (OsException x)
                {
                    // the thread ended meanwhile (ESRCH), or the permission was lost: the rest is still worth trying
                    LOG.debug("Takeover: thread {} keeps its nice value: {}", tid, x.getMessage());
                }
            }
        }
        LOG.debug("Takeover: {} thread(s) back from nice {} to {}", restored, starting, serving);
        return restored;
    }

    private static List<Integer> threads()
    {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task")))
        {
            return tasks.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit)).map(Integer::valueOf).toList();
        }
        catch (IOException x)
        {
            return List.of();
        }
    }
}
