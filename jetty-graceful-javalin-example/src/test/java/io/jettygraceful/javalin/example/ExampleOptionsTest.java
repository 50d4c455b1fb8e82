package io.jettygraceful.javalin.example;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import io.jettygraceful.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sample's options against the library's list of settings: every one is an option, and reaches the configuration. */
class ExampleOptionsTest
{
    @Test
    void everySettingOfTheLibraryIsAnOptionThatReachesTheConfiguration()
    {
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            if (setting.defaultValue() == null)
            {
                assertTrue(ExampleOptions.parse(new String[]{ExampleOptions.option(setting), "x"}).settings.containsKey(setting.name()), setting.name());
                continue;
            }
            String text = GracefulRestartSettings.Setting.textOf(setting.defaultValue());
            ExampleOptions options = ExampleOptions.parse(new String[]{ExampleOptions.option(setting), text});
            GracefulRestartConfiguration configuration = new GracefulRestartConfiguration();
            options.applyTo(configuration);
            assertEquals(text, setting.text(configuration), setting.name());
            assertTrue(ExampleOptions.USAGE.contains(ExampleOptions.option(setting) + " "), "--help lists " + setting.name());
        }
        ExampleOptions drain = ExampleOptions.parse(new String[]{"--drain-timeout", "20s", "--port", "0"});
        GracefulRestartConfiguration configuration = new GracefulRestartConfiguration();
        drain.applyTo(configuration);
        assertEquals(java.time.Duration.ofSeconds(20), configuration.getDrainTimeout());
        assertEquals(0, drain.port);
        assertEquals("127.0.0.1", drain.host);
    }

    @Test
    void aValueThatCannotWorkIsRefusedByTheConfigurationNotByTheParser()
    {
        ExampleOptions options = ExampleOptions.parse(new String[]{"--drain-timeout", "0s"});
        InvalidSettingException x = assertThrows(InvalidSettingException.class, () -> options.applyTo(new GracefulRestartConfiguration()));
        assertEquals("drainTimeout", x.setting());
        assertThrows(IllegalArgumentException.class, () -> ExampleOptions.parse(new String[]{"--no-such-option", "1"}));
    }
}
