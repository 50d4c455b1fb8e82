package io.jettygraceful.it.dropwizard;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.Jdks;

/**
 * The Dropwizard sample ({@code jetty-graceful-dropwizard-example.jar}) as the harness runs it: an
 * {@link ExampleProcess} of {@code java -jar JAR server CONFIG}, with a YAML configuration written for the test.
 * The sample logs the same {@code Serving pid=... generation=... uuid=...} line and answers the same {@code /status}
 * JSON as the plain example, so {@link io.jettygraceful.it.ProcessTracker}, {@link io.jettygraceful.it.Restarts} and
 * {@link io.jettygraceful.it.LoadGenerator} drive it unchanged.
 */
final class DropwizardSample
{
    /**
     * Generous: a Dropwizard start takes 2 s on an idle 2-core machine and was measured at over 60 s on one shared by
     * several builds; the limits are for hangs, not for speed.
     */
    static final Duration START = Duration.ofSeconds(180);
    static final Duration HANDOFF = Duration.ofSeconds(240);
    /** The harness's JVM flags ({@link io.jettygraceful.it.ExampleProcess#TEST_JVM_ARGS}), which the plain example gets by itself. */
    static final String[] JVM_ARGS = io.jettygraceful.it.ExampleProcess.TEST_JVM_ARGS.toArray(String[]::new);

    private DropwizardSample()
    {
    }

    /** The configuration of one run; {@link #write} turns it into YAML. */
    static final class Config
    {
        String connectorType = "inherited-http";
        String adminConnectorType = "inherited-http";
        /** Written as the application connector's last line, e.g. {@code inheritChannel: true}. */
        String extraConnectorSetting;
        int appPort;
        int adminPort;
        String appSocketName;
        String adminSocketName;
        boolean inheritRequired;
        Path keystore;
        String keystorePassword;
        String drainTimeout = "5s";
        String readyTimeout = "180s";
        String signal = "HUP";
        /** {@link io.jettygraceful.it.ExampleProcess#TEST_REPLACEMENT_NICE}, unless a test is about the priority. */
        Integer replacementNice = io.jettygraceful.it.ExampleProcess.TEST_REPLACEMENT_NICE;
        Path stopMarker;
        Path readinessGate;
        String idleTimeout = "30s";
        String extraLoggers = "";
        /** The {@code gracefulRestart.warmUp} block's requests (none: no block), count and allowed statuses. */
        List<String> warmUpRequests = List.of();
        int warmUpCount = 100;
        String warmUpAllowed = "[2xx]";

        Config(int appPort, int adminPort)
        {
            this.appPort = appPort;
            this.adminPort = adminPort;
        }

        Path write(Path file) throws IOException
        {
            List<String> yaml = new ArrayList<>();
            yaml.add("server:");
            yaml.add("  shutdownGracePeriod: 10s");
            yaml.add("  applicationConnectors:");
            connector(yaml, connectorType, appPort, appSocketName);
            if (extraConnectorSetting != null)
                yaml.add("      " + extraConnectorSetting);
            yaml.add("  adminConnectors:");
            connector(yaml, adminConnectorType, adminPort, adminSocketName);
            yaml.add("  requestLog:");
            yaml.add("    appenders: []");
            yaml.add("gracefulRestart:");
            yaml.add("  signal: " + signal);
            yaml.add("  readyTimeout: " + readyTimeout);
            yaml.add("  drainTimeout: " + drainTimeout);
            yaml.add("  killGrace: 5s");
            if (replacementNice != null)
                yaml.add("  replacementNice: " + replacementNice);
            if (!warmUpRequests.isEmpty())
            {
                yaml.add("  warmUp:");
                yaml.add("    requests: [" + String.join(", ", warmUpRequests) + "]");
                yaml.add("    count: " + warmUpCount);
                yaml.add("    allowedStatuses: " + warmUpAllowed);
            }
            if (stopMarker != null)
                yaml.add("stopMarker: " + stopMarker);
            if (readinessGate != null)
                yaml.add("readinessGate: " + readinessGate);
            yaml.add("logging:");
            yaml.add("  level: INFO");
            yaml.add("  loggers:");
            yaml.add("    io.jettygraceful: INFO");
            if (!extraLoggers.isEmpty())
                yaml.add(extraLoggers);
            Files.write(file, yaml);
            return file;
        }

        private void connector(List<String> yaml, String type, int port, String socketName)
        {
            yaml.add("    - type: " + type);
            yaml.add("      bindHost: 127.0.0.1");
            yaml.add("      port: " + port);
            yaml.add("      idleTimeout: " + idleTimeout);
            if (socketName != null)
                yaml.add("      socketName: " + socketName);
            if (inheritRequired)
                yaml.add("      inheritRequired: true");
            if (keystore != null && type.endsWith("https"))
            {
                yaml.add("      keyStorePath: " + keystore);
                yaml.add("      keyStorePassword: " + keystorePassword);
                yaml.add("      keyStoreType: PKCS12");
                yaml.add("      validateCerts: false");
            }
        }
    }

    /** @return a builder for {@code java -jar JAR server CONFIG} on JDK {@code jdk}, from the sample jar (or {@code jar}) */
    static ExampleProcess.Builder server(String name, int jdk, Path config)
    {
        return ExampleProcess.builder().name(name + "-jdk" + jdk).jdk(jdk).jar(Jdks.dropwizardExampleJar()).outputOutlivesProcess()
            .jvmArgs(JVM_ARGS).args("server", config.toString());
    }

    /** {@code POST http://127.0.0.1:PORT/tasks/NAME}: the response, status and body. */
    static HttpResponse<String> postTask(int adminPort, String task, Duration timeout) throws IOException, InterruptedException
    {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/tasks/" + task))
            .timeout(timeout).POST(HttpRequest.BodyPublishers.noBody()).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
