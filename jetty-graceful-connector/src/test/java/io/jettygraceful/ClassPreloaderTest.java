package io.jettygraceful;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassPreloaderTest
{
    @Test
    void loadsEveryClassOfTheLibraryIncludingNestedAndOsClasses() throws Exception
    {
        Path classes = Path.of(GracefulRestart.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> expected;
        try (Stream<Path> files = Files.walk(classes.resolve("io/jettygraceful")))
        {
            expected = files.filter(f -> f.toString().endsWith(".class"))
                .map(f -> classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""))
                .sorted().toList();
        }

        List<String> loaded = ClassPreloader.preload(GracefulRestart.class).stream().sorted().toList();

        assertEquals(expected, loaded);
        assertTrue(loaded.contains("io.jettygraceful.HandoffAttempt"), loaded::toString);
        assertTrue(loaded.contains("io.jettygraceful.os.LinuxOs"), loaded::toString);
        assertTrue(loaded.stream().anyMatch(n -> n.contains("$")), "nested and anonymous classes too: " + loaded);
    }
}
