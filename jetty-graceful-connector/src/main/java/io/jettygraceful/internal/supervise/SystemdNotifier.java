package io.jettygraceful.internal.supervise;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks systemd's notify protocol ({@code Type=notify}, {@code Type=notify-reload}, {@code sd_notify}) through the
 * restarts, so that systemd always supervises the process that serves, as its own child. The handover follows
 * {@code PIDFile=}, never {@code MAINPID=} (why: {@link HandoffProtocol}, "Under systemd"):
 * <ol>
 *   <li>a first generation sends {@code READY=1} once its server has started, and, when the fd store is on, each
 *       listening socket it bound itself ({@code FDSTORE=1}, {@code FDNAME=}) so that the socket outlives a
 *       {@code systemctl restart} or a crash;</li>
 *   <li>a restart sends {@code RELOADING=1} with {@code MONOTONIC_USEC} as it begins, and {@code READY=1} when it
 *       ends: once the replacement serves, or with {@code STATUS=Restart ... failed: why} when it failed. A refused
 *       restart (one is already running, or this process is draining) sends both at once, with the reason, so that a
 *       reload job never waits for nothing;</li>
 *   <li>the replacement says nothing while its parent lives: the parent is still the main pid (the default
 *       {@code NotifyAccess=main} would reject the replacement's messages). Once the parent has exited, systemd has
 *       re-read the PID file and the replacement is the main pid; it then speaks for the service;</li>
 *   <li>{@code STOPPING=1} only when the service really stops, never from a process that handed over.</li>
 * </ol>
 * Every {@code STATUS=} of a restart names the restart ({@code Restart <n> of pid <pid>}), so that a reload command
 * polling {@code systemctl show -p StatusText} tells two restarts with the same outcome apart
 * ({@code jetty-graceful-reload} does). The socket address comes from {@code NOTIFY_SOCKET}: a path, or an abstract
 * address starting with {@code @}. Sending never fails the server: a lost datagram is logged.
 */
public final class SystemdNotifier implements RestartListener
{
    public static final String NOTIFY_SOCKET = HandoffProtocol.NOTIFY_SOCKET;
    /** Set by systemd 254+ to {@code FileDescriptorStoreMax=} when that is above 0. */
    public static final String FDSTORE = "FDSTORE";
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

    private final Os os;
    private final String address;
    private final int predecessorPid;
    private final Supplier<Map<String, Integer>> storedSockets;
    private volatile boolean mainPid;
    private int restarts;

    /** A notifier for the main process of a service, without the fd store. */
    public SystemdNotifier(Os os, String address)
    {
        this(os, address, 0, null);
    }

    /**
     * @param os             the OS seam
     * @param address        the value of {@code NOTIFY_SOCKET}
     * @param predecessorPid in a replacement, its parent's pid (the main pid until it exits); 0 in a first generation
     * @param storedSockets  when the fd store is on: the listening sockets to store, by name (each fd stays this
     *                       process's: systemd keeps a duplicate); {@code null} when off
     */
    SystemdNotifier(Os os, String address, int predecessorPid, Supplier<Map<String, Integer>> storedSockets)
    {
        this.os = os;
        this.address = address;
        this.predecessorPid = predecessorPid;
        this.storedSockets = storedSockets;
        this.mainPid = predecessorPid <= 0;
    }

    public String address()
    {
        return address;
    }

    /**
     * @return whether systemd takes this process for the service's main pid: a first generation always; a replacement
     * once its parent has exited (the kernel then makes it a child of the service manager, and systemd follows the PID
     * file), which {@code getppid()} shows
     */
    boolean isMainPid()
    {
        if (!mainPid && os.parentPid() != predecessorPid)
            mainPid = true;
        return mainPid;
    }

    /** Sends one message of {@code KEY=VALUE} lines. */
    public void send(String... lines)
    {
        send(new int[0], lines);
    }

    private void send(int[] fds, String... lines)
    {
        String message = String.join("\n", lines) + "\n";
        try
        {
            os.sendDatagram(address, message.getBytes(StandardCharsets.UTF_8), fds);
        }
        catch (OsException x)
        {
            LOG.warn("systemd notify to {} failed ({}): {}", address, x.getMessage(), message.trim().replace('\n', ' '));
        }
    }

    /** Sends only while this process is the main pid: systemd logs and drops what other processes send. */
    private void sendAsMain(String... lines)
    {
        if (isMainPid())
            send(lines);
        else
            LOG.debug("systemd notify held back (pid {} is not the main pid while parent pid {} lives): {}", os.pid(), predecessorPid, String.join(" ", lines));
    }

    @Override
    public void serving()
    {
        if (predecessorPid > 0)
            return; // the parent sent READY=1 for this replacement, and is the main pid until it exits
        send("READY=1", "STATUS=Serving as pid " + os.pid());
        if (storedSockets == null)
            return;
        for (Map.Entry<String, Integer> socket : storedSockets.get().entrySet())
        {
            send(new int[] {socket.getValue()}, "FDSTORE=1", "FDNAME=" + socket.getKey());
            LOG.info("systemd fd store: listening socket {} (fd {}) stored", socket.getKey(), socket.getValue());
        }
    }

    @Override
    public void restartStarting()
    {
        sendAsMain("RELOADING=1", "MONOTONIC_USEC=" + monotonicMicros(), "STATUS=" + restartName(true) + " in progress: pid " + os.pid() + " is starting its replacement");
    }

    @Override
    public void restartSucceeded(RestartOutcome outcome)
    {
        sendAsMain("READY=1", "STATUS=" + restartName(false) + " succeeded: pid " + outcome.childPid() + " serves; pid " + os.pid() + " drains and exits");
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        String exit = outcome.childExit() != null ? " (replacement pid " + outcome.childPid() + " ended with " + outcome.childExit() + ": its output is in the journal)" : "";
        sendAsMain("READY=1", "STATUS=" + restartName(false) + " failed: " + oneLine(outcome.reason()) + exit + "; pid " + os.pid() + " keeps serving");
    }

    @Override
    public void restartRefused(String reason)
    {
        sendAsMain("RELOADING=1", "MONOTONIC_USEC=" + monotonicMicros(), "READY=1", "STATUS=" + restartName(true) + " refused: " + oneLine(reason));
    }

    @Override
    public void stopping()
    {
        sendAsMain("STOPPING=1", "STATUS=Stopping");
    }

    /** @param next whether this names a new restart (its start, or a refusal) rather than the one in progress */
    private synchronized String restartName(boolean next)
    {
        if (next || restarts == 0)
            restarts++;
        return "Restart " + restarts + " of pid " + os.pid();
    }

    /** CLOCK_MONOTONIC in microseconds: HotSpot's {@link System#nanoTime()} reads that clock on Linux. */
    static long monotonicMicros()
    {
        return System.nanoTime() / 1000L;
    }

    private static String oneLine(String text)
    {
        return text == null ? "" : text.replace('\n', ' ');
    }

    @Override
    public String toString()
    {
        return "SystemdNotifier[" + address + "]";
    }
}
