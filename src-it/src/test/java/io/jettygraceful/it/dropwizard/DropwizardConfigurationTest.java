package io.jettygraceful.it.dropwizard;

import java.nio.file.Path;
import java.time.Duration;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad configuration stops the sample at once, with Dropwizard's messages naming the field and, where there is one, the fix. */
class DropwizardConfigurationTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @TempDir
    Path dir;

    @Test
    void invalidGracefulRestartValuesNameTheirFields() throws Exception
    {
        DropwizardSample.Config config = new DropwizardSample.Config(FreePorts.ipv4(), FreePorts.ipv4());
        config.signal = "TERM";
        config.readyTimeout = "0s";
        Path yaml = config.write(dir.resolve("bad.yml"));
        ExampleProcess check = processes.start(DropwizardSample.server("dropwizard-invalid", 17, yaml));
        assertEquals(1, check.exitCode(Duration.ofSeconds(60)), check.describe());
        String output = check.output();
        assertTrue(output.contains("has an error") || output.contains("has the following errors"), output);
        assertTrue(output.contains("gracefulRestart.signal must be HUP, USR1, USR2 or none"), output);
        assertTrue(output.contains("gracefulRestart.readyTimeout must be greater than or equal to 1 MILLISECONDS"), output);
        assertTrue(!output.contains("Serving pid="), "nothing started: " + output);
    }

    @Test
    void inheritChannelOnAnInheritedConnectorIsRefusedWithTheFix() throws Exception
    {
        DropwizardSample.Config config = new DropwizardSample.Config(FreePorts.ipv4(), FreePorts.ipv4());
        config.extraConnectorSetting = "inheritChannel: true";
        ExampleProcess server = processes.start(DropwizardSample.server("dropwizard-inherit-channel", 17, config.write(dir.resolve("app.yml"))));
        assertEquals(1, server.exitCode(Duration.ofSeconds(60)), server.describe());
        String output = server.output();
        assertTrue(output.contains("inheritChannel: true cannot be combined with type inherited-http") && output.contains("Fix: remove inheritChannel"), output);
    }
}
