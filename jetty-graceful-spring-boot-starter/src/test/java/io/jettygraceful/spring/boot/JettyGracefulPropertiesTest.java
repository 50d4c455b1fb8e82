package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.List;

import io.jettygraceful.GracefulRestart;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        GracefulRestart restart = new GracefulRestart(new Server());
        properties.setDrainTimeout(Duration.ofSeconds(7));
        properties.setCommand(List.of("/opt/app/run"));
        properties.applyTo(restart);
        assertEquals("HUP", restart.getSignal());
        assertEquals(Duration.ofSeconds(60), restart.getReadyTimeout());
        assertEquals(Duration.ofSeconds(7), restart.getDrainTimeout());
        assertEquals(Duration.ofSeconds(2), restart.getTakeBackWindow());
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
        assertTrue(analysis.getAction().contains("30s"), analysis.getAction());
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
    }
}
