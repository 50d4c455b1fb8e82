package io.jettygraceful.it.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Restarts;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A PID namespace made by {@code unshare --pid --fork} (the test's process), seen from outside through /proc: which
 * processes are in it, their pids inside (the {@code NSpid} line of /proc/PID/status), their state and size. Pids the
 * example reports (in /status) are pids inside; signals go to pids outside ({@link #hostPid}).
 */
public final class PidNamespace
{
    private final long init;

    private PidNamespace(long init)
    {
        this.init = init;
    }

    /** Waits for {@code unsharePid}'s child, the namespace's PID 1. */
    public static PidNamespace of(long unsharePid, Duration timeout)
    {
        long[] child = new long[1];
        Restarts.await(() ->
        {
            List<Long> children = Procs.childrenOf(unsharePid);
            if (children.size() != 1 || nsPid(children.get(0)) != 1)
                return false;
            child[0] = children.get(0);
            return true;
        }, timeout, "the PID namespace of unshare pid " + unsharePid + " to have its PID 1");
        return new PidNamespace(child[0]);
    }

    /** @return the host pid of the namespace's PID 1 (what {@code docker kill} signals) */
    public long init()
    {
        return init;
    }

    /** @return the host pids of every process in the namespace (alive or zombie) */
    public List<Long> members()
    {
        List<Long> members = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc")))
        {
            for (Path entry : (Iterable<Path>)entries::iterator)
            {
                String name = entry.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && descendsFromInit(Long.parseLong(name)))
                    members.add(Long.parseLong(name));
            }
        }
        catch (IOException x)
        {
            throw new IllegalStateException("cannot list /proc", x);
        }
        return members;
    }

    /**
     * Every process of a PID namespace descends from its PID 1 (orphans are reparented to it, or to a subreaper inside
     * it); the parent chain also works for zombies, whose /proc/PID/ns links may be gone.
     */
    private boolean descendsFromInit(long pid)
    {
        long current = pid;
        for (int depth = 0; depth < 64 && current > 1; depth++)
        {
            if (current == init)
                return true;
            current = Procs.parentPid(current).orElse(0L);
        }
        return false;
    }

    /** @return the host pid of the process that is {@code nsPid} inside the namespace */
    public long hostPid(long nsPid)
    {
        for (long member : members())
        {
            if (nsPid(member) == nsPid)
                return member;
        }
        return fail("no process " + nsPid + " in the namespace of init " + init + "; members: " + describe());
    }

    /** @return the members that are zombies (exited, not reaped), described */
    public List<String> zombies()
    {
        return members().stream().filter(Procs::isZombie).map(this::describe).toList();
    }

    /** @return every member: host pid, pid inside, state, parent, command */
    public String describe()
    {
        return String.join("; ", members().stream().map(this::describe).toList());
    }

    String describe(long hostPid)
    {
        return "host " + hostPid + " = ns " + nsPid(hostPid) + " " + Procs.state(hostPid).orElse('?') + " ppid " + Procs.parentPid(hostPid).orElse(-1L) +
            " [" + abbreviate(Procs.cmdline(hostPid)) + "]";
    }

    /** @return VmRSS of {@code hostPid} in kB, -1 when gone */
    static long rssKb(long hostPid)
    {
        return statusField(hostPid, "VmRSS:").map(v -> Long.parseLong(v.replace("kB", "").trim())).orElse(-1L);
    }

    /** @return the pid of {@code hostPid} in its own (innermost) namespace, -1 when gone */
    static long nsPid(long hostPid)
    {
        return statusField(hostPid, "NSpid:").map(v ->
        {
            String[] pids = v.trim().split("\\s+");
            return Long.parseLong(pids[pids.length - 1]);
        }).orElse(-1L);
    }

    private static Optional<String> statusField(long pid, String field)
    {
        try
        {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(l -> l.startsWith(field)).map(l -> l.substring(field.length())).findFirst();
        }
        catch (IOException x)
        {
            return Optional.empty();
        }
    }

    private static String abbreviate(String command)
    {
        return command.length() <= 90 ? command : command.substring(0, 90) + "...";
    }
}
