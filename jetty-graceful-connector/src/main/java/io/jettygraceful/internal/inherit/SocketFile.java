package io.jettygraceful.internal.inherit;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file of a Unix-domain listening socket, seen from the service that bound it: the checks before binding, its
 * permissions, and its removal on a real stop.
 *
 * <p>Ownership: the file belongs to whoever created the socket. A socket systemd made (a {@code .socket} unit) is
 * systemd's ({@code RemoveOnStop=}), never removed here. A socket this service bound is removed by the process that
 * serves it when that process is stopped for real, and only if the path still names the very file that was bound
 * ({@link Identity}: device and inode): a file some other process put there since is left alone. A process that
 * hands its sockets to a replacement never removes it: the replacement serves on that same path.</p>
 */
public final class SocketFile
{
    private static final Logger LOG = LoggerFactory.getLogger(SocketFile.class);

    private SocketFile()
    {
    }

    /** Which file a path named when it was bound: its device and inode. */
    public record Identity(long device, long inode)
    {
        /** @return the identity of the file {@code path} names now (not following a symbolic link) */
        public static Identity of(Path path) throws IOException
        {
            return new Identity(((Number)Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue(),
                ((Number)Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue());
        }

        /** @return {@code <device>,<inode>}, the form of {@link io.jettygraceful.internal.protocol.HandoffProtocol#SOCKET_FILES} */
        public String format()
        {
            return device + "," + inode;
        }

        /** @return the identity written by {@link #format()}, or {@code null} when {@code text} is not of that form */
        public static Identity parse(String text)
        {
            if (text == null)
                return null;
            String[] parts = text.split(",");
            try
            {
                return parts.length == 2 ? new Identity(Long.parseLong(parts[0]), Long.parseLong(parts[1])) : null;
            }
            catch (NumberFormatException x)
            {
                return null;
            }
        }
    }

    /**
     * Makes {@code path} free to bind: nothing there, or a stale socket file (one nobody listens on any more, left by
     * a process that was killed), which is removed.
     *
     * @throws IOException naming the problem and the fix: the path is not a socket, or a process listens on it
     */
    public static void prepareToBind(Path path) throws IOException
    {
        BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (NoSuchFileException x)
        {
            return;
        }
        if (!attributes.isOther())
            throw new IOException(path + " exists and is not a socket. Fix: choose another path for the Unix-domain socket, or remove that file.");
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            probe.connect(UnixDomainSocketAddress.of(path));
        }
        catch (ConnectException x)
        {
            // ECONNREFUSED: a socket file nobody listens on.
            LOG.info("Removing the stale socket file {} (nothing listens on it)", path);
            Files.deleteIfExists(path);
            return;
        }
        throw new IOException("another process listens on " + path + ". Fix: stop it, or choose another path for the Unix-domain socket.");
    }

    /**
     * Sets the permissions of a socket file just bound.
     *
     * @param permissions e.g. {@code rw-rw----} ({@link PosixFilePermissions#fromString})
     */
    public static void setPermissions(Path path, String permissions) throws IOException
    {
        Set<PosixFilePermission> set = parsePermissions(permissions);
        Files.setPosixFilePermissions(path, set);
    }

    /** @throws IllegalArgumentException naming the expected form */
    public static Set<PosixFilePermission> parsePermissions(String permissions)
    {
        try
        {
            return PosixFilePermissions.fromString(permissions);
        }
        catch (IllegalArgumentException x)
        {
            throw new IllegalArgumentException("socket file permissions '" + permissions + "' are not of the form rwxrwxrwx, e.g. rw-rw---- " +
                "(owner and group may connect). Fix: give nine characters r, w, x or -.", x);
        }
    }

    /**
     * Removes {@code path} if it still names the file {@code bound}; leaves anything else there alone.
     *
     * @return whether it was removed
     */
    public static boolean removeIfStill(Path path, Identity bound)
    {
        try
        {
            Identity now = Identity.of(path);
            if (!now.equals(bound))
            {
                LOG.info("Leaving {}: it is no longer the socket file this service bound (now {}, bound {})", path, now.format(), bound.format());
                return false;
            }
            Files.delete(path);
            return true;
        }
        catch (NoSuchFileException x)
        {
            return false;
        }
        catch (IOException x)
        {
            LOG.warn("Cannot remove the socket file {}: {}", path, x.toString());
            return false;
        }
    }
}
