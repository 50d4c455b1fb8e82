package io.jettygraceful.internal.holder;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;

/**
 * What a generation tells the container holder (see {@link ContainerHolder} and the holder section of
 * {@link HandoffProtocol}): which process serves now, and how a serving process that the holder could not reap ended.
 * The holder itself implements it by recording locally; a later generation by writing lines on the holder channel it
 * inherited.
 */
public interface HolderLink
{
    /** @return the fd to pass to a replacement at {@link HandoffProtocol#holderFdOf}, owned by this link */
    int passOnFd();

    /** Process {@code pid} serves now. */
    void serving(int pid);

    /** The serving process {@code pid}, reaped by this process, ended with {@code status}, and nobody took over. */
    void ended(int pid, ExitStatus status);

    /**
     * @return the link a replacement inherited ({@value HandoffProtocol#HOLDER_FD} names a Unix socket fd), or
     * {@code null} when there is no holder (no variable, not a handoff, or the fd is no Unix socket: then ignored, as
     * a stale variable would be)
     */
    static HolderLink inherited(Os os, InheritedSockets registry, Map<String, String> env)
    {
        String variable = env.get(HandoffProtocol.HOLDER_FD);
        if (os == null || variable == null || registry.source() != InheritedSockets.Source.HANDOFF)
            return null;
        int fd;
        try
        {
            fd = Integer.parseInt(variable.trim());
        }
        catch (NumberFormatException x)
        {
            return null;
        }
        if (fd != HandoffProtocol.holderFdOf(registry.sockets().size()))
            return null;
        FdDescription.SocketInfo socket = os.describe(fd).socket();
        if (socket == null || socket.family() != FdDescription.SocketInfo.AF_UNIX)
            return null;
        try
        {
            os.setCloseOnExec(fd);
        }
        catch (OsException x)
        {
            return null;
        }
        return new Upstream(os, fd);
    }

    /** A generation's end of the holder channel: writes one line per event; a write that fails is ignored. */
    final class Upstream implements HolderLink
    {
        private final Os os;
        private final int fd;

        Upstream(Os os, int fd)
        {
            this.os = os;
            this.fd = fd;
        }

        @Override
        public int passOnFd()
        {
            return fd;
        }

        @Override
        public void serving(int pid)
        {
            send(HandoffProtocol.HOLDER_SERVING + " " + pid);
        }

        @Override
        public void ended(int pid, ExitStatus status)
        {
            send(HandoffProtocol.HOLDER_ENDED + " " + pid + " " + status.code() + " " + status.signal());
        }

        private synchronized void send(String line)
        {
            try
            {
                os.write(fd, (line + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            catch (OsException x)
            {
                // The holder is gone: so is the container, momentarily. Nothing to tell.
            }
        }
    }
}
