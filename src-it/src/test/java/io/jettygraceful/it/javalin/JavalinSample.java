package io.jettygraceful.it.javalin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.Jdks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Javalin sample ({@code jetty-graceful-javalin-example.jar}) as the harness runs it: an {@link ExampleProcess} of
 * {@code java -jar JAR --host 127.0.0.1 --port P ...}. The sample logs the same {@code Serving pid=... generation=...
 * uuid=...} line and answers the same {@code /status} JSON as the plain example, so {@link io.jettygraceful.it.ProcessTracker},
 * {@link io.jettygraceful.it.Restarts} and {@link io.jettygraceful.it.LoadGenerator} drive it unchanged. Its
 * {@code --stop-marker FILE} appends {@code serverStopping pid=N} and {@code serverStopped pid=N} from Javalin's own
 * event listeners.
 */
final class JavalinSample
{
    /** Limits for hangs, not for speed: a Javalin start takes about 0.5 s on an idle machine. */
    static final Duration START = Duration.ofSeconds(90);
    static final Duration HANDOFF = Duration.ofSeconds(120);

    private JavalinSample()
    {
    }

    /**
     * @return a builder for the sample on JDK {@code jdk} bound to 127.0.0.1:{@code port}, with the harness's JVM flags
     * ({@link ExampleProcess#TEST_JVM_ARGS}) and replacement nice value, then {@code args}
     */
    static ExampleProcess.Builder server(String name, int jdk, int port, String... args)
    {
        List<String> all = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", String.valueOf(port),
            "--replacement-nice", String.valueOf(ExampleProcess.TEST_REPLACEMENT_NICE)));
        all.addAll(List.of(args));
        return ExampleProcess.builder().name(name + "-jdk" + jdk).jdk(jdk).jar(Jdks.javalinExampleJar()).outputOutlivesProcess()
            .jvmArgs(ExampleProcess.TEST_JVM_ARGS.toArray(String[]::new)).args(all);
    }

    /** Asserts that Javalin's serverStopping, then serverStopped, fired in process {@code pid} (once each). */
    static void assertStopEventsFired(Path marker, long pid) throws java.io.IOException
    {
        assertTrue(Files.exists(marker), "no stop marker " + marker + ": no Javalin stop event fired at all");
        List<String> lines = Files.readAllLines(marker).stream().filter(l -> l.endsWith(" pid=" + pid)).toList();
        assertEquals(List.of("serverStopping pid=" + pid, "serverStopped pid=" + pid), lines,
            "Javalin's serverStopping then serverStopped, once each, in pid " + pid + ": " + Files.readAllLines(marker));
    }
}
