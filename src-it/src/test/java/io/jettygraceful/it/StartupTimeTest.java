package io.jettygraceful.it;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Prints (does not assert) the time from spawn to the first 200 OK of {@code GET /uuid}, median of 3, on each JDK,
 * with the example binding its own port and with the socket inherited from systemd-socket-activate. The figures go
 * to stdout and to target/it-logs/startup-times.txt.
 */
class StartupTimeTest
{
    private static final int RUNS = 3;
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void printStartupTimes() throws Exception
    {
        // Rounds outermost, so that a burst of load from elsewhere on the machine hits every configuration alike.
        java.util.Map<String, List<Long>> millis = new java.util.LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++)
        {
            for (int jdk : Jdks.TESTED)
            {
                for (boolean inherited : new boolean[]{false, true})
                    millis.computeIfAbsent(String.format("JDK %d, %-9s", jdk, inherited ? "inherited" : "bound"), k -> new ArrayList<>()).add(measure(jdk, inherited));
            }
        }
        List<String> lines = new ArrayList<>();
        millis.forEach((name, runs) -> lines.add(String.format("%s: median %4d ms (runs %s)", name, runs.stream().sorted().toList().get(RUNS / 2), runs)));
        String report = "spawn to first 200 OK of GET /uuid, " + Runtime.getRuntime().availableProcessors() + " cores, load average " + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() + ":\n" + String.join("\n", lines);
        System.out.println("[it] " + report);
        Files.createDirectories(ExampleProcess.LOG_DIR);
        Files.writeString(ExampleProcess.LOG_DIR.resolve("startup-times.txt"), report + "\n");
    }

    private long measure(int jdk, boolean inherited) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess.Builder builder = ExampleProcess.builder().asUsersRunIt().name("startup-jdk" + jdk + (inherited ? "-inherited" : "-bound")).jdk(jdk);
        if (inherited)
            builder.wrapper(ExampleProcess.systemdSocketActivate(List.of("127.0.0.1:" + port), List.of("http")));
        else
            builder.args("--host", "127.0.0.1", "--port", String.valueOf(port));
        try (ExampleProcess process = processes.start(builder))
        {
            long deadline = process.startNanos() + LIMIT.toNanos();
            while (true)
            {
                try
                {
                    Http.Response response = Http.get(Http.IPV4, port, "/uuid", LIMIT);
                    long elapsed = (System.nanoTime() - process.startNanos()) / 1_000_000;
                    assertEquals(200, response.status(), response.toString());
                    return elapsed;
                }
                catch (ConnectException x)
                {
                    // not listening yet: poll again, bounded by the deadline
                    if (System.nanoTime() > deadline || !process.isAlive())
                        throw new AssertionError("no 200 within " + LIMIT + ": " + process.describe(), x);
                    Restarts.pause(Duration.ofMillis(5));
                }
                catch (IOException x)
                {
                    throw new AssertionError("GET /uuid failed: " + process.describe(), x);
                }
            }
        }
    }
}
