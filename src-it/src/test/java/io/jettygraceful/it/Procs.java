package io.jettygraceful.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Facts about processes, read from /proc. Every method answers for "now": a pid can exit (and be reused) right after.
 */
public final class Procs
{
    private Procs()
    {
    }

    /** @return the state letter of /proc/PID/stat (R, S, D, Z, T, ...), empty when there is no such process */
    public static Optional<Character> state(long pid)
    {
        return stat(pid).map(fields -> fields.get(0).charAt(0));
    }

    /** @return the parent pid of {@code pid}, empty when there is no such process */
    public static Optional<Long> parentPid(long pid)
    {
        return stat(pid).map(fields -> Long.parseLong(fields.get(1)));
    }

    /** @return true when {@code pid} exists and has not exited (a zombie has exited: it only waits to be reaped) */
    public static boolean isAlive(long pid)
    {
        Optional<Character> state = state(pid);
        return state.isPresent() && state.get() != 'Z' && state.get() != 'X';
    }

    /**
     * @return true when every thread of {@code pid} has exited (a zombie left for its parent, or gone). Stronger than
     * {@code !isAlive}: the leader thread of a JVM that exits shows as a zombie while its other threads still run their
     * exit, and its children move to the subreaper only once the last one has.
     */
    public static boolean hasExited(long pid)
    {
        if (isAlive(pid))
            return false;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task")))
        {
            return tasks.count() <= 1;
        }
        catch (IOException | UncheckedIOException x)
        {
            return true; // reaped meanwhile
        }
    }

    /** @return true when {@code pid} has exited but its parent has not reaped it */
    public static boolean isZombie(long pid)
    {
        return state(pid).map(s -> s == 'Z').orElse(false);
    }

    /** @return whether /proc/PID exists at all (alive or zombie) */
    public static boolean exists(long pid)
    {
        return Files.exists(Path.of("/proc", String.valueOf(pid)));
    }

    /** @return how many fds {@code pid} has open, or -1 when it is gone */
    public static int fdCount(long pid)
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd")))
        {
            return (int)fds.count();
        }
        catch (IOException x)
        {
            return -1;
        }
    }

    /** @return the command line of {@code pid}, arguments joined by spaces; empty when gone (or a zombie) */
    public static String cmdline(long pid)
    {
        try
        {
            byte[] bytes = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        }
        catch (IOException x)
        {
            return "";
        }
    }

    /** @return the pids whose parent is {@code pid} */
    public static List<Long> childrenOf(long pid)
    {
        List<Long> children = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc")))
        {
            for (Path entry : (Iterable<Path>)entries::iterator)
            {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit))
                    continue;
                long child = Long.parseLong(name);
                if (parentPid(child).map(p -> p == pid).orElse(false))
                    children.add(child);
            }
        }
        catch (IOException x)
        {
            throw new IllegalStateException("cannot list /proc", x);
        }
        return children;
    }

    /** @return the children of {@code pid} that have exited and wait to be reaped by it */
    public static List<Long> zombieChildrenOf(long pid)
    {
        return childrenOf(pid).stream().filter(Procs::isZombie).toList();
    }

    /** @return the process group of {@code pid}, empty when there is no such process */
    public static Optional<Long> processGroup(long pid)
    {
        return stat(pid).map(fields -> Long.parseLong(fields.get(2)));
    }

    /** @return the pids in process group {@code pgid} that have not exited (see {@link #hasExited}) */
    public static List<Long> processGroupMembers(long pgid)
    {
        List<Long> members = new java.util.ArrayList<>();
        java.io.File[] entries = new java.io.File("/proc").listFiles();
        if (entries == null)
            return members;
        for (java.io.File entry : entries)
        {
            String name = entry.getName();
            if (name.isEmpty() || !name.chars().allMatch(Character::isDigit))
                continue;
            long pid = Long.parseLong(name);
            if (processGroup(pid).orElse(-1L) == pgid && !hasExited(pid))
                members.add(pid);
        }
        return members;
    }

    /** Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...]. */
    private static Optional<List<String>> stat(long pid)
    {
        String text;
        try
        {
            text = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        }
        catch (NoSuchFileException x)
        {
            return Optional.empty();
        }
        catch (IOException x)
        {
            return Optional.empty();
        }
        // The command name is in parentheses and may itself contain spaces and parentheses: split after the last ')'.
        int end = text.lastIndexOf(')');
        if (end < 0)
            return Optional.empty();
        return Optional.of(List.of(text.substring(end + 1).trim().split(" +")));
    }

    /**
     * What {@code pid} holds open, one entry per fd, sorted, leaving out TCP connections (they come and go with
     * clients): {@code tcp-listen}, {@code unix}, {@code socket} (other sockets), {@code pipe}, {@code anon_inode:...},
     * or the file's path. Two processes with the same profile hold the same resources, whatever the fd numbers.
     */
    public static List<String> fdProfile(long pid)
    {
        java.util.Map<Long, Boolean> tcp = new java.util.HashMap<>();
        for (String table : List.of("tcp", "tcp6"))
        {
            try
            {
                List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", table));
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size()))
                {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length >= 10)
                        tcp.put(Long.parseLong(fields[9]), fields[3].equals("0A"));
                }
            }
            catch (IOException x)
            {
                return List.of();
            }
        }
        java.util.Set<Long> unix = new java.util.HashSet<>();
        try
        {
            List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", "unix"));
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size()))
            {
                String[] fields = line.trim().split("\\s+");
                if (fields.length >= 7)
                    unix.add(Long.parseLong(fields[6]));
            }
        }
        catch (IOException x)
        {
            return List.of();
        }
        List<String> profile = new java.util.ArrayList<>();
        for (String target : fdTargets(pid))
        {
            if (target.startsWith("socket:["))
            {
                long inode = Long.parseLong(target.substring(8, target.length() - 1));
                Boolean listening = tcp.get(inode);
                if (listening != null)
                {
                    if (listening)
                        profile.add("tcp-listen");
                }
                else
                    profile.add(unix.contains(inode) ? "unix" : "socket");
            }
            else if (target.startsWith("pipe:"))
                profile.add("pipe");
            else
                profile.add(target);
        }
        profile.sort(null);
        return profile;
    }

    /** @return what each open fd of {@code pid} points at ({@code socket:[inode]}, a path, ...); empty when it is gone */
    public static List<String> fdTargets(long pid)
    {
        List<String> targets = new java.util.ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd")))
        {
            for (Path fd : (Iterable<Path>)fds::iterator)
            {
                try
                {
                    targets.add(Files.readSymbolicLink(fd).toString());
                }
                catch (IOException x)
                {
                    // closed meanwhile
                }
            }
        }
        catch (IOException x)
        {
            return List.of();
        }
        return targets;
    }
}
