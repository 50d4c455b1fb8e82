package io.jettygraceful.internal.supervise;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

import io.jettygraceful.InvalidSettingException;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the serving process's pid in a file, for supervisors that watch one, across restarts.
 *
 * <ul>
 *   <li>Written atomically: a new file created beside it (never through an existing file or a planted symlink), then
 *       renamed over it, so a reader sees the old pid or the new one, never half of one.</li>
 *   <li>A first-generation process writes its pid once its server has started. In a restart, the parent writes the
 *       replacement's pid as soon as the replacement is ready, before it is told it is the main process; if the restart
 *       then fails it writes its own pid back. The replacement writes its own pid again when it takes over, which
 *       covers a parent that died on the way.</li>
 *   <li>Removed when the server stops for real, and only if it still holds this process's pid.</li>
 * </ul>
 */
public final class PidFile implements RestartListener
{
    private static final Logger LOG = LoggerFactory.getLogger(PidFile.class);

    private final Path path;
    private final long pid = ProcessHandle.current().pid();

    /**
     * @throws InvalidSettingException when the file cannot be written there; the message names the path, the
     *                                  reason and the fix
     */
    public PidFile(Path path)
    {
        this.path = path.toAbsolutePath().normalize();
        checkWritable();
    }

    public Path path()
    {
        return path;
    }

    private void checkWritable()
    {
        Path directory = path.getParent();
        if (directory == null || !Files.exists(directory))
            throw new InvalidSettingException("pidFile", path, "the PID file's directory " + directory + " does not exist", "create it, or choose another PID file path");
        if (!Files.isDirectory(directory))
            throw new InvalidSettingException("pidFile", path, "the PID file's parent " + directory + " is not a directory", "choose a PID file path inside a directory");
        if (Files.isDirectory(path))
            throw new InvalidSettingException("pidFile", path, "the PID file is a directory", "name a file inside it");
        try
        {
            Files.deleteIfExists(writeTemporary(0));
        }
        catch (IOException x)
        {
            throw new InvalidSettingException("pidFile", path, "the PID file cannot be created in " + directory + " (" + reason(x) + ")",
                "make the directory writable for this user (e.g. RuntimeDirectory= in a systemd unit), or choose another path");
        }
    }

    /** Writes {@code value} atomically. */
    public void write(long value) throws IOException
    {
        Path temporary = writeTemporary(value);
        try
        {
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (IOException x)
        {
            Files.deleteIfExists(temporary);
            throw x;
        }
    }

    private Path writeTemporary(long value) throws IOException
    {
        Path temporary = path.resolveSibling("." + path.getFileName() + "." + pid + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        // CREATE_NEW fails on any existing file or symlink: nothing is written through a link planted in a shared directory.
        Files.write(temporary, (value + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return temporary;
    }

    /** @return the pid in the file, or -1 when it is missing or unreadable */
    public long read()
    {
        try
        {
            return Long.parseLong(Files.readString(path, StandardCharsets.US_ASCII).trim());
        }
        catch (IOException | NumberFormatException x)
        {
            return -1;
        }
    }

    private void writeLogged(long value, String why)
    {
        try
        {
            write(value);
        }
        catch (IOException x)
        {
            LOG.error("PID file {}: cannot write pid {} ({}): {}", path, value, why, reason(x));
        }
    }

    @Override
    public void serving()
    {
        writeLogged(pid, "this process serves");
    }

    @Override
    public void childReady(int childPid) throws IOException
    {
        write(childPid);
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        if (read() != pid)
            writeLogged(pid, "the restart failed, this process still serves");
    }

    @Override
    public void stopping()
    {
        if (read() == pid)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (IOException x)
            {
                LOG.warn("PID file {}: cannot remove it: {}", path, reason(x));
            }
        }
    }

    private static String reason(IOException x)
    {
        if (x instanceof AccessDeniedException)
            return "permission denied";
        if (x instanceof NoSuchFileException)
            return "no such file or directory";
        return x.getMessage() == null ? x.toString() : x.getMessage();
    }

    @Override
    public String toString()
    {
        return "PidFile[" + path + "]";
    }
}
