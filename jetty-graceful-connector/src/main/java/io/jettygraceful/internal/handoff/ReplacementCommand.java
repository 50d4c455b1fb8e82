package io.jettygraceful.internal.handoff;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.protocol.HandoffProtocol;

/**
 * What the replacement process runs: by default this JVM's own command line, read from {@code /proc/self/cmdline}
 * (the {@code java} program as it was named, then every JVM option, the classpath or {@code -jar} path, the main
 * class and the arguments), in the same working directory. A new jar deployed at the same path is therefore what
 * the replacement runs. {@code argv[0]} is looked up on {@code PATH} again when it has no slash.
 */
public final class ReplacementCommand
{
    private ReplacementCommand()
    {
    }

    /** @return this process's command line, as the kernel recorded it */
    public static List<String> currentCommandLine() throws IOException
    {
        byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++)
        {
            if (raw[i] == 0)
            {
                argv.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < raw.length)
            argv.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
        if (argv.isEmpty())
            throw new IOException("/proc/self/cmdline is empty: set the replacement command explicitly");
        return argv;
    }

    /**
     * The replacement's environment: this process's, minus every variable of the socket-passing protocols, plus the
     * handoff variables of {@link HandoffProtocol}.
     *
     * @param names the names of the passed sockets, in fd order (empty names become {@code unknown}, as systemd does)
     */
    public static Map<String, String> environment(Map<String, String> current, List<String> names, int parentPid, int generation)
    {
        return environment(current, names, java.util.Collections.nCopies(names.size(), null), parentPid, generation);
    }

    /**
     * The replacement's environment for a restart that hands over {@code connectors}, in this order (fds 3, 4, ...).
     *
     * @param holder   whether the container holder's channel is passed on, after the control socket
     * @param priority the replacement's priority while it starts, or null when it starts at this process's
     */
    public static Map<String, String> environment(Map<String, String> current, List<HandedOverConnector> connectors, int parentPid, int generation,
                                           boolean holder, ReplacementPriority priority)
    {
        List<String> names = connectors.stream().map(HandedOverConnector::getHandoffName).toList();
        List<String> socketFiles = connectors.stream().map(HandedOverConnector::getOwnedSocketFile).toList();
        Map<String, String> env = environment(current, names, socketFiles, parentPid, generation);
        if (holder)
            env.put(HandoffProtocol.HOLDER_FD, String.valueOf(HandoffProtocol.holderFdOf(connectors.size())));
        if (priority != null)
            env.put(HandoffProtocol.NICE, priority.environmentValue());
        return env;
    }

    /** @param socketFiles per socket, the identity of the socket file the service owns, or null (see HandoffProtocol) */
    public static Map<String, String> environment(Map<String, String> current, List<String> names, List<String> socketFiles, int parentPid, int generation)
    {
        Map<String, String> env = new TreeMap<>(current);
        env.remove(HandoffProtocol.LISTEN_PID);
        env.remove(HandoffProtocol.LISTEN_FDS);
        env.remove(HandoffProtocol.LISTEN_FDNAMES);
        env.keySet().removeIf(key -> key.startsWith(HandoffProtocol.PREFIX));
        env.put(HandoffProtocol.LISTEN_FDS, String.valueOf(names.size()));
        env.put(HandoffProtocol.LISTEN_FDNAMES, String.join(":", names.stream().map(n -> n == null || n.isEmpty() ? "unknown" : n).toList()));
        env.put(HandoffProtocol.PARENT_PID, String.valueOf(parentPid));
        env.put(HandoffProtocol.CONTROL_FD, String.valueOf(HandoffProtocol.LISTEN_FDS_START + names.size()));
        env.put(HandoffProtocol.GENERATION, String.valueOf(generation + 1));
        if (socketFiles.stream().anyMatch(java.util.Objects::nonNull))
            env.put(HandoffProtocol.SOCKET_FILES, String.join(":", socketFiles.stream().map(f -> f == null ? "" : f).toList()));
        return env;
    }
}
