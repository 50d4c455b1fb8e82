package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every unit the README shows (an {@code ```ini} block) is one of the files the systemd tests run, byte for byte. */
class ReadmeUnitsTest
{
    private static final Pattern INI_BLOCK = Pattern.compile("```ini\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyUnitInTheReadmeIsATestedFile() throws IOException
    {
        Path docs = UnitFiles.docs();
        Set<String> tested;
        try (Stream<Path> files = Files.walk(docs))
        {
            tested = files.filter(p -> p.toString().endsWith(".service") || p.toString().endsWith(".socket"))
                .map(ReadmeUnitsTest::read).collect(Collectors.toSet());
        }
        Matcher block = INI_BLOCK.matcher(Files.readString(docs.resolve("../../README.md")));
        List<String> untested = new ArrayList<>();
        int blocks = 0;
        while (block.find())
        {
            blocks++;
            if (!tested.contains(block.group(1)))
                untested.add(block.group(1).lines().limit(3).collect(Collectors.joining("\n")) + "\n...");
        }
        assertFalse(blocks == 0, "README.md shows no unit file: this test looks for ```ini blocks");
        assertEquals(List.of(), untested, "README.md shows units that are not, byte for byte, a file of docs/systemd (the files the " +
            "systemd tests install into a real systemd): copy the file into the README again, or link to it");
    }

    private static String read(Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }

    /** The test's ports go in whole, even when one holds the other's digits (38081 holds 8081). */
    @Test
    void theUnitsGetTheTestsPortsWhole()
    {
        java.util.Map<String, String> notify = UnitFiles.NOTIFY.withPorts(38081, 58080);
        assertTrue(notify.get(UnitFiles.SERVICE).contains("Environment=PORT=38081\n"), notify.get(UnitFiles.SERVICE));
        java.util.Map<String, String> two = UnitFiles.TWO_SOCKETS.withPorts(38081, 58080);
        assertTrue(two.get("app-http.socket").contains("ListenStream=127.0.0.1:38081\n"), two.get("app-http.socket"));
        assertTrue(two.get("app-admin.socket").contains("ListenStream=127.0.0.1:58080\n"), two.get("app-admin.socket"));
    }
}
