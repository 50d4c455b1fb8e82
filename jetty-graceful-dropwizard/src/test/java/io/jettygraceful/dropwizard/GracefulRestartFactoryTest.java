package io.jettygraceful.dropwizard;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.ResourceConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import io.jettygraceful.WarmUpReadinessCheck;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code gracefulRestart:} block read and validated as Dropwizard reads a configuration file. */
class GracefulRestartFactoryTest
{
    private final ObjectMapper mapper = Jackson.newObjectMapper();
    private final YamlConfigurationFactory<GracefulRestartFactory> factory =
        new YamlConfigurationFactory<>(GracefulRestartFactory.class, Validators.newValidator(), mapper, "dw");

    private GracefulRestartFactory read(String yaml) throws Exception
    {
        return factory.build(path -> new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "gracefulRestart.yml");
    }

    /** The only setting that is not a field: the bundle ends a replaced process through Dropwizard's shutdown. */
    private static final java.util.Set<String> NOT_FIELDS = java.util.Set.of("exitAfterDrain");

    @Test
    void everySettingOfTheLibraryIsAFieldWithTheLibrarysDefault() throws Exception
    {
        GracefulRestartConfiguration defaults = read("{}").toConfiguration();
        assertFalse(defaults.isExitAfterDrain(), "the bundle ends a replaced process through Dropwizard's shutdown");
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            if (NOT_FIELDS.contains(setting.name()))
                continue;
            assertEquals(setting.defaultValue(), setting.get(defaults), "gracefulRestart." + setting.name() + "'s default");
            String value = switch (setting.kind())
            {
                case DURATION -> "1234ms";
                case INTEGER -> "7";
                case BOOLEAN -> String.valueOf(!(Boolean)setting.defaultValue());
                case LIST -> setting.name().equals("command") ? "[/opt/app/start, --port, '1']" : "[/a, GET /b]";
                case TEXT -> switch (setting.name())
                {
                    case "signal" -> "USR1";
                    case "holder" -> "always";
                    case "warmUp.allowedStatuses" -> "[2xx, '304']";
                    default -> "/run/app.pid";
                };
            };
            String[] path = setting.name().split("\\.");
            String yaml = path.length == 1 ? path[0] + ": " + value + "\n" : path[0] + ":\n  " + path[1] + ": " + value + "\n";
            GracefulRestartConfiguration bound = read(yaml).toConfiguration();
            assertTrue(!java.util.Objects.equals(setting.defaultValue(), setting.get(bound)), "gracefulRestart." + setting.name() + " changed nothing: " + yaml);
        }
    }

    @Test
    void everySettingReachesTheGracefulRestart() throws Exception
    {
        GracefulRestartConfiguration restart = read("""
            signal: usr1
            readyTimeout: 90s
            drainTimeout: 500ms
            killGrace: 2s
            takeBackWindow: 0s
            handoverSpread: 2500ms
            replacementNice: 0
            pidFile: /run/app.pid
            command: [/opt/app/bin/start, --fast]
            systemdNotify: false
            drainOnStop: false
            systemdFdStore: true
            holder: always
            webSocketCloseSpread: 1s
            """).build(new Server()).getConfiguration();
        assertEquals("USR1", restart.getSignal());
        assertEquals(Duration.ofSeconds(90), restart.getReadyTimeout());
        assertEquals(Duration.ofMillis(500), restart.getDrainTimeout());
        assertEquals(Duration.ofSeconds(2), restart.getKillGrace());
        assertEquals(Duration.ZERO, restart.getTakeBackWindow());
        assertEquals(Duration.ofMillis(2500), restart.getHandoverSpread());
        assertEquals(0, restart.getReplacementNice());
        assertEquals("/run/app.pid", restart.getPidFile());
        assertEquals(List.of("/opt/app/bin/start", "--fast"), restart.getCommand());
        assertFalse(restart.isSystemdNotify());
        assertFalse(restart.isDrainOnStop());
        assertTrue(restart.isSystemdFdStore());
        assertEquals("always", restart.getHolder());
        assertEquals(Duration.ofSeconds(1), restart.getWebSocketCloseSpread());
    }

    @Test
    void invalidValuesAreRejectedNamingTheField()
    {
        ConfigurationValidationException x = assertThrows(ConfigurationValidationException.class, () -> read("""
            signal: TERM
            readyTimeout: 0s
            drainTimeout: 0ms
            killGrace: 0s
            replacementNice: 20
            """));
        String message = x.getMessage();
        assertTrue(message.contains("replacementNice must be less than or equal to 19"), message);
        assertTrue(message.contains("signal must be HUP, USR1, USR2 or none"), message);
        assertTrue(message.contains("readyTimeout must be greater than or equal to 1 MILLISECONDS"), message);
        assertTrue(message.contains("drainTimeout must be greater than or equal to 1 MILLISECONDS"), message);
        assertTrue(message.contains("killGrace must be greater than or equal to 1 MILLISECONDS"), message);
    }

    @Test
    void aDurationWithoutUnitIsRejectedByDropwizardsParser()
    {
        Exception x = assertThrows(Exception.class, () -> read("readyTimeout: 60\n"));
        assertTrue(x.getMessage().contains("readyTimeout"), x.getMessage());
    }
    @Test
    void noWarmUpByDefault() throws Exception
    {
        assertNull(read("{}").toConfiguration().getWarmUp().readinessCheck());
        assertNull(read("warmUp: {count: 5}").toConfiguration().getWarmUp().readinessCheck(), "no requests, no warm-up");
    }

    @Test
    void theWarmUpBlockReachesTheReadinessCheck() throws Exception
    {
        WarmUpReadinessCheck check = read("""
            warmUp:
              requests:
                - /hello
                - "GET /api/items | Accept: application/json, text/plain"
              count: 20
              threads: 2
              duration: 10s
              allowedStatuses: [2xx, 304]
            """).toConfiguration().getWarmUp().readinessCheck();
        assertEquals("GET /hello, GET /api/items | Accept: application/json, text/plain", check.getRequestMix(),
            "one request per list element: a header value may hold a comma");
        assertEquals(20, check.getCount());
        assertEquals(2, check.getThreads());
        assertEquals(10_000, check.getDurationMillis());
        assertEquals("2xx, 304", check.getAllowedStatuses());
    }

    @Test
    void aBadWarmUpIsRejectedWhenTheConfigurationLoadsNamingTheField()
    {
        ConfigurationValidationException x = assertThrows(ConfigurationValidationException.class, () -> read("""
            warmUp:
              requests: [/ok, hello]
              threads: 0
              count: -1
              allowedStatuses: [5xx]
            """));
        String message = x.getMessage();
        assertTrue(message.contains("warmUp.requests warm-up request 'hello': the target 'hello' does not start with /"), message);
        assertTrue(message.contains("warmUp.threads must be greater than or equal to 1"), message);
        assertTrue(message.contains("warmUp.count must be greater than or equal to 0"), message);
        assertTrue(message.contains("warmUp.allowedStatuses allowed warm-up status '5xx'"), message);
    }
}
