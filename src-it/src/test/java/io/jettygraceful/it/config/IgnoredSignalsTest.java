package io.jettygraceful.it.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ways shells leave signals ignored, with real processes through 3 generations (a {@link JettyBase} JVM):
 * <ul>
 *   <li>{@code nohup java ... &} from a non-interactive shell (bash -c): SIGHUP ignored by nohup, SIGINT (and QUIT)
 *       by the shell for a background job; the shell exits at once and leaves the JVM to this test (a subreaper);</li>
 *   <li>{@code trap '' HUP; exec java ...} in bash -c: SIGHUP ignored.</li>
 * </ul>
 * With the default restart signal HUP, every generation takes SIGHUP anyway and says so in the log, and SIGHUP
 * restarts it. With USR1, SIGUSR1 restarts and SIGHUP stays ignored in every generation: a hangup kills none. In both,
 * what was ignored at the first generation's start is ignored at every generation's start (SIGINT of the background
 * job shows in every generation's SigIgn, as nothing takes it).
 */
@EnabledOnOs(OS.LINUX)
class IgnoredSignalsTest extends JettyBaseProcesses
{
    private static final int SIGHUP = 1;
    private static final int SIGINT = 2;
    private static final int SIGUSR1 = 10;
    private static final String TAKEN_ANYWAY = "SIGHUP was ignored when this JVM started";


    private static List<String> launcher(String name)
    {
        return switch (name)
        {
            case "nohup-background" -> List.of("/bin/bash", "-c", "nohup \"$@\" &", "bash");
            case "trap-hup" -> List.of("/bin/bash", "-c", "trap '' HUP\nexec \"$@\"", "bash");
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}, restart signal {1}, JDK {2}")
    @CsvSource({"nohup-background, HUP, 17", "nohup-background, USR1, 17", "trap-hup, HUP, 17", "trap-hup, USR1, 17",
        "nohup-background, HUP, 25", "trap-hup, USR1, 25"})
    void ignoredSignalsStayIgnoredAndTheTriggerWorksInEveryGeneration(String launcher, String signal, int jdk) throws Exception
    {
        int port = ConfigTesting.freePort();
        base = new JettyBase("jetty-base-signals")
            .java(Jdks.java(jdk))
            .property("jetty.graceful.http.host", "127.0.0.1")
            .property("jetty.graceful.http.port", String.valueOf(port))
            .property("jetty.graceful.restart.signal", signal)
            .property("jetty.graceful.restart.drainTimeout", "3000");
        boolean background = launcher.startsWith("nohup");
        int pid = base.start(launcher(launcher));
        for (int generation = 1; generation <= 3; generation++)
        {
            if (generation > 1)
                pid = base.restart(pid, signal.equals("HUP") ? SIGHUP : SIGUSR1);
            int serving = pid;
            Set<Integer> ignored = ignoredSignals(serving);
            System.out.printf("%s, signal %s, JDK %d: generation %d (pid %d) ignores %s%n", launcher, signal, jdk, generation, serving, ignored);
            if (background)
                assertTrue(ignored.contains(SIGINT), "generation " + generation + " started with SIGINT ignored, as the background job did: " + ignored);
            if (signal.equals("HUP"))
            {
                // Taken anyway, logged by every generation (all write to the same log), and handled, not ignored.
                int expectedWarnings = generation;
                base.waitFor(() -> count(Files.readString(base.log()), TAKEN_ANYWAY) >= expectedWarnings, 10_000,
                    expectedWarnings + " warning(s) '" + TAKEN_ANYWAY + "'");
                assertFalse(ignored.contains(SIGHUP), "generation " + generation + " handles SIGHUP: " + ignored);
            }
            else
            {
                assertTrue(ignored.contains(SIGHUP), "generation " + generation + " started with SIGHUP ignored, as generation 1 did: " + ignored);
                // A hangup kills no generation and restarts none.
                assertTrue(Subreaper.signal(serving, SIGHUP));
                ConfigTesting.sleep(500);
                assertTrue(JettyBase.isAlive(serving), "SIGHUP killed generation " + generation + "\n" + base.logText());
                assertEquals(serving, base.readPid(), "SIGHUP restarted generation " + generation);
                assertFalse(Files.readString(base.log()).contains(TAKEN_ANYWAY), base.logText());
            }
            assertEquals(200, Http.get(port, "/favicon.ico").status(), "generation " + generation + " serves");
        }
    }

    private static int count(String text, String part)
    {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1))
            count++;
        return count;
    }

    /** @return the classic signals (1-31) that {@code pid} ignores now, from SigIgn in its /proc status */
    private static Set<Integer> ignoredSignals(int pid) throws IOException
    {
        Set<Integer> signals = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")))
        {
            if (!line.startsWith("SigIgn:"))
                continue;
            long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
            for (int signal = 1; signal < 32; signal++)
            {
                if ((mask & (1L << (signal - 1))) != 0)
                    signals.add(signal);
            }
        }
        return signals;
    }
}
