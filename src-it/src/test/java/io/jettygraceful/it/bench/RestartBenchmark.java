package io.jettygraceful.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.ProcessTracker;

/**
 * The restart benchmark: HTTP load on loopback while the example is restarted N times by each lane (a strategy:
 * stop-then-start, SO_REUSEPORT overlap, handoff; or a variant of the handoff), the lanes' restarts interleaved, then
 * the steady-state overhead of the inherited connector. Writes a Markdown
 * report to stdout and to {@code target/benchmark/results.md}, and a PNG plot to {@code target/benchmark/restarts.png}.
 *
 * <p>Run from the project root (builds everything first, then runs this in src-it):
 * {@code mvn -B -Pbenchmark -DskipTests verify} (full, a few minutes) or add {@code -Dbench.quick=true} (under a
 * minute). Other properties: see {@link Settings}.</p>
 */
public final class RestartBenchmark
{
    private RestartBenchmark()
    {
    }

    public static void main(String[] args) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Settings settings = Settings.fromSystemProperties();
        ProcessTracker processes = new ProcessTracker();
        Runtime.getRuntime().addShutdownHook(new Thread(processes::cleanUp, "bench-cleanup"));
        Outcome outcome = run(settings, processes);
        System.out.println(outcome.markdown());
        RestartRun.progress("wrote " + outcome.markdownFile().toAbsolutePath() + " and " + outcome.png().toAbsolutePath());
    }

    record Outcome(List<RestartRun.Result> results, OverheadRun.Result overhead, String markdown, Path markdownFile, Path png)
    {
    }

    static Outcome run(Settings settings, ProcessTracker processes) throws IOException
    {
        long start = System.nanoTime();
        String started = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        String loadBefore = Report.loadAverage();
        RestartRun.progress((settings.quick() ? "quick" : "full") + " run: " + settings.restarts() + " restarts per lane " +
            settings.lanes().stream().map(Lane::id).toList() + ", interleaved, load " + settings.load() +
            (settings.overhead() ? ", then the connector overhead" : "") + "; load average " + loadBefore);
        List<RestartRun.Result> results = runLanes(settings, processes);
        OverheadRun.Result overhead = null;
        if (settings.overhead())
        {
            try
            {
                overhead = OverheadRun.run(settings, processes);
            }
            finally
            {
                processes.cleanUp();
            }
        }
        String loadAfter = Report.loadAverage();
        Report.Context context = new Report.Context(settings.quick() ? "quick" : "full", settings.restarts(), settings.load(), started, machine(),
            "example JVMs on " + javaVersion(), loadBefore, loadAfter, (System.nanoTime() - start) / Recording.MS);
        String markdown = Report.markdown(context, results, overhead);
        Files.createDirectories(settings.out());
        Path markdownFile = settings.out().resolve("results.md");
        Files.writeString(markdownFile, markdown);
        Path png = settings.out().resolve("restarts.png");
        if (!results.isEmpty())
            Report.plot(results, png);
        return new Outcome(results, overhead, markdown, markdownFile, png);
    }

    /**
     * Every lane's JVM is started first; then round i restarts every lane once (in reverse order every other round:
     * A B C, C B A, ...), so that drift of the machine's load hits every lane alike. Only the lane being restarted
     * carries load; the others idle. Every process is ended and reaped at the end, also on failure.
     */
    private static List<RestartRun.Result> runLanes(Settings settings, ProcessTracker processes) throws IOException
    {
        try
        {
            List<RestartRun> runs = new ArrayList<>();
            for (Lane lane : settings.lanes())
                runs.add(RestartRun.start(lane, settings, processes));
            long start = System.nanoTime();
            for (int i = 1; i <= settings.restarts(); i++)
            {
                List<RestartRun> order = new ArrayList<>(runs);
                if (i % 2 == 0)
                    Collections.reverse(order);
                for (RestartRun run : order)
                    run.restart(i);
                long elapsed = System.nanoTime() - start;
                RestartRun.progress(String.format("round %d/%d done after %.1f min, about %.1f min to go", i, settings.restarts(), elapsed / 60e9,
                    elapsed / 60e9 / i * (settings.restarts() - i)));
            }
            List<RestartRun.Result> results = new ArrayList<>();
            for (RestartRun run : runs)
                results.add(run.result());
            return results;
        }
        finally
        {
            List<String> problems = processes.cleanUp();
            if (!problems.isEmpty())
                RestartRun.progress("cleanup: " + problems);
        }
    }

    private static String machine()
    {
        String model = "unknown CPU";
        try
        {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(model);
        }
        catch (IOException ignored)
        {
            // keep "unknown"
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), " + System.getProperty("os.name") + " " + System.getProperty("os.version");
    }

    private static String javaVersion()
    {
        try
        {
            Process p = new ProcessBuilder(Jdks.java(17).toString(), "-version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).lines().skip(1).findFirst().orElse("?").trim();
            p.waitFor();
            return out;
        }
        catch (IOException | InterruptedException x)
        {
            return "JDK 17";
        }
    }
}
