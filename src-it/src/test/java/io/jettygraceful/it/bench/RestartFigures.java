package io.jettygraceful.it.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The figures of one lane that issue 13 asks for, computed exactly from its {@link Recording} and restarts. Every
 * throughput figure of a restart is relative to that restart's own <em>steady</em> level, the successes in the second
 * before its trigger (so that drift of the machine's load between restarts cancels out); over several restarts, a
 * ratio is the sum of successes over the sum of what the steady levels would have given in the same time.
 *
 * <p>The phases of a restart, with S the time the new pid first answered:</p>
 * <ul>
 *   <li><b>child starting</b>: from the trigger to S - 250 ms (empty when S comes sooner);</li>
 *   <li><b>switch</b>: S - 250 ms (or the trigger, if later) to S + 250 ms;</li>
 *   <li><b>after</b>: the second after the switch, S + 250 ms to S + 1250 ms.</li>
 * </ul>
 * The <em>restart window</em> is from the trigger to S + 1 s ({@link RestartRun.Restart#window()}). "Lowest 100 ms from
 * the switch on" looks at the 15 intervals of 100 ms laid from S - 250 ms to S + 1250 ms of every restart.
 *
 * <p>Counts per 100 ms over the whole run (the "empty intervals" and the medians) use intervals aligned to the lane's
 * timeline, from the one after the first success to the last complete one; an interval is "in a window" when it
 * overlaps one. Ratios are NaN when there is nothing to compare (no restart, or no time in a phase).</p>
 *
 * @param steadyPerSecond        successes per second in the second before a trigger, mean over restarts
 * @param windowRatio            successes in restart windows / steady
 * @param startingRatio          child-starting phase / steady
 * @param switchRatio            switch phase / steady
 * @param afterRatio             after phase / steady
 * @param emptyIntervals         100 ms intervals without a success, whole run
 * @param emptyIntervalsInWindows of those, the ones overlapping a restart window
 * @param lowestFromSwitch       the fewest successes in a 100 ms interval from the switch on, / steady per 100 ms: lowest over all restarts
 * @param medianLowestFromSwitch the same, median over restarts of each restart's lowest
 * @param steadyP50              latency of successful fast requests in the steady seconds, ns (-1: none)
 * @param windowP50              the same in restart windows
 * @param servingMedian          trigger to new pid serving, ns, median over restarts (-1: none)
 * @param meanPer100ms           successes per 100 ms, mean over the whole run
 * @param medianOutsidePer100ms  median of the aligned 100 ms intervals outside restart windows (-1: none)
 * @param medianInPer100ms       median of those overlapping a window (-1: none)
 * @param lowestInPer100ms       lowest of those overlapping a window (-1: none)
 */
record RestartFigures(double steadyPerSecond, double windowRatio, double startingRatio, double switchRatio, double afterRatio,
                      int emptyIntervals, int emptyIntervalsInWindows, double lowestFromSwitch, double medianLowestFromSwitch,
                      long steadyP50, long steadyP99, long windowP50, long windowP99, long servingMedian, long servingMax,
                      long meanPer100ms, int medianOutsidePer100ms, int medianInPer100ms, int lowestInPer100ms)
{
    static final long INTERVAL = 100 * Recording.MS;
    static final long STEADY = 1000 * Recording.MS;
    static final long SWITCH_HALF = 250 * Recording.MS;
    static final long AFTER = 1000 * Recording.MS;

    static RestartFigures of(Recording recording, List<RestartRun.Restart> restarts)
    {
        long[] okEnds = recording.okEnds();
        Ratio window = new Ratio();
        Ratio starting = new Ratio();
        Ratio switching = new Ratio();
        Ratio after = new Ratio();
        List<Double> lowest = new ArrayList<>();
        List<Recording.Window> steadyWindows = new ArrayList<>();
        List<Recording.Window> windows = new ArrayList<>();
        double steadySum = 0;
        for (RestartRun.Restart r : restarts)
        {
            windows.add(r.window());
            long steadyFrom = Math.max(0, r.trigger() - STEADY);
            steadyWindows.add(new Recording.Window(steadyFrom, r.trigger()));
            int steadyCount = Recording.countIn(okEnds, steadyFrom, r.trigger());
            double perNs = r.trigger() > steadyFrom ? (double)steadyCount / (r.trigger() - steadyFrom) : 0;
            steadySum += perNs * STEADY;
            if (perNs <= 0)
                continue; // nothing to compare with
            long switchFrom = Math.max(r.trigger(), r.serving() - SWITCH_HALF);
            long switchTo = r.serving() + SWITCH_HALF;
            window.add(okEnds, r.trigger(), r.window().to(), perNs);
            starting.add(okEnds, r.trigger(), switchFrom, perNs);
            switching.add(okEnds, switchFrom, switchTo, perNs);
            after.add(okEnds, switchTo, switchTo + AFTER, perNs);
            double low = Double.MAX_VALUE;
            for (long t = r.serving() - SWITCH_HALF; t < switchTo + AFTER; t += INTERVAL)
                low = Math.min(low, Recording.countIn(okEnds, t, t + INTERVAL) / (perNs * INTERVAL));
            lowest.add(low);
        }
        double[] lows = lowest.stream().mapToDouble(Double::doubleValue).sorted().toArray();

        long[] fastSteady = recording.okLatencies(false, steadyWindows);
        long[] fastWindows = recording.okLatencies(false, windows);
        long[] serving = restarts.stream().mapToLong(RestartRun.Restart::handoffNs).sorted().toArray();

        // aligned 100 ms intervals of the whole run
        long first = okEnds.length == 0 ? 0 : okEnds[0];
        long firstInterval = first / INTERVAL + 1;
        long lastInterval = recording.stoppedAt() / INTERVAL; // partial: left out
        List<Integer> in = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        long sum = 0;
        int empty = 0;
        int emptyInWindows = 0;
        for (long b = firstInterval; b < lastInterval; b++)
        {
            long from = b * INTERVAL;
            long to = from + INTERVAL;
            int ok = Recording.countIn(okEnds, from, to);
            boolean inWindow = windows.stream().anyMatch(w -> w.overlaps(from, to));
            (inWindow ? in : out).add(ok);
            sum += ok;
            if (ok == 0)
            {
                empty++;
                if (inWindow)
                    emptyInWindows++;
            }
        }
        long intervals = Math.max(1, lastInterval - firstInterval);
        return new RestartFigures(restarts.isEmpty() ? Double.NaN : steadySum / restarts.size(), window.value(), starting.value(),
            switching.value(), after.value(), empty, emptyInWindows, lows.length == 0 ? Double.NaN : lows[0],
            lows.length == 0 ? Double.NaN : lows[lows.length / 2],
            Recording.quantile(fastSteady, 0.5), Recording.quantile(fastSteady, 0.99), Recording.quantile(fastWindows, 0.5),
            Recording.quantile(fastWindows, 0.99), Recording.quantile(serving, 0.5), Recording.quantile(serving, 1.0),
            sum / intervals, median(out), median(in), in.stream().mapToInt(Integer::intValue).min().orElse(-1));
    }

    /** p99 in restart windows / p99 in the steady seconds (NaN when either is missing). */
    double p99Ratio()
    {
        return steadyP99 <= 0 || windowP99 < 0 ? Double.NaN : (double)windowP99 / steadyP99;
    }

    private static int median(List<Integer> values)
    {
        if (values.isEmpty())
            return -1;
        int[] sorted = values.stream().mapToInt(Integer::intValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /** Successes seen against successes the steady level would have given in the same time, summed over restarts. */
    private static final class Ratio
    {
        private double seen;
        private double expected;

        void add(long[] okEnds, long from, long to, double steadyPerNs)
        {
            if (to <= from)
                return;
            seen += Recording.countIn(okEnds, from, to);
            expected += steadyPerNs * (to - from);
        }

        double value()
        {
            return expected > 0 ? seen / expected : Double.NaN;
        }
    }

    @Override
    public String toString()
    {
        return String.format("steady %.0f/s, window %.2f, phases %.2f / %.2f / %.2f, empty %d (%d in windows), lowest from switch %.2f (median %.2f), " +
                "p99 %d / %d ns, serving median %d ns, max %d ns", steadyPerSecond, windowRatio, startingRatio, switchRatio, afterRatio, emptyIntervals,
            emptyIntervalsInWindows, lowestFromSwitch, medianLowestFromSwitch, steadyP99, windowP99, servingMedian, servingMax);
    }
}
