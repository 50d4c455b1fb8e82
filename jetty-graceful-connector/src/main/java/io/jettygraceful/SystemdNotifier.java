package io.jettygraceful;

import java.nio.charset.StandardCharsets;

import io.jettygraceful.os.Os;
import io.jettygraceful.os.OsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks systemd's notify protocol ({@code Type=notify}, {@code sd_notify}) through the restarts, so that systemd
 * always knows the main pid and whether the service is ready:
 * <ol>
 *   <li>a process that starts serving sends {@code READY=1} (a first generation once its server has started; a
 *       replacement once it has taken over, by which time its parent has made it the main pid);</li>
 *   <li>a restart sends {@code RELOADING=1} with {@code MONOTONIC_USEC} as it begins;</li>
 *   <li>when the replacement is ready, the parent (still the main pid) sends {@code MAINPID=<child>} before telling
 *       it to take over, so the default {@code NotifyAccess=main} accepts the child's {@code READY=1};</li>
 *   <li>a failed restart sends {@code READY=1} again, with a {@code STATUS=} line saying why;</li>
 *   <li>{@code STOPPING=1} only when the service really stops, never from a process that handed over.</li>
 * </ol>
 * The socket address comes from {@code NOTIFY_SOCKET}: a path, or an abstract address starting with {@code @}.
 * Sending never fails the server: a lost datagram is logged.
 */
public final class SystemdNotifier implements RestartListener
{
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

    private final Os os;
    private final String address;

    /**
     * @param os      the OS seam
     * @param address the value of {@code NOTIFY_SOCKET}
     */
    public SystemdNotifier(Os os, String address)
    {
        this.os = os;
        this.address = address;
    }

    public String address()
    {
        return address;
    }

    /** Sends one message of {@code KEY=VALUE} lines. */
    public void send(String... lines)
    {
        String message = String.join("\n", lines) + "\n";
        try
        {
            os.sendDatagram(address, message.getBytes(StandardCharsets.UTF_8));
        }
        catch (OsException x)
        {
            LOG.warn("systemd notify to {} failed ({}): {}", address, x.getMessage(), message.trim().replace('\n', ' '));
        }
    }

    @Override
    public void serving()
    {
        send("READY=1", "MAINPID=" + os.pid(), "STATUS=Serving as pid " + os.pid());
    }

    @Override
    public void restartStarting()
    {
        send("RELOADING=1", "MONOTONIC_USEC=" + monotonicMicros(), "STATUS=Restarting: starting a replacement of pid " + os.pid());
    }

    @Override
    public void childReady(int childPid)
    {
        send("MAINPID=" + childPid, "STATUS=Handing over from pid " + os.pid() + " to pid " + childPid);
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        send("READY=1", "MAINPID=" + os.pid(), "STATUS=Restart failed: " + oneLine(outcome.reason()) + "; still serving as pid " + os.pid());
    }

    @Override
    public void stopping()
    {
        send("STOPPING=1", "STATUS=Stopping");
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
