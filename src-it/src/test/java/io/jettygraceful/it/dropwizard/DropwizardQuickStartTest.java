package io.jettygraceful.it.dropwizard;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.ListeningSockets;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dropwizard sample as the README's quick start runs it, with its own {@code app.yml} (only the ports moved to free
 * ones): quiet (no access-log line per request, no logback version warnings), on loopback, on ports apart from the
 * plain example's and the Spring Boot sample's defaults; and the restart task answers a refused restart with an error.
 */
class DropwizardQuickStartTest
{
    /** The sample's configuration as users run it. */
    static final Path APP_YML = Path.of(System.getProperty("dropwizard.example.config", "../jetty-graceful-dropwizard-example/app.yml"));
    private static final Pattern PORT = Pattern.compile("(?m)^\\s+port: (\\d+)$");

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void itsPortsLeaveTheOtherQuickStartsAlone() throws Exception
    {
        Matcher ports = PORT.matcher(Files.readString(APP_YML));
        int count = 0;
        while (ports.find())
        {
            count++;
            int port = Integer.parseInt(ports.group(1));
            assertFalse(port == 8081 || port == 8082, APP_YML + " uses port " + port + ", the default of the plain example (8081) or of the Spring Boot sample (8082)");
        }
        assertEquals(2, count, "the application and the admin connector's ports in " + APP_YML);
    }

    @Test
    void quietOnLoopbackAndARefusedRestartIsAnError() throws Exception
    {
        int appPort = FreePorts.ipv4();
        int adminPort = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("dropwizard-quick-start").jdk(17)
            .jar(io.jettygraceful.it.Jdks.dropwizardExampleJar()).outputOutlivesProcess()
            .jvmArgs(DropwizardSample.JVM_ARGS)
            .jvmArgs("-Ddw.server.applicationConnectors[0].port=" + appPort, "-Ddw.server.adminConnectors[0].port=" + adminPort,
                "-Ddw.gracefulRestart.readyTimeout=180s", "-Ddw.gracefulRestart.replacementNice=" + ExampleProcess.TEST_REPLACEMENT_NICE)
            .args("server", APP_YML.toAbsolutePath().toString()));
        first.servingPid(DropwizardSample.START);
        ExampleStatus status = processes.status(appPort);
        for (int i = 0; i < 5; i++)
            assertEquals(200, Http.get(appPort, "/uuid").status());
        assertEquals(Set.of("127.0.0.1:" + appPort, "127.0.0.1:" + adminPort), Set.copyOf(ListeningSockets.describe(first.pid())));

        // A restart that SIGHUP started is running: the task is refused, and says so with a non-2xx status.
        assertTrue(Subreaper.signal(status.pid(), Restarts.SIGHUP), "SIGHUP to " + status.pid());
        Restarts.await(() -> restarting(appPort, status.pid()), DropwizardSample.HANDOFF, "pid " + status.pid() + " to show \"restarting\":true");
        HttpResponse<String> refused = DropwizardSample.postTask(adminPort, "graceful-restart", DropwizardSample.HANDOFF);
        assertEquals(500, refused.statusCode(), "a refused restart is an error of the task: " + refused.body());
        assertTrue(refused.body().contains("in progress"), "the task answers why: " + refused.body());
        Restarts.awaitGeneration(processes, appPort, status, DropwizardSample.HANDOFF);

        String output = first.output();
        assertFalse(output.contains("GET /uuid"), "no access-log line per request:\n" + output);
        assertFalse(output.contains("|-WARN") || output.contains("logback-access"), "no logback status lines:\n" + output);
    }

    private static boolean restarting(int port, long pid)
    {
        try
        {
            String json = Http.get(port, "/status").body();
            return json.contains("\"pid\":" + pid + ",") && json.contains("\"restarting\":true");
        }
        catch (java.io.IOException x)
        {
            return false;
        }
    }
}
