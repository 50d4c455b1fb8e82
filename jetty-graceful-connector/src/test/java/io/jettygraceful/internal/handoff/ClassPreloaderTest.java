package io.jettygraceful.internal.handoff;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import io.jettygraceful.GracefulRestart;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassPreloaderTest
{
    @Test
    void loadsEveryClassOfTheLibraryFromItsClassDirectory() throws Exception
    {
        Path classes = Path.of(GracefulRestart.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> expected;
        try (Stream<Path> files = Files.walk(classes.resolve("io/jettygraceful")))
        {
            expected = files.filter(f -> f.toString().endsWith(".class"))
                .map(f -> classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""))
                .sorted().toList();
        }

        List<String> loaded = ClassPreloader.preload(List.of(new ClassPreloader.Source(GracefulRestart.class, "io/jettygraceful/"))).stream().sorted().toList();

        assertEquals(expected, loaded);
        assertTrue(loaded.contains("io.jettygraceful.internal.handoff.HandoffAttempt"), loaded::toString);
        assertTrue(loaded.contains("io.jettygraceful.internal.os.LinuxOs"), loaded::toString);
        assertTrue(loaded.stream().anyMatch(n -> n.contains("$")), "nested and anonymous classes too: " + loaded);
    }

    @Test
    void loadsJettysClassesFromItsJarsIncludingThoseADrainUsesFirst()
    {
        long start = System.nanoTime();
        List<String> loaded = ClassPreloader.preload(ClassPreloader.restartPath());
        long millis = (System.nanoTime() - start) / 1_000_000L;
        System.out.println("ClassPreloader: " + loaded.size() + " classes in " + millis + " ms");

        // Classes seen missing after `cp new.jar app.jar`: first used when the drain closes connections.
        assertTrue(loaded.contains("org.eclipse.jetty.io.ManagedSelector$DestroyEndPoint"), "jetty-io, from its own jar");
        assertTrue(loaded.contains("org.eclipse.jetty.io.ssl.SslConnection"));
        assertTrue(loaded.contains("org.eclipse.jetty.server.Server"), "jetty-server");
        assertTrue(loaded.contains("org.eclipse.jetty.util.component.Graceful"), "jetty-util");
        assertTrue(loaded.contains("org.eclipse.jetty.http.HttpField"), "jetty-http");
        assertTrue(loaded.contains("io.jettygraceful.GracefulRestart"));
        assertEquals(loaded.size(), loaded.stream().distinct().count(), "each class once");
    }
}
