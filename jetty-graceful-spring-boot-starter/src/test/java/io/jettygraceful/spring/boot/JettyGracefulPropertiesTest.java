package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import io.jettygraceful.WarmUpReadinessCheck;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JettyGracefulPropertiesTest
{
    @Test
    void defaultsAreValidAndReachTheRestart()
    {
        JettyGracefulProperties properties = new JettyGracefulProperties();
        properties.validate();
        properties.setDrainTimeout(Duration.ofSeconds(7));
        properties.setCommand(List.of("/opt/app/run"));
        GracefulRestartConfiguration restart = properties.toConfiguration();
        assertEquals("HUP", restart.getSignal());
        assertEquals(Duration.ofSeconds(60), restart.getReadyTimeout());
        assertEquals(Duration.ofSeconds(7), restart.getDrainTimeout());
        assertEquals(Duration.ofSeconds(2), restart.getTakeBackWindow());
        assertEquals(Duration.ofSeconds(1), restart.getHandoverSpread());
        assertEquals(5, restart.getReplacementNice());
        assertEquals(List.of("/opt/app/run"), restart.getCommand());
        assertNull(restart.getPidFile());
    }

    @Test
    void zeroDurationIsRefusedWithThePropertyAndTheFix()
    {
        JettyGracefulProperties properties = new JettyGracefulProperties();
        properties.setReadyTimeout(Duration.ZERO);
        InvalidGracefulPropertyException x = assertThrows(InvalidGracefulPropertyException.class, properties::validate);
        assertEquals("jetty.graceful.ready-timeout", x.getProperty());

        FailureAnalysis analysis = new GracefulPropertiesFailureAnalyzer().analyze(new IllegalStateException("wrapped", x));
        assertTrue(analysis.getDescription().contains("'jetty.graceful.ready-timeout'"), analysis.getDescription());
        assertTrue(analysis.getDescription().contains("positive duration"), analysis.getDescription());
        assertTrue(analysis.getAction().contains("a duration such as 60s"), analysis.getAction());
    }

    @Test
    void unknownSignalAndNegativeWindowAreRefused()
    {
        JettyGracefulProperties properties = new JettyGracefulProperties();
        properties.setSignal("QUIT");
        assertEquals("jetty.graceful.signal", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
        properties.setSignal("sigusr1");
        properties.validate();
        properties.setTakeBackWindow(Duration.ofSeconds(-1));
        assertEquals("jetty.graceful.take-back-window", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
        properties.setTakeBackWindow(Duration.ZERO);
        properties.setHandoverSpread(Duration.ofMillis(-1));
        assertEquals("jetty.graceful.handover-spread", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
        properties.setHandoverSpread(Duration.ZERO);
        properties.setReplacementNice(20);
        assertEquals("jetty.graceful.replacement-nice", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
    }

    @Test
    void handoverSpreadAndReplacementNiceBindBootStyleAndReachTheRestart()
    {
        JettyGracefulProperties properties = bind(Map.of("jetty.graceful.handover-spread", "2500ms", "jetty.graceful.replacement-nice", "0"));
        GracefulRestartConfiguration restart = properties.toConfiguration();
        assertEquals(Duration.ofMillis(2500), restart.getHandoverSpread());
        assertEquals(0, restart.getReplacementNice());
    }

    @Test
    void movingConnectionsIsOnByDefaultAndTurnsOff()
    {
        assertTrue(bind(Map.of("jetty.graceful.signal", "HUP")).toConfiguration().isMoveConnections());
        assertFalse(bind(Map.of("jetty.graceful.move-connections", "false")).toConfiguration().isMoveConnections());
    }

    private static JettyGracefulProperties bind(Map<String, String> values)
    {
        return new Binder(new MapConfigurationPropertySource(values)).bind(JettyGracefulProperties.PREFIX, JettyGracefulProperties.class).get();
    }

    @Test
    void warmUpIsOffByDefaultAndItsPropertiesReachTheCheck()
    {
        assertNull(new JettyGracefulProperties().toConfiguration().getWarmUp().readinessCheck(), "no requests, no warm-up");
        JettyGracefulProperties properties = bind(Map.of(
            "jetty.graceful.warm-up.requests", "/a, GET /b | Accept: text/plain",
            "jetty.graceful.warm-up.count", "20",
            "jetty.graceful.warm-up.threads", "2",
            "jetty.graceful.warm-up.duration", "5s",
            "jetty.graceful.warm-up.allowed-statuses", "2xx, 404"));
        properties.validate();
        WarmUpReadinessCheck check = properties.toConfiguration().getWarmUp().readinessCheck();
        assertEquals("GET /a, GET /b | Accept: text/plain", check.getRequestMix());
        assertEquals(20, check.getCount());
        assertEquals(2, check.getThreads());
        assertEquals(5000, check.getDurationMillis());
        assertEquals("2xx, 404", check.getAllowedStatuses());
    }

    @Test
    void aBadWarmUpSettingIsRefusedWithThePropertyAndTheFix()
    {
        JettyGracefulProperties properties = bind(Map.of("jetty.graceful.warm-up.requests", "/ok, actuator/health"));
        InvalidGracefulPropertyException x = assertThrows(InvalidGracefulPropertyException.class, properties::validate);
        assertEquals("jetty.graceful.warm-up.requests", x.getProperty());
        assertTrue(x.getProblem().contains("'actuator/health'"), x.getProblem());
        assertTrue(x.getFix().contains("[METHOD ]target"), x.getFix());

        properties = bind(Map.of("jetty.graceful.warm-up.requests", "/ok", "jetty.graceful.warm-up.allowed-statuses", "5xx"));
        assertEquals("jetty.graceful.warm-up.allowed-statuses", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
        properties = bind(Map.of("jetty.graceful.warm-up.requests", "/ok", "jetty.graceful.warm-up.threads", "0"));
        assertEquals("jetty.graceful.warm-up.threads", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
        properties = bind(Map.of("jetty.graceful.warm-up.requests", "/ok", "jetty.graceful.warm-up.count", "-1"));
        assertEquals("jetty.graceful.warm-up.count", assertThrows(InvalidGracefulPropertyException.class, properties::validate).getProperty());
    }

    /** IDEs complete jetty.graceful.warm-up.* from the metadata the configuration processor writes, with descriptions. */
    @Test
    void warmUpPropertiesAreInTheConfigurationMetadata() throws Exception
    {
        try (java.io.InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json"))
        {
            String json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            for (String property : List.of("requests", "count", "threads", "duration", "allowed-statuses"))
                assertTrue(json.contains("\"name\": \"jetty.graceful.warm-up." + property + "\""), "metadata lacks jetty.graceful.warm-up." + property);
            assertTrue(json.contains("LocalConnector"), "with the description");
        }
    }

    /** The only setting that is not a property: a replaced Boot application always ends through its context. */
    private static final java.util.Set<String> NOT_PROPERTIES = java.util.Set.of("exitAfterDrain");

    /** Every setting of the library's configuration is a property here, with the configuration's default. */
    @Test
    void everySettingIsAPropertyWithTheLibrarysDefault() throws Exception
    {
        GracefulRestartConfiguration defaults = new JettyGracefulProperties().toConfiguration();
        String json;
        try (java.io.InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json"))
        {
            json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            if (NOT_PROPERTIES.contains(setting.name()))
                continue;
            String property = JettyGracefulProperties.PREFIX + "." + setting.kebabName();
            assertEquals(setting.defaultValue(), setting.get(defaults), property + "'s default");
            assertTrue(json.contains("\"name\": \"" + property + "\""), "the configuration metadata lacks " + property);

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
                    case "warmUp.allowedStatuses" -> "2xx,304";
                    default -> "/run/app.pid";
                };
            };
            GracefulRestartConfiguration bound = bind(Map.of(property, value)).toConfiguration();
            GracefulRestartConfiguration expected = new GracefulRestartConfiguration();
            setting.set(expected, value);
            assertEquals(setting.get(expected), setting.get(bound), property + "=" + value + " reaches the configuration");
            assertTrue(!java.util.Objects.equals(setting.defaultValue(), setting.get(bound)), property + " changed nothing");
        }
    }
}
