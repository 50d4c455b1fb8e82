package io.jettygraceful.internal.supervise;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.jettygraceful.InheritedSockets;
import io.jettygraceful.RestartListener;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.inherit.InheritedEnvironment;
import io.jettygraceful.internal.os.Os;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who a {@link io.jettygraceful.GracefulRestart} tells about its restarts besides its own listeners: the PID file, and systemd's
 * notify socket when the process runs under systemd ({@link SystemdNotifier}, with the fd store when it is wanted).
 * Chosen once at each start of the bean, from its settings and the environment the JVM was started with.
 */
public final class Supervisors
{
    private static final Logger LOG = LoggerFactory.getLogger(Supervisors.class);

    /** The fix for a process under systemd without a PID file, where a restart is refused. */
    public static final String PID_FILE_FIX = "Fix: set the PID file (pidFile; the example: --pid-file) to the unit's PIDFile= path: systemd " +
        "follows the handover through it, and without it stops the whole service when this process exits after handing over";

    private Supervisors()
    {
    }

    /** @return whether systemd's notify protocol is spoken: enabled, on a supported platform, and NOTIFY_SOCKET set */
    public static boolean underSystemd(Os os, boolean systemdNotify)
    {
        String notifySocket = InheritedEnvironment.original().get(SystemdNotifier.NOTIFY_SOCKET);
        return systemdNotify && os != null && notifySocket != null && !notifySocket.isEmpty();
    }

    /**
     * @param pidFile    the PID file's path, or null for none
     * @param fdStore    the fd store setting; it is also on when systemd (254+) sets {@code $FDSTORE} above 0
     * @param connectors read at each notification that stores sockets: the connectors whose own listeners are stored
     * @return the supervisors, in the order they are told; logs a warning when under systemd without a PID file
     */
    public static List<RestartListener> forStart(Os os, String pidFile, boolean systemdNotify, boolean fdStore, InheritedSockets registry,
                                          Supplier<List<HandedOverConnector>> connectors)
    {
        List<RestartListener> supervisors = new ArrayList<>();
        if (pidFile != null)
            supervisors.add(new PidFile(Path.of(pidFile)));
        if (underSystemd(os, systemdNotify))
        {
            int predecessor = registry.source() == InheritedSockets.Source.HANDOFF ? registry.parentPid() : 0;
            supervisors.add(new SystemdNotifier(os, InheritedEnvironment.original().get(SystemdNotifier.NOTIFY_SOCKET), predecessor,
                fdStoreWanted(fdStore) ? () -> socketsToStore(connectors.get()) : null));
            if (pidFile == null)
                LOG.warn("Running under systemd (NOTIFY_SOCKET is set) without a PID file: restarts will be refused. {}", PID_FILE_FIX);
        }
        return supervisors;
    }

    private static boolean fdStoreWanted(boolean fdStore)
    {
        if (fdStore)
            return true;
        try
        {
            return Integer.parseInt(InheritedEnvironment.original().getOrDefault(SystemdNotifier.FDSTORE, "0").trim()) > 0;
        }
        catch (NumberFormatException x)
        {
            return false;
        }
    }

    /** @return the listening sockets this process bound itself (not inherited), by fd store name; each fd stays its connector's */
    private static Map<String, Integer> socketsToStore(List<HandedOverConnector> connectors)
    {
        Map<String, Integer> sockets = new LinkedHashMap<>();
        for (HandedOverConnector handedOver : connectors)
        {
            String name = handedOver.fdStoreName();
            if (name != null)
                sockets.putIfAbsent(name, handedOver.getAcceptFd());
        }
        return sockets;
    }
}
