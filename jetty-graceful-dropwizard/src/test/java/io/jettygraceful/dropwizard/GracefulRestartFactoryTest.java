package io.jettygraceful.dropwizard;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.ResourceConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.jettygraceful.GracefulRestart;
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

    @Test
    void defaultsMatchTheLibrarys() throws Exception
    {
        GracefulRestart restart = read("{}").build(new Server());
        GracefulRestart library = new GracefulRestart(new Server());
        assertEquals(library.getSignal(), restart.getSignal());
        assertEquals(library.getReadyTimeout(), restart.getReadyTimeout());
        assertEquals(library.getDrainTimeout(), restart.getDrainTimeout());
        assertEquals(library.getKillGrace(), restart.getKillGrace());
        assertEquals(library.getTakeBackWindow(), restart.getTakeBackWindow());
        assertEquals(library.getHandoverSpread(), restart.getHandoverSpread());
        assertEquals(library.getReplacementNice(), restart.getReplacementNice());
        assertEquals(library.isSystemdNotify(), restart.isSystemdNotify());
        assertEquals(library.isDrainOnStop(), restart.isDrainOnStop());
        assertNull(restart.getPidFile());
        assertNull(restart.getCommand());
        assertFalse(restart.isExitAfterDrain(), "the bundle ends a replaced process through Dropwizard's shutdown");
    }

    @Test
    void everySettingReachesTheGracefulRestart() throws Exception
    {
        GracefulRestart restart = read("""
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
            """).build(new Server());
        assertEquals("usr1", restart.getSignal());
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
        assertNull(read("{}").getWarmUp().build());
        assertNull(read("warmUp: {count: 5}").getWarmUp().build(), "no requests, no warm-up");
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
            """).getWarmUp().build();
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
