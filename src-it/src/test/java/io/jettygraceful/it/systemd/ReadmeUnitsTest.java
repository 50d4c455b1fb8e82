package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The unit files the README shows are the ones the systemd tests run (docs/systemd), byte for byte. */
class ReadmeUnitsTest
{
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"notify/app.service", "notify-reload/app.service", "socket/app.socket", "socket/app.service"})
    void readmeShowsTheTestedUnit(String file) throws IOException
    {
        String unit = Files.readString(UnitFiles.docs().resolve(file));
        String readme = Files.readString(UnitFiles.docs().resolve("../../README.md"));
        assertTrue(readme.contains("```ini\n" + unit + "```"), "README.md must show docs/systemd/" + file + " exactly, in an ```ini block " +
            "(the tests install that file into a real systemd): copy the file into the README again");
    }
}
