package io.jettygraceful;

import java.time.Duration;
import java.util.List;

import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GracefulRestartConfigurationTest
{
    @Test
    void everySettingReadsBackWhatItsTextSets()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        GracefulRestartConfiguration fresh = new GracefulRestartConfiguration();
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            String other = switch (setting.kind())
            {
                case DURATION -> "1234ms";
                case INTEGER -> "7";
                case BOOLEAN -> String.valueOf(!(Boolean)setting.defaultValue());
                case LIST -> setting.name().equals("command") ? "/bin/app,--port,1" : "/a,GET /b";
                case TEXT -> switch (setting.name())
                {
                    case "signal" -> "USR1";
                    case "holder" -> "always";
                    case "warmUp.allowedStatuses" -> "2xx, 304";
                    default -> "/run/app.pid";
                };
            };
            setting.set(config, other);
            assertTrue(!String.valueOf(setting.get(config)).equals(String.valueOf(setting.get(fresh))),
                setting.name() + ": setting '" + other + "' changed nothing (" + setting.get(config) + ")");
            GracefulRestartConfiguration copy = new GracefulRestartConfiguration();
            setting.set(copy, setting.text(config));
            assertEquals(setting.get(config), setting.get(copy), setting.name() + " reads back its own text");
        }
        config.validate();
    }

    @Test
    void defaultsComeFromANewConfiguration()
    {
        assertEquals(Duration.ofSeconds(60), GracefulRestartSettings.named("readyTimeout").orElseThrow().defaultValue());
        assertEquals(5, GracefulRestartSettings.named("replacementNice").orElseThrow().defaultValue());
        assertEquals("auto", GracefulRestartSettings.named("holder").orElseThrow().defaultValue());
        assertNull(GracefulRestartSettings.named("pidFile").orElseThrow().defaultValue());
        assertEquals(List.of(), GracefulRestartSettings.named("warmUp.requests").orElseThrow().defaultValue());
        assertEquals("warm-up.allowed-statuses", GracefulRestartSettings.named("warmUp.allowedStatuses").orElseThrow().kebabName());
        assertEquals("web-socket-close-spread", GracefulRestartSettings.named("webSocketCloseSpread").orElseThrow().kebabName());
    }

    @Test
    void aRefusedValueNamesTheSettingTheValueAndTheFixAndChangesNothing()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        InvalidSettingException x = assertThrows(InvalidSettingException.class, () -> config.setReplacementNice(20));
        assertEquals("replacementNice", x.setting());
        assertEquals(20, x.value());
        assertTrue(x.getMessage().contains("replacementNice = 20") && x.getMessage().contains("Fix: "), x.getMessage());
        assertEquals(5, config.getReplacementNice());

        x = assertThrows(InvalidSettingException.class, () -> GracefulRestartSettings.named("drainTimeout").orElseThrow().set(config, "soon"));
        assertEquals("drainTimeout", x.setting());
        assertTrue(x.getMessage().contains("500ms, 30s"), x.getMessage());
        x = assertThrows(InvalidSettingException.class, () -> config.setDrainTimeout(Duration.ZERO));
        assertTrue(x.getMessage().contains("positive"), x.getMessage());
        x = assertThrows(InvalidSettingException.class, () -> config.getWarmUp().setRequests(List.of("GET")));
        assertEquals("warmUp.requests", x.setting());
        x = assertThrows(InvalidSettingException.class, () -> config.getWarmUp().setAllowedStatuses("5xx"));
        assertEquals("warmUp.allowedStatuses", x.setting());
        x = assertThrows(InvalidSettingException.class, () -> config.setCommand(List.of("java", " ")));
        assertEquals("command", x.setting());
        x = assertThrows(InvalidSettingException.class, () -> GracefulRestartSettings.named("systemdNotify").orElseThrow().set(config, "yes"));
        assertEquals("systemdNotify", x.setting());
    }

    @Test
    void signalsAreNormalised()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        config.setSignal("sighup");
        assertEquals("HUP", config.getSignal());
        config.setSignal(" ");
        assertEquals("none", config.getSignal());
        config.setSignal("USR2");
        assertEquals("USR2", config.getSignal());
        assertThrows(InvalidSettingException.class, () -> config.setSignal("TERM"));
    }

    @Test
    void theWarmUpIsBuiltFromItsSettingsAndRunsAfterTheApplicationsCheck()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        assertNull(config.getWarmUp().readinessCheck(), "no request, no warm-up");
        config.getWarmUp().setRequestMix("/uuid, GET /status | Accept: application/json");
        config.getWarmUp().setCount(10);
        config.getWarmUp().setThreads(2);
        config.getWarmUp().setAllowedStatuses("2xx");
        WarmUpReadinessCheck check = config.getWarmUp().readinessCheck();
        assertNotNull(check);
        assertEquals(2, check.getRequests().size());
        assertEquals(10, check.getCount());
        assertEquals(2, check.getThreads());
        assertEquals("GET /uuid, GET /status | Accept: application/json", check.getRequestMix());
    }

    @Test
    void theBeanShowsItsConfigurationAsABean()
    {
        GracefulRestartConfiguration config = new GracefulRestartConfiguration();
        GracefulRestart restart = new GracefulRestart(new Server(), config);
        assertSame(config, restart.getConfiguration());
        assertTrue(restart.getBeans().contains(config), "dump and JMX show the configuration");
        assertTrue(restart.dump().contains("GracefulRestartConfiguration{signal=HUP"), restart.dump());
    }
}
