package io.jettygraceful.it.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The report's first section: issue 13's figures per lane ({@link RestartFigures}), against the targets. */
final class PhaseReport
{
    private PhaseReport()
    {
    }

    static void append(StringBuilder md, List<RestartRun.Result> results, LoadShape load)
    {
        md.append("### Restart windows against steady\n\n");
        md.append("Steady = the second before each trigger (per restart; ratios are summed over restarts). Phases, with S = new pid serving: ")
            .append("*child starting* = trigger to S - 250 ms, *switch* = S ± 250 ms, *after* = S + 250 ms to S + 1250 ms. ")
            .append("Issue 13's targets in brackets; figures, not assertions.\n\n");
        md.append("| lane | requests | failed [0] | steady req/s | restart windows / steady [≥ 0.9] | child starting / steady | switch / steady | after / steady ")
            .append("| 100 ms without a success: run / in windows [0] | lowest 100 ms from the switch on / steady: lowest / median over restarts [≥ 0.5] ")
            .append("| trigger → serving, median / max (ms) [≤ 4000 median] |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RestartRun.Result r : results)
        {
            RestartFigures f = r.figures();
            md.append("| ").append(r.lane().title()).append(" | ").append(r.recording().size()).append(" | **").append(r.recording().failed()).append("** | ")
                .append(Double.isNaN(f.steadyPerSecond()) ? "-" : String.format(Locale.ROOT, "%.0f", f.steadyPerSecond())).append(" | **")
                .append(ratio(f.windowRatio())).append("** | ").append(ratio(f.startingRatio())).append(" | ").append(ratio(f.switchRatio())).append(" | ")
                .append(ratio(f.afterRatio())).append(" | ").append(f.emptyIntervals()).append(" / **").append(f.emptyIntervalsInWindows()).append("** | **")
                .append(ratio(f.lowestFromSwitch())).append("** / ").append(ratio(f.medianLowestFromSwitch())).append(" | ")
                .append(Report.ms(f.servingMedian())).append(" / ").append(Report.ms(f.servingMax())).append(" |\n");
        }
        md.append("\n| lane | p50 steady (ms) | p50 in windows (ms) | p99 steady (ms) | p99 in windows (ms) | p99 in windows / steady [≤ 2] |\n");
        md.append("|---|---:|---:|---:|---:|---:|\n");
        for (RestartRun.Result r : results)
        {
            RestartFigures f = r.figures();
            md.append("| ").append(r.lane().title()).append(" | ").append(Report.msFine(f.steadyP50())).append(" | ").append(Report.msFine(f.windowP50()))
                .append(" | ").append(Report.msFine(f.steadyP99())).append(" | ").append(Report.msFine(f.windowP99())).append(" | **")
                .append(ratio(f.p99Ratio())).append("** |\n");
        }
        md.append("\nLatency: successful fast requests (").append(BenchClient.Config.FAST_PATH).append("), connect included for `Connection: close` clients")
            .append(load.openLoop() ? ", measured from each request's intended start (open loop)" : " (closed loop: understates tails, coordinated omission)")
            .append("; steady = requests overlapping the second before a trigger.\n");
        if (!load.openLoop() && !results.isEmpty())
        {
            double max = results.stream().mapToDouble(r -> r.figures().steadyPerSecond()).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
            double[] each = results.stream().mapToDouble(r -> r.figures().steadyPerSecond()).toArray();
            if (!Double.isNaN(max))
                md.append(String.format(Locale.ROOT, "%nMax rate measured: **%.0f/s** (closed loop, steady throughput of the fastest lane; lanes: %s). ", max,
                        Arrays.toString(Arrays.stream(each).mapToLong(Math::round).toArray())))
                    .append(String.format(Locale.ROOT, "An open-loop run at half of it: `-Dbench.load=%d+%d -Dbench.rate=%d`.%n", load.keepAlive(), load.close(),
                        Math.round(max / 2)));
        }
        md.append('\n');
    }

    private static String ratio(double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }
}
