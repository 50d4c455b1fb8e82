package io.jettygraceful.internal.supervise;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import io.jettygraceful.RestartOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PidFileTest
{
    private static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    private Path pidPath()
    {
        return dir.resolve("app.pid");
    }

    private static String content(Path path) throws IOException
    {
        return Files.readString(path, StandardCharsets.US_ASCII);
    }

    private List<String> dirListing() throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertContains(String text, String... parts)
    {
        for (String part : parts)
            assertTrue(text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    @Test
    void writeLeavesOneFullLineAndNoTemporaryFile() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        assertEquals(List.of(), dirListing(), "checking the directory leaves nothing behind");

        file.write(123);

        assertEquals("123\n", content(pidPath()));
        assertEquals(123, file.read());
        assertEquals(List.of("app.pid"), dirListing(), "no temporary file left");
        file.write(45);
        assertEquals("45\n", content(pidPath()), "a shorter pid replaces a longer one entirely");
    }

    @Test
    void readersNeverSeeAPartialFile() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        file.write(7);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread reader = new Thread(() ->
        {
            while (writing.get())
            {
                try
                {
                    seen.add(content(pidPath()));
                }
                catch (IOException x)
                {
                    seen.add("unreadable: " + x);
                }
            }
        });
        reader.start();
        try
        {
            long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
            for (int i = 0; System.nanoTime() < deadline || i < 200; i++)
                file.write(i % 2 == 0 ? 1234567890123L : 7);
        }
        finally
        {
            writing.set(false);
            reader.join();
        }
        assertTrue(Set.of("7\n", "1234567890123\n").containsAll(seen), "readers saw " + seen);
        assertEquals(List.of("app.pid"), dirListing());
    }

    @Test
    void readIsMinusOneWhenMissingOrGarbage() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        assertEquals(-1, file.read());
        Files.writeString(pidPath(), "not a pid\n");
        assertEquals(-1, file.read());
    }

    // ---- unusable locations ------------------------------------------------------------------------------------

    @Test
    void missingDirectoryIsRefusedWithPathAndFix()
    {
        Path path = dir.resolve("no-such-dir").resolve("app.pid");

        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new PidFile(path));

        assertContains(x.getMessage(), path.toString(), "Fix:");
    }

    @Test
    void directoryThatIsAFileIsRefusedWithPathAndFix() throws Exception
    {
        // tests run as root, where a chmod 555 directory is still writable: a regular file is a "directory" no one can write in
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        Path path = notADirectory.resolve("app.pid");

        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new PidFile(path));

        assertContains(x.getMessage(), path.toString(), "Fix:");
        assertEquals("x", content(notADirectory));
    }

    @Test
    void directoryWhereEvenRootCannotCreateFilesIsRefusedWithPathAndFix()
    {
        Path path = Path.of("/proc/jetty-graceful-test.pid");
        assertTrue(Files.isDirectory(path.getParent()));

        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new PidFile(path));

        assertContains(x.getMessage(), path.toString(), "/proc", "Fix:");
    }

    @Test
    void pathThatIsADirectoryIsRefused() throws Exception
    {
        Path path = Files.createDirectory(dir.resolve("app.pid"));

        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new PidFile(path));

        assertContains(x.getMessage(), path.toString(), "Fix:");
    }

    // ---- symlinks ----------------------------------------------------------------------------------------------

    @Test
    void symlinkAtTheTargetIsReplacedNotFollowed() throws Exception
    {
        Path victim = Files.writeString(dir.resolve("victim"), "precious\n");
        Files.createSymbolicLink(pidPath(), victim);
        PidFile file = new PidFile(pidPath());

        file.write(99);

        assertEquals("precious\n", content(victim), "the file behind the link is unchanged");
        assertFalse(Files.isSymbolicLink(pidPath()), "the pid file is now a file of its own");
        assertTrue(Files.isRegularFile(pidPath()));
        assertEquals("99\n", content(pidPath()));
    }

    @Test
    void danglingSymlinkAtTheTargetCreatesNothingElsewhere() throws Exception
    {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path planted = elsewhere.resolve("created-through-link");
        Files.createSymbolicLink(pidPath(), planted);

        new PidFile(pidPath()).write(99);

        assertFalse(Files.exists(planted), "nothing is created where the link points");
        assertFalse(Files.isSymbolicLink(pidPath()));
        assertEquals("99\n", content(pidPath()));
    }

    // ---- restart phases ----------------------------------------------------------------------------------------

    @Test
    void servingWritesThisPid() throws Exception
    {
        PidFile file = new PidFile(pidPath());

        file.serving();

        assertEquals(SELF + "\n", content(pidPath()));
    }

    @Test
    void childReadyWritesTheChildsPid() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        file.serving();

        file.childReady(31337);

        assertEquals("31337\n", content(pidPath()));
    }

    @Test
    void restartFailedWritesThisPidBack() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        file.childReady(31337);

        file.restartFailed(RestartOutcome.failure(31337, "it died", Duration.ZERO, null));

        assertEquals(SELF + "\n", content(pidPath()));
    }

    @Test
    void stoppingRemovesTheFileWhenItHoldsThisPid() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        file.serving();

        file.stopping();

        assertFalse(Files.exists(pidPath()));
        file.stopping(); // nothing to remove: no error
    }

    @Test
    void stoppingKeepsTheFileOfAnotherProcess() throws Exception
    {
        PidFile file = new PidFile(pidPath());
        file.childReady(31337);

        file.stopping();

        assertEquals("31337\n", content(pidPath()), "the replacement's pid file is not ours to remove");
    }
}
