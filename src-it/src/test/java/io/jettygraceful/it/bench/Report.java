package io.jettygraceful.it.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The benchmark's Markdown tables and its PNG plot. */
final class Report
{
    static final long BUCKET_NS = 100 * Recording.MS;

    private Report()
    {
    }

    /** Where and how the numbers were taken. */
    record Context(String mode, int restarts, LoadShape load, String started, String machine, String jdk, String loadBefore, String loadAfter, long elapsedMs)
    {
    }

    static String markdown(Context context, List<RestartRun.Result> results, OverheadRun.Result overhead)
    {
        StringBuilder md = new StringBuilder();
        md.append("## Restarts under load\n\n");
        md.append("Run ").append(context.started()).append(", ").append(context.mode()).append(" mode, ").append(context.restarts())
            .append(" restarts per lane (lanes interleaved: restart 1 of each, restart 2 of each in reverse order, ...; only the lane being restarted carries load), ")
            .append(context.elapsedMs() / 1000).append(" s in all.  \n");
        md.append("Machine: ").append(context.machine()).append("; ").append(context.jdk()).append(".  \n");
        md.append("Load average (1/5/15 min) before: ").append(context.loadBefore()).append("; after: ").append(context.loadAfter()).append(".  \n");
        BenchClient.Config c = BenchClient.Config.of(0, context.load());
        md.append("Load (`bench.load=").append(context.load()).append("`): ").append(context.load().describe(c.fastPath(), c.slowPath()))
            .append("; on loopback, ").append(c.timeout().toSeconds()).append(" s timeouts, no retries")
            .append(context.load().openLoop() ? "" : ", " + c.pauseAfterFailure().toMillis() + " ms pause after a failed request").append(".  \n");
        md.append("Restart window: from the trigger to ").append(RestartRun.WINDOW_AFTER_SERVING.toMillis())
            .append(" ms after the new process first answered. Serving = a GET /status poll (every 5 ms, new connection) answered by the new pid.\n\n");
        PhaseReport.append(md, results, context.load());

        md.append("### Requests\n\n");
        md.append("| lane | sent | ok | failed | refused | reset | timeout | 5xx | closed early | other | failed outside restart windows | longest time without a success (ms) |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RestartRun.Result r : results)
        {
            Recording rec = r.recording();
            md.append("| ").append(r.lane().title()).append(" | ").append(rec.size()).append(" | ").append(rec.count(BenchClient.Outcome.OK))
                .append(" | **").append(rec.failed()).append("**");
            for (BenchClient.Outcome o : List.of(BenchClient.Outcome.REFUSED, BenchClient.Outcome.RESET, BenchClient.Outcome.TIMEOUT,
                BenchClient.Outcome.SERVER_ERROR, BenchClient.Outcome.CLOSED_EARLY, BenchClient.Outcome.OTHER))
                md.append(" | ").append(rec.count(o));
            md.append(" | ").append(rec.failedOutside(r.windows())).append(" | ").append(rec.longestGapWithoutSuccess(firstOk(rec), rec.stoppedAt()) / Recording.MS)
                .append(" |\n");
        }

        md.append("\n### Restart time: trigger to new pid serving (ms)\n\n");
        md.append("| lane | median | min | max | old process gone after, median (ms) | longest time without a success in a restart window, median / max (ms) | each restart (ms) |\n");
        md.append("|---|---:|---:|---:|---:|---:|---|\n");
        for (RestartRun.Result r : results)
        {
            long[] handoff = r.restarts().stream().mapToLong(RestartRun.Restart::handoffNs).sorted().toArray();
            long[] exit = r.restarts().stream().mapToLong(x -> x.oldExited() - x.trigger()).sorted().toArray();
            md.append("| ").append(r.lane().title()).append(" | ").append(ms(Recording.quantile(handoff, 0.5))).append(" | ")
                .append(ms(handoff.length > 0 ? handoff[0] : -1)).append(" | ").append(ms(Recording.quantile(handoff, 1.0))).append(" | ")
                .append(ms(Recording.quantile(exit, 0.5))).append(" | ");
            long[] gaps = r.restarts().stream().mapToLong(x -> r.recording().longestGapWithoutSuccess(x.window().from(), x.window().to())).sorted().toArray();
            md.append(ms(Recording.quantile(gaps, 0.5))).append(" / ").append(ms(Recording.quantile(gaps, 1.0))).append(" | ");
            StringBuilder each = new StringBuilder();
            for (RestartRun.Restart x : r.restarts())
                each.append(each.length() > 0 ? ", " : "").append(x.handoffNs() / Recording.MS);
            md.append(each).append(" |\n");
        }

        md.append("\n### Throughput: successful responses per 100 ms\n\n");
        md.append("| lane | mean over the run | median outside restart windows | median in restart windows | lowest 100 ms in a restart window | 100 ms buckets with no success |\n");
        md.append("|---|---:|---:|---:|---:|---:|\n");
        for (RestartRun.Result r : results)
        {
            RestartFigures f = r.figures();
            md.append("| ").append(r.lane().title()).append(" | ").append(f.meanPer100ms()).append(" | ").append(orDash(f.medianOutsidePer100ms())).append(" | ")
                .append(orDash(f.medianInPer100ms())).append(" | ").append(f.lowestInPer100ms()).append(" | ").append(f.emptyIntervals()).append(" |\n");
        }

        md.append("\n### Latency of successful fast requests (GET /uuid, ms, connect included for close clients)\n\n");
        md.append("| lane | p50 | p99 | p99.9 | max | in restart windows: p50 | p99 | p99.9 | max |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RestartRun.Result r : results)
        {
            long[] all = r.recording().okLatencies(false, null);
            long[] in = r.recording().okLatencies(false, r.windows());
            md.append("| ").append(r.lane().title());
            for (long[] values : List.of(all, in))
                for (double q : new double[] {0.5, 0.99, 0.999, 1.0})
                    md.append(" | ").append(msFine(Recording.quantile(values, q)));
            md.append(" |\n");
        }

        if (context.load().slowKeepAlive() + context.load().slowClose() > 0)
        {
            md.append("\n### Slow requests (").append(c.slowPath()).append(")\n\n");
            md.append("| lane | sent | ok | failed | p50 (ms) | max (ms) |\n|---|---:|---:|---:|---:|---:|\n");
            for (RestartRun.Result r : results)
            {
                long sent = r.recording().countKind(true, false);
                long ok = r.recording().countKind(true, true);
                long[] slow = r.recording().okLatencies(true, null);
                md.append("| ").append(r.lane().title()).append(" | ").append(sent).append(" | ").append(ok).append(" | ").append(sent - ok)
                    .append(" | ").append(ms(Recording.quantile(slow, 0.5))).append(" | ").append(ms(Recording.quantile(slow, 1.0))).append(" |\n");
            }
        }

        md.append("\n### Why requests failed (first kinds of error seen)\n\n");
        for (RestartRun.Result r : results)
        {
            md.append("- ").append(r.lane().id()).append(": ");
            Map<String, Long> reasons = r.recording().reasons();
            md.append(reasons.isEmpty() ? "none" : reasons.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(6).map(e -> "`" + e.getKey() + "` x" + e.getValue()).reduce((a, b) -> a + ", " + b).orElse(""));
            md.append("; failed on keep-alive / close clients: ").append(r.recording().failedKeepAlive()).append(" / ")
                .append(r.recording().failed() - r.recording().failedKeepAlive());
            md.append("; keep-alive connections closed by the server while idle: ").append(r.recording().idleCloses())
                .append(", found reset while idle: ").append(r.recording().idleResets());
            md.append("; keep-alive connects: ").append(r.recording().keepAliveConnects());
            int segments = r.restarts().size();
            if (context.load().keepAlive() > 0 && segments > 0)
                md.append(String.format(java.util.Locale.ROOT, ", %.1f reconnects per restart (beyond each segment's %d first connects)",
                    (r.recording().keepAliveConnects() - (double)context.load().keepAlive() * segments) / segments, context.load().keepAlive()));
            md.append("\n");
        }

        if (overhead != null)
        {
            md.append("\n## Steady-state overhead: InheritedServerConnector vs plain ServerConnector\n\n");
            md.append("Two example JVMs, never restarted, driven one at a time by ").append(c.load().keepAlive()).append(" keep-alive + ")
                .append(c.load().close()).append(" `Connection: close` clients GET ").append(c.fastPath()).append(" (closed loop), ")
                .append(overhead.rounds().size() / 2).append(" interleaved rounds each (I P, P I, ...), after warm-up.\n\n");
            md.append("| connector | req/s | p50 (ms) | p99 (ms) | p99.9 (ms) | failed |\n|---|---:|---:|---:|---:|---:|\n");
            for (boolean plain : new boolean[] {false, true})
            {
                long failed = overhead.rounds().stream().filter(x -> x.plain() == plain).mapToLong(OverheadRun.Round::failed).sum();
                md.append("| ").append(plain ? "ServerConnector (--plain-connector)" : "InheritedServerConnector").append(" | ")
                    .append(String.format("%.0f", overhead.rps(plain))).append(" | ").append(msFine(overhead.p(plain, 0.5))).append(" | ")
                    .append(msFine(overhead.p(plain, 0.99))).append(" | ").append(msFine(overhead.p(plain, 0.999))).append(" | ").append(failed).append(" |\n");
            }
            md.append(String.format("%nRatio inherited / plain: throughput **%.3f** (median of per-round ratios %.3f), p99 latency **%.3f**.%n",
                overhead.rps(false) / overhead.rps(true), overhead.medianRoundRatio(),
                (double)overhead.p(false, 0.99) / overhead.p(true, 0.99)));
            md.append("\nPer round (req/s): ");
            StringBuilder rounds = new StringBuilder();
            for (OverheadRun.Round round : overhead.rounds())
                rounds.append(rounds.length() > 0 ? ", " : "").append(round.index()).append(round.plain() ? "P " : "I ").append(String.format("%.0f", round.rps()));
            md.append(rounds).append("\n");
        }
        return md.toString();
    }

    private static long firstOk(Recording rec)
    {
        long first = Long.MAX_VALUE;
        for (int i = 0; i < rec.size(); i++)
            if (rec.ok(i))
                first = Math.min(first, rec.end()[i]);
        return first == Long.MAX_VALUE ? 0 : first;
    }

    private static String orDash(int value)
    {
        return value < 0 ? "-" : String.valueOf(value);
    }

    static String ms(long ns)
    {
        return ns < 0 ? "-" : String.valueOf(ns / Recording.MS);
    }

    static String msFine(long ns)
    {
        if (ns < 0)
            return "-";
        double ms = ns / 1e6;
        return ms < 10 ? String.format("%.2f", ms) : ms < 100 ? String.format("%.1f", ms) : String.format("%.0f", ms);
    }

    /** One panel per strategy: successes and failures per 100 ms, restarts marked. */
    static void plot(List<RestartRun.Result> results, Path png) throws IOException
    {
        List<XYChart> charts = new ArrayList<>();
        double yMax = 0;
        for (RestartRun.Result r : results)
            for (int[] counts : r.recording().perBucket(BUCKET_NS))
                for (int v : counts)
                    yMax = Math.max(yMax, v);
        double xMax = results.stream().mapToDouble(r -> r.recording().stoppedAt() / 1e9).max().orElse(1);
        for (RestartRun.Result r : results)
        {
            int[][] buckets = r.recording().perBucket(BUCKET_NS);
            int n = Math.max(1, buckets[0].length - 1); // the last bucket is partial: leave it out
            double[] x = new double[n];
            double[] ok = new double[n];
            double[] failed = new double[n];
            for (int b = 0; b < n; b++)
            {
                x[b] = (b + 0.5) * BUCKET_NS / 1e9;
                ok[b] = buckets[0][b];
                failed[b] = buckets[1][b];
            }
            XYChart chart = new XYChartBuilder().width(1100).height(300)
                .title(r.lane().plainTitle() + ": " + r.restarts().size() + " restarts, " + r.recording().failed() + " failed of " + r.recording().size())
                .xAxisTitle("seconds").yAxisTitle("requests / 100 ms").build();
            org.knowm.xchart.style.XYStyler styler = chart.getStyler();
            styler.setLegendPosition(Styler.LegendPosition.OutsideE);
            styler.setChartTitleFont(styler.getChartTitleFont().deriveFont(13f));
            styler.setPlotGridHorizontalLinesVisible(true);
            chart.getStyler().setXAxisMin(0.0);
            chart.getStyler().setXAxisMax(Math.ceil(xMax));
            chart.getStyler().setYAxisMin(0.0);
            chart.getStyler().setYAxisMax(Math.ceil(yMax / 500) * 500); // the same scale in every panel
            chart.getStyler().setAnnotationLineColor(new Color(0x88, 0x88, 0x88));
            chart.getStyler().setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f));
            XYSeries okSeries = chart.addSeries("ok", x, ok);
            okSeries.setMarker(SeriesMarkers.NONE);
            okSeries.setLineColor(new Color(0x1f, 0x77, 0xb4));
            XYSeries failedSeries = chart.addSeries("failed", x, failed);
            failedSeries.setMarker(SeriesMarkers.NONE);
            failedSeries.setLineColor(new Color(0xd6, 0x27, 0x28));
            if (!r.restarts().isEmpty())
            {
                double[] sx = r.restarts().stream().mapToDouble(t -> t.serving() / 1e9).toArray();
                double[] sy = new double[sx.length];
                XYSeries serving = chart.addSeries("new pid serving", sx, sy);
                serving.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                serving.setMarker(SeriesMarkers.TRIANGLE_UP);
                serving.setMarkerColor(new Color(0x2c, 0xa0, 0x2c));
                for (RestartRun.Restart t : r.restarts())
                    chart.addAnnotation(new AnnotationLine(t.trigger() / 1e9, true, false));
            }
            charts.add(chart);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(charts, charts.size(), 1, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static String loadAverage()
    {
        try
        {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return String.join(" / ", Arrays.copyOf(fields, 3));
        }
        catch (IOException x)
        {
            return "unknown";
        }
    }
}
