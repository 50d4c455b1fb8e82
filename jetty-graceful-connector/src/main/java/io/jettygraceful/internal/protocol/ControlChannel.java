package io.jettygraceful.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;

/**
 * One end of the handoff control socket (see {@link HandoffProtocol}): ASCII lines, each ending in {@code \n}.
 * Owns its fd and closes it in {@link #close()}. Not thread-safe: one thread reads, and writes happen on that thread.
 */
public final class ControlChannel implements AutoCloseable
{
    /** The longest line accepted: a reason, not a novel. */
    private static final int MAX_LINE = 4096;

    private final Os os;
    private final int fd;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean endOfStream;
    private boolean closed;

    public ControlChannel(Os os, int fd)
    {
        this.os = os;
        this.fd = fd;
    }

    /** The result of waiting for a line. */
    public sealed interface Received permits Line, EndOfStream, TimedOut
    {
    }

    public record Line(String text) implements Received
    {
    }

    public record EndOfStream() implements Received
    {
    }

    record TimedOut() implements Received
    {
    }

    /**
     * Waits for the next line until {@code deadlineNanos} ({@link System#nanoTime()} based).
     */
    public Received readLine(long deadlineNanos) throws OsException
    {
        byte[] buffer = new byte[512];
        while (true)
        {
            String line = takeLine();
            if (line != null)
                return new Line(line);
            if (endOfStream)
                return new EndOfStream();
            long remainingMillis = (deadlineNanos - System.nanoTime()) / 1_000_000L;
            if (remainingMillis <= 0)
                return new TimedOut();
            int count = os.read(fd, buffer, remainingMillis);
            if (count < 0)
                return new TimedOut();
            if (count == 0)
                endOfStream = true;
            else
                pending.write(buffer, 0, count);
        }
    }

    private String takeLine() throws OsException
    {
        byte[] bytes = pending.toByteArray();
        // Only the line itself counts, not the bytes after its newline that arrived in the same read.
        int limit = Math.min(bytes.length, MAX_LINE);
        for (int i = 0; i < limit; i++)
        {
            if (bytes[i] == '\n')
            {
                String line = new String(bytes, 0, i, StandardCharsets.US_ASCII);
                pending.reset();
                pending.write(bytes, i + 1, bytes.length - i - 1);
                return line;
            }
        }
        if (limit == MAX_LINE)
            throw new OsException("control socket: a line longer than " + MAX_LINE + " bytes", 0);
        return null;
    }

    public void writeLine(String line) throws OsException
    {
        String clean = line.replace('\n', ' ').replace('\r', ' ');
        if (clean.length() > MAX_LINE - 1)
            clean = clean.substring(0, MAX_LINE - 1);
        os.write(fd, (clean + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            os.close(fd);
        }
    }
}
