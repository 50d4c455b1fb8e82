package io.jettygraceful.it.bench;

import java.nio.file.Path;

import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark measures what it claims: stop-then-start must show failed (refused) requests and 100 ms intervals
 * without a success in its restart windows, or the client and the interval arithmetic are not measuring; the handoff
 * must show no failure, and its figures must be there. The quick mode of just those two lanes, interleaved, 2
 * restarts each (~30 s). No assertion on a speed: only on what a closed port or a lost request must show.
 */
class RestartBenchmarkSanityTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void stopThenStartFailsRequestsAndHandoffFailsNone() throws Exception
    {
        System.setProperty("java.awt.headless", "true");
        Settings settings = Settings.quick(2, Path.of("target", "benchmark-sanity"), LoadShape.parse(LoadShape.DEFAULT, 0),
            Lane.of(Strategy.STOP_START), Lane.of(Strategy.HANDOFF));
        RestartBenchmark.Outcome outcome = RestartBenchmark.run(settings, processes);
        System.out.println(outcome.markdown());

        RestartRun.Result stopStart = outcome.results().get(0);
        RestartRun.Result handoff = outcome.results().get(1);
        assertEquals(Strategy.STOP_START, stopStart.strategy());
        assertEquals(2, stopStart.restarts().size());
        assertEquals(2, handoff.restarts().size());
        assertTrue(stopStart.recording().failed() > 0, "stop-then-start leaves the port closed for a while: the client must see failures");
        assertTrue(stopStart.recording().count(BenchClient.Outcome.REFUSED) > 0, "stop-then-start: refused connections expected");
        assertTrue(stopStart.recording().longestGapWithoutSuccess(0, stopStart.loadEnd()) > 100 * Recording.MS,
            "stop-then-start: a gap without any successful response expected");
        RestartFigures closed = stopStart.figures();
        assertTrue(closed.emptyIntervalsInWindows() >= 1, "stop-then-start: 100 ms intervals without a success in its windows: " + closed);
        assertTrue(closed.emptyIntervals() >= closed.emptyIntervalsInWindows(), closed.toString());
        assertTrue(closed.steadyPerSecond() > 0, "stop-then-start: a steady level before each trigger: " + closed);
        assertTrue(closed.windowRatio() < 1, "stop-then-start: the port was closed in every window, fewer successes than steady: " + closed);

        assertTrue(handoff.recording().count(BenchClient.Outcome.OK) > 1000, "the handoff run carried load: " + handoff.recording().size());
        assertEquals(0, handoff.recording().failed(), "handoff failures: " + handoff.recording().reasons());
        for (RestartRun.Restart restart : handoff.restarts())
        {
            assertTrue(restart.newPid() != restart.oldPid(), "a new process served after restart " + restart.index());
            assertTrue(restart.trigger() > RestartFigures.STEADY && restart.window().to() + RestartFigures.SWITCH_HALF < handoff.loadEnd(),
                "restart " + restart.index() + " lies inside the load, with a steady second before it: " + restart + ", load until " + handoff.loadEnd());
        }
        RestartFigures handed = handoff.figures();
        assertTrue(handed.steadyPerSecond() > 0 && handed.windowRatio() > 0 && handed.switchRatio() >= 0 && handed.afterRatio() > 0,
            "handoff: every phase measured: " + handed);
        assertTrue(handed.servingMedian() > 0 && handed.steadyP99() > 0 && handed.windowP99() > 0, "handoff: serving time and latencies measured: " + handed);
        assertTrue(outcome.markdown().contains("Restart windows against steady"), "the report has the phase table");
    }
}
