package io.jettygraceful.example;

import java.time.Duration;
import java.util.List;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every setting of the one configuration is an option of the example, with the configuration's default. */
class ExampleOptionsTest
{
    @Test
    void withoutOptionsEverySettingHasTheConfigurationsDefault()
    {
        ExampleOptions options = ExampleOptions.parse(new String[0]);
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
            assertEquals(setting.defaultValue(), setting.get(options.restart), setting.name());
    }

    @Test
    void everySettingIsAnOption()
    {
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            String value = switch (setting.kind())
            {
                case DURATION -> "1234ms";
                case INTEGER -> "7";
                case BOOLEAN -> String.valueOf(!(Boolean)setting.defaultValue());
                case LIST -> setting.name().equals("command") ? "/opt/app/start,--port,1" : "/a,GET /b";
                case TEXT -> switch (setting.name())
                {
                    case "signal" -> "USR1";
                    case "holder" -> "always";
                    case "warmUp.allowedStatuses" -> "2xx, 304";
                    default -> "/run/app.pid";
                };
            };
            String option = ExampleOptions.settingOption(setting);
            ExampleOptions options = ExampleOptions.parse(new String[] {option, value});
            GracefulRestartConfiguration expected = new GracefulRestartConfiguration();
            setting.set(expected, value);
            assertEquals(setting.get(expected), setting.get(options.restart), option + " " + value);
            assertNotEquals(setting.defaultValue(), setting.get(options.restart), option + " changed nothing");
            assertTrue(ExampleOptions.USAGE.contains(option + " "), "usage lists " + option);
        }
    }

    @Test
    void theExamplesShortFormsStillWork()
    {
        ExampleOptions options = ExampleOptions.parse(new String[] {"--fd-store", "--ws-close-spread", "2", "--warm-up", "50", "--warm-up-allow", "2xx",
            "--drain-timeout", "10"});
        assertTrue(options.restart.isSystemdFdStore());
        assertEquals(Duration.ofSeconds(2), options.restart.getWebSocketCloseSpread(), "a bare number is seconds here");
        assertEquals(Duration.ofSeconds(10), options.restart.getDrainTimeout());
        assertEquals(50, options.restart.getWarmUp().getCount());
        assertEquals(ExampleOptions.WARM_UP_MIX, options.restart.getWarmUp().getRequests(), "--warm-up alone replays the example's mix");
        assertEquals("2xx", options.restart.getWarmUp().getAllowedStatuses());
        assertEquals(List.of(), ExampleOptions.parse(new String[] {"--warm-up-requests", "/a", "--warm-up", "0"}).restart.getWarmUp().getRequests(),
            "--warm-up 0 turns it off");
    }

    @Test
    void aBadSettingNamesTheOptionAndTheFix()
    {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> ExampleOptions.parse(new String[] {"--replacement-nice", "30"}));
        assertTrue(x.getMessage().startsWith("--replacement-nice 30: it must be 0 to 19") && x.getMessage().contains("Fix: "), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> ExampleOptions.parse(new String[] {"--holder", "yes"}));
        assertTrue(x.getMessage().startsWith("--holder yes: "), x.getMessage());
    }
}
