package io.jettygraceful.it.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The most common deploy: {@code cp new.jar app.jar} over the running jar, in place (same inode, new content), then a
 * restart. The running JVM read the jar's directory when it opened it; every class it loads for the first time
 * afterwards is read at offsets that are now wrong. The restart path must not need the jar any more: the new build
 * takes over, and the old process drains and exits 0 with its "Restart succeeded" line, under load, with no failed
 * request. The "new build" is the same classes written in another order, so that every offset differs.
 */
class FaultDeployInPlaceTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void copyOverTheRunningJarThenRestartHandsOverAndTheOldProcessExitsCleanly(int jdk, @TempDir Path dir) throws Exception
    {
        Path jar = dir.resolve("app.jar");
        Files.copy(Jdks.exampleJar(), jar);
        Path newBuild = reordered(Jdks.exampleJar(), dir.resolve("new.jar"));
        int port = FreePorts.ipv4();
        ExampleStatus first = Faults.start(processes, ExampleProcess.builder().name("deploy-cp-" + jdk).java(Jdks.java(jdk)).jar(jar), port);
        ExampleProcess process = processes.started().get(0);

        try (LoadGenerator load = LoadGenerator.builder(port).path("/uuid").keepAliveClients(2).newConnectionClients(2)
            .maxRequests(1_000_000).maxDuration(Duration.ofSeconds(90)).timeout(Duration.ofSeconds(15)).start())
        {
            assertTrue(load.awaitCompleted(300, Duration.ofSeconds(20)), "load flows");
            // As the README says: overwrite in place only once the start has loaded what a restart needs.
            awaitRestartPathLoaded(processes, port);
            copyInPlace(newBuild, jar);
            Faults.hup(first.pid());
            ExampleStatus second = Faults.awaitNextGeneration(processes, port, first, Faults.HANDOFF);
            assertNotEquals(first.pid(), second.pid());
            assertEquals(0, process.exitCode(Duration.ofSeconds(40)), "the old process drained and exited 0:\n" + process.output());
            assertTrue(process.output().contains("Restart succeeded: pid " + first.pid() + " -> pid " + second.pid()), process.output());
            assertFalse(process.output().contains("NoClassDefFoundError"), "nothing of the restart path was read from the overwritten jar:\n" + process.output());
            long before = load.completed();
            assertTrue(load.awaitCompleted(before + 300, Duration.ofSeconds(20)), "the new build serves");
            LoadGenerator.Summary summary = load.stop();
            System.out.println("[it] deploy by cp in place, JDK " + jdk + ": " + summary);
            assertEquals(0, summary.failed(), summary.toString());
        }
        ExampleStatus third = Restarts.restart(processes, port, processes.status(port), Faults.HANDOFF);
        assertEquals(3, third.generation(), "and the new build restarts in turn");
    }

    private static void awaitRestartPathLoaded(ProcessTracker processes, int port) throws IOException
    {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String json = processes.status(port).json();
        while (!json.contains("\"restartPathLoaded\":true"))
        {
            assertTrue(System.nanoTime() - deadline < 0, "the restart path was not loaded within 30 s: " + json);
            Restarts.pause(Duration.ofMillis(50));
            json = processes.status(port).json();
        }
    }

    /** Overwrites {@code target} in place, as {@code cp} does: truncate and write the same inode. */
    private static void copyInPlace(Path source, Path target) throws IOException
    {
        Object inode = Files.getAttribute(target, "unix:ino");
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target))
        {
            in.transferTo(out);
        }
        assertEquals(inode, Files.getAttribute(target, "unix:ino"), "same file, new content");
    }

    /** The same entries, manifest first, the rest in reverse order: a jar whose every class sits at another offset. */
    private static Path reordered(Path jar, Path out) throws IOException
    {
        try (ZipFile source = new ZipFile(jar.toFile()); ZipOutputStream target = new ZipOutputStream(Files.newOutputStream(out)))
        {
            List<ZipEntry> entries = new ArrayList<>(Collections.list(source.entries()));
            Collections.reverse(entries);
            entries.sort((a, b) -> Boolean.compare(!isManifestPart(a), !isManifestPart(b)));
            for (ZipEntry entry : entries)
            {
                target.putNextEntry(new ZipEntry(entry.getName()));
                try (InputStream in = source.getInputStream(entry))
                {
                    in.transferTo(target);
                }
                target.closeEntry();
            }
        }
        return out;
    }

    private static boolean isManifestPart(ZipEntry entry)
    {
        return entry.getName().equals("META-INF/") || entry.getName().equals("META-INF/MANIFEST.MF");
    }
}
