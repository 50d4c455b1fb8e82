package io.jettygraceful;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's settings table lists exactly the configuration's settings, in its order, with its defaults. */
class ReadmeSettingsTableTest
{
    @Test
    void theReadmeTableIsTheConfigurationsSettingsWithTheirDefaults() throws Exception
    {
        Path readme = Path.of("..", "README.md");
        assertTrue(Files.isRegularFile(readme), "run from the module directory: " + readme.toAbsolutePath());
        List<String> lines = Files.readAllLines(readme);
        int header = lines.indexOf("| setting | default | meaning |");
        assertTrue(header >= 0, "README.md has no '| setting | default | meaning |' table");
        List<String> names = new ArrayList<>();
        List<String> defaults = new ArrayList<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++)
        {
            String[] cells = lines.get(i).split("\\|");
            names.add(cells[1].trim().replace("`", ""));
            defaults.add(cells[2].trim().replace("`", ""));
        }
        List<String> expectedNames = GracefulRestartSettings.all().stream().map(GracefulRestartSettings.Setting::name).toList();
        assertEquals(expectedNames, names, "the README's settings, in the configuration's order");
        for (int i = 0; i < names.size(); i++)
        {
            Object value = GracefulRestartSettings.all().get(i).defaultValue();
            String expected = value == null || value instanceof List<?> list && list.isEmpty() ? "none" : GracefulRestartSettings.Setting.textOf(value);
            assertEquals(expected, defaults.get(i), "README default of " + names.get(i));
        }
    }
}
