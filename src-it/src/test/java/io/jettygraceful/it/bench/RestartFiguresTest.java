package io.jettygraceful.it.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interval and phase arithmetic of {@link RestartFigures} on hand-made recordings (no processes, no sockets). */
class RestartFiguresTest
{
    private static final long MS = Recording.MS;

    /** Successes at an even rate, each ending in the middle of its slot, so aligned intervals hold exact counts. */
    private record Span(long fromMs, long toMs, int per100ms, long latencyMs)
    {
    }

    private static Recording recording(long stoppedAtMs, Span... spans)
    {
        List<long[]> requests = new ArrayList<>();
        for (Span span : spans)
        {
            if (span.per100ms() == 0)
                continue;
            long step = 100 * MS / span.per100ms();
            for (long end = span.fromMs() * MS + step / 2; end < span.toMs() * MS; end += step)
                requests.add(new long[] {end - span.latencyMs() * MS, end});
        }
        long[] start = new long[requests.size()];
        long[] end = new long[requests.size()];
        for (int i = 0; i < requests.size(); i++)
        {
            start[i] = requests.get(i)[0];
            end[i] = requests.get(i)[1];
        }
        return new Recording(start, end, new byte[requests.size()], new byte[requests.size()], stoppedAtMs * MS, 0, 0, Map.of());
    }

    private static RestartRun.Restart restart(int index, long triggerMs, long servingMs)
    {
        return new RestartRun.Restart(index, triggerMs * MS, servingMs * MS, (servingMs + 500) * MS, 1, 2);
    }

    @Test
    void anEvenLoadIsSteadyInEveryPhase()
    {
        Recording recording = recording(10_000, new Span(0, 10_000, 10, 1));
        RestartFigures f = RestartFigures.of(recording, List.of(restart(1, 3000, 5000)));

        assertEquals(100, f.steadyPerSecond(), 1e-9);
        assertEquals(1, f.windowRatio(), 1e-9);
        assertEquals(1, f.startingRatio(), 1e-9);
        assertEquals(1, f.switchRatio(), 1e-9);
        assertEquals(1, f.afterRatio(), 1e-9);
        assertEquals(1, f.lowestFromSwitch(), 1e-9);
        assertEquals(0, f.emptyIntervals());
        assertEquals(0, f.emptyIntervalsInWindows());
        assertEquals(10, f.meanPer100ms());
        assertEquals(1, f.p99Ratio(), 1e-9);
        assertEquals(2000 * MS, f.servingMedian());
    }

    @Test
    void eachPhaseIsMeasuredAgainstTheSecondBeforeTheTrigger()
    {
        // trigger 3000, serving 5050: child starting 3000-4800 at half, switch 4800-5300 none, after 5300-6300 at 0.8
        Recording recording = recording(10_000,
            new Span(0, 3000, 10, 1), new Span(3000, 4800, 5, 5), new Span(5300, 6300, 8, 5), new Span(6300, 10_000, 10, 1));
        RestartFigures f = RestartFigures.of(recording, List.of(restart(1, 3000, 5050)));

        assertEquals(100, f.steadyPerSecond(), 1e-9);
        assertEquals(0.5, f.startingRatio(), 1e-9);
        assertEquals(0, f.switchRatio(), 1e-9);
        assertEquals(0.8, f.afterRatio(), 1e-9);
        // window 3000-6050: 90 + 0 + 60 successes against 305 at the steady level
        assertEquals(150.0 / 305, f.windowRatio(), 1e-9);
        assertEquals(5, f.emptyIntervals(), "the aligned intervals from 4800 to 5300");
        assertEquals(5, f.emptyIntervalsInWindows());
        assertEquals(0, f.lowestFromSwitch(), 1e-9);
        assertEquals(0, f.lowestInPer100ms());
        assertEquals(1 * MS, f.steadyP50());
        assertEquals(5 * MS, f.windowP99());
        assertEquals(5, f.p99Ratio(), 1e-9);
    }

    @Test
    void everyRestartIsComparedWithItsOwnSteadyLevel()
    {
        // restart 1 at 3000 under 10 per 100 ms throughout; restart 2 at 8000: steady 20 per 100 ms, then 10 in its window
        Recording recording = recording(12_000, new Span(0, 7000, 10, 1), new Span(7000, 8000, 20, 1), new Span(8000, 12_000, 10, 1));
        RestartFigures f = RestartFigures.of(recording, List.of(restart(1, 3000, 4000), restart(2, 8000, 9000)));

        assertEquals(150, f.steadyPerSecond(), 1e-9);
        // windows of 2 s each: 200 + 200 seen against 200 + 400
        assertEquals(400.0 / 600, f.windowRatio(), 1e-9);
        assertEquals(0.5, f.lowestFromSwitch(), 1e-9, "restart 2 ran at half its steady level");
        assertEquals(1, f.medianLowestFromSwitch(), 1e-9, "median of 1 and 0.5 over two restarts: the upper one");
    }

    @Test
    void aReplacementServingWithin250MsHasNoChildStartingPhase()
    {
        Recording recording = recording(6000, new Span(0, 6000, 10, 1));
        RestartFigures f = RestartFigures.of(recording, List.of(restart(1, 3000, 3100)));

        assertTrue(Double.isNaN(f.startingRatio()), "no time between the trigger and serving - 250 ms: " + f);
        assertEquals(1, f.switchRatio(), 1e-9, "the switch starts at the trigger");
    }

    @Test
    void noRestartGivesNoRatios()
    {
        RestartFigures f = RestartFigures.of(recording(2000, new Span(0, 2000, 10, 1)), List.of());

        assertTrue(Double.isNaN(f.windowRatio()) && Double.isNaN(f.steadyPerSecond()) && Double.isNaN(f.lowestFromSwitch()), f.toString());
        assertEquals(0, f.emptyIntervals());
        assertEquals(-1, f.servingMedian());
    }

    @Test
    void concatenatedSegmentsFollowEachOther()
    {
        Recording a = recording(1000, new Span(0, 1000, 10, 1));
        Recording b = new Recording(new long[] {10 * MS}, new long[] {20 * MS}, new byte[] {(byte)BenchClient.Outcome.REFUSED.ordinal()},
            new byte[] {0}, 500 * MS, 1, 2, Map.of("refused", 1L));
        Recording both = Recording.concat(List.of(a, b, a));

        assertEquals(201, both.size());
        assertEquals(2500 * MS, both.stoppedAt());
        assertEquals(1, both.failed());
        assertEquals(1010 * MS, both.start()[100], "b's request shifted by a's 1000 ms");
        assertEquals(1500 * MS + a.end()[0], both.end()[101], "the second a shifted by 1500 ms");
        assertEquals(Map.of("refused", 1L), both.reasons());
        assertEquals(1, both.idleCloses());
        assertEquals(100, Recording.countIn(both.okEnds(), 1500 * MS, 2500 * MS));
        assertEquals(0, Recording.countIn(both.okEnds(), 1000 * MS, 1500 * MS));
    }
}
