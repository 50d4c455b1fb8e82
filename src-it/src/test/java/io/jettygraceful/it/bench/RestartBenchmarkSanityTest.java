package io.jettygraceful.it.bench;

import java.nio.file.Path;

import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark measures what it claims: stop-then-start must show failed (refused) requests, or the client is not
 * measuring; the handoff must show none. The quick mode of just those two strategies, 2 restarts each (~20 s).
 */
class RestartBenchmarkSanityTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void stopThenStartFailsRequestsAndHandoffFailsNone() throws Exception
    {
        System.setProperty("java.awt.headless", "true");
        Settings settings = Settings.quick(2, Path.of("target", "benchmark-sanity"), Strategy.STOP_START, Strategy.HANDOFF);
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

        assertTrue(handoff.recording().count(BenchClient.Outcome.OK) > 1000, "the handoff run carried load: " + handoff.recording().size());
        assertEquals(0, handoff.recording().failed(), "handoff failures: " + handoff.recording().reasons());
        for (RestartRun.Restart restart : handoff.restarts())
            assertTrue(restart.newPid() != restart.oldPid(), "a new process served after restart " + restart.index());
    }
}
