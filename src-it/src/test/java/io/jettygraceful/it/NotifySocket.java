package io.jettygraceful.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The receiving end of systemd's notify protocol, for tests: a Unix datagram socket (a path, or an abstract
 * {@code @name}) with SO_PASSCRED, so every message comes with the pid that sent it, as systemd sees it. The JDK has
 * no Unix datagram channel, hence jnr-ffi (LP64 Linux struct layouts). Closing it unlinks a path socket.
 */
public final class NotifySocket implements AutoCloseable
{
    /** libc calls this class makes. */
    public interface LibC
    {
        int socket(int domain, int type, int protocol);

        int bind(int fd, Pointer address, int length);

        int setsockopt(int fd, int level, int option, Pointer value, int length);

        int poll(Pointer fds, long count, int timeoutMillis);

        long recvmsg(int fd, Pointer message, int flags);

        int close(int fd);
    }

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PASSCRED = 16;
    private static final int SCM_CREDENTIALS = 2;
    private static final int SCM_RIGHTS = 1;
    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    /**
     * One notification.
     *
     * @param text      the datagram
     * @param senderPid the sending process, from SCM_CREDENTIALS
     * @param fds       how many file descriptors came with it (SCM_RIGHTS); this socket closed them
     */
    public record Message(String text, int senderPid, int fds)
    {
        /** @return its KEY=VALUE lines, in order */
        public Map<String, String> fields()
        {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String line : text.split("\n"))
            {
                int equals = line.indexOf('=');
                if (equals > 0)
                    fields.put(line.substring(0, equals), line.substring(equals + 1));
            }
            return fields;
        }

        public String get(String key)
        {
            return fields().get(key);
        }

        @Override
        public String toString()
        {
            return "from " + senderPid + ": " + text.trim().replace('\n', ' ');
        }
    }

    private final int fd;
    private final String address;
    private final Path path;

    private NotifySocket(int fd, String address, Path path)
    {
        this.fd = fd;
        this.address = address;
        this.path = path;
    }

    /** @param address a filesystem path, or {@code @name} for an abstract socket */
    public static NotifySocket bind(String address)
    {
        byte[] name = address.getBytes(StandardCharsets.UTF_8);
        boolean isAbstract = address.startsWith("@");
        Path path = isAbstract ? null : Path.of(address);
        int fd = LIBC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new IllegalStateException("socket(AF_UNIX, SOCK_DGRAM) failed");
        Pointer sockaddr = Memory.allocateDirect(RUNTIME, 110, true);
        sockaddr.putShort(0, (short)AF_UNIX);
        sockaddr.put(2, name, 0, name.length);
        if (isAbstract)
            sockaddr.putByte(2, (byte)0);
        int length = 2 + name.length + (isAbstract ? 0 : 1);
        Pointer one = Memory.allocateDirect(RUNTIME, 4, true);
        one.putInt(0, 1);
        if (LIBC.bind(fd, sockaddr, length) != 0 || LIBC.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) != 0)
        {
            LIBC.close(fd);
            throw new IllegalStateException("cannot bind a notify socket at " + address + ": errno " + RUNTIME.getLastError());
        }
        return new NotifySocket(fd, address, path);
    }

    /** @return the value for NOTIFY_SOCKET */
    public String address()
    {
        return address;
    }

    /** @return the next message, or {@code null} when none arrives within {@code timeout} */
    public Message receive(Duration timeout)
    {
        Pointer pollFd = Memory.allocateDirect(RUNTIME, 8, true);
        pollFd.putInt(0, fd);
        pollFd.putShort(4, (short)1);
        if (LIBC.poll(pollFd, 1, (int)timeout.toMillis()) <= 0)
            return null;
        Pointer buffer = Memory.allocateDirect(RUNTIME, 4096, true);
        Pointer iov = Memory.allocateDirect(RUNTIME, 16, true);
        iov.putPointer(0, buffer);
        iov.putLong(8, 4096);
        Pointer control = Memory.allocateDirect(RUNTIME, 256, true);
        Pointer header = Memory.allocateDirect(RUNTIME, 56, true);
        header.putPointer(16, iov);
        header.putLong(24, 1);
        header.putPointer(32, control);
        header.putLong(40, 256);
        long count = LIBC.recvmsg(fd, header, 0);
        if (count < 0)
            throw new IllegalStateException("recvmsg failed: errno " + RUNTIME.getLastError());
        byte[] bytes = new byte[(int)count];
        buffer.get(0, bytes, 0, bytes.length);
        int senderPid = -1;
        int fds = 0;
        long controlLength = header.getLong(40);
        for (long offset = 0; offset + 16 <= controlLength; )
        {
            long length = control.getLong(offset);
            if (length < 16)
                break;
            int level = control.getInt(offset + 8);
            int type = control.getInt(offset + 12);
            if (level == SOL_SOCKET && type == SCM_CREDENTIALS && length >= 28)
                senderPid = control.getInt(offset + 16);
            if (level == SOL_SOCKET && type == SCM_RIGHTS)
            {
                for (long at = offset + 16; at + 4 <= offset + length; at += 4, fds++)
                    LIBC.close(control.getInt(at));
            }
            offset += (length + 7) & ~7L;
        }
        return new Message(new String(bytes, StandardCharsets.UTF_8), senderPid, fds);
    }

    /** @return the next message that has {@code key}, skipping none: fails if another message comes first */
    public Message expect(String key, Duration timeout)
    {
        Message message = receive(timeout);
        if (message == null)
            throw new AssertionError("no notification with " + key + " within " + timeout.toMillis() + " ms");
        if (!message.fields().containsKey(key))
            throw new AssertionError("expected a notification with " + key + ", got " + message);
        return message;
    }

    @Override
    public void close()
    {
        LIBC.close(fd);
        if (path != null)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (java.io.IOException ignored)
            {
                // a test's temporary socket
            }
        }
    }
}
