package io.jettygraceful.internal.handoff;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.RestartOutcome;
import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parent side of {@link HandoffProtocol} against {@link FakeOs}: the child is a script that answers the parent's
 * writes from {@link FakeOs#onWrite} hooks, so every exchange happens in protocol order without races.
 */
class HandoffAttemptTest
{
    private static final List<String> ARGV = List.of("/opt/app/bin/java", "-jar", "app.jar");
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", HandoffProtocol.LISTEN_FDS, "2");
    private static final Duration LONG = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofMillis(100);
    private static final ExitStatus TERMINATED = new ExitStatus(-1, 15);
    private static final ExitStatus KILLED = new ExitStatus(-1, 9);

    private final FakeOs os = new FakeOs();
    private final List<Integer> listeners = List.of(10, 11);
    /** What the parent had written to the control socket when {@code onChildServing} ran, one entry per call. */
    private final List<String> writtenAtCallback = new CopyOnWriteArrayList<>();
    private final List<Integer> servingPids = new CopyOnWriteArrayList<>();

    @Test
    void passesTheHolderChannelAfterTheControlSocketWhenThereIsOne()
    {
        os.listening(20, "127.0.0.1", 9000).unixPeer(30, 1);
        childSays("FAILED not today\n");
        childExitsOn(Os.Signal.TERM, TERMINATED);

        new HandoffAttempt(os, ARGV, ENV, List.of(20), LONG, SHORT, pid -> { }, 30).run();

        Map<Integer, Integer> expected = new LinkedHashMap<>();
        expected.put(3, 20);
        expected.put(4, childEnd());
        expected.put(5, 30);
        assertEquals(expected, os.spawned().get(0).fdMap(), "fd map: the listener, the control socket, then the holder channel at 3+n+1");
        assertTrue(os.isOpen(30), "the holder channel stays open: it belongs to the caller");
    }

    HandoffAttemptTest()
    {
        os.listening(10, "127.0.0.1", 8080).listening(11, "::1", 8443);
    }

    private HandoffAttempt attempt(List<Integer> fds, Duration readyTimeout, Duration killGrace)
    {
        return new HandoffAttempt(os, ARGV, ENV, fds, readyTimeout, killGrace, pid ->
        {
            servingPids.add(pid);
            writtenAtCallback.add(os.written(parentEnd()));
        });
    }

    /** Runs the attempt and checks what must hold however it ends: both ends of the control socket are closed. */
    private RestartOutcome run(HandoffAttempt attempt)
    {
        RestartOutcome outcome = attempt.run();
        assertEquals(1, os.socketPairs().size(), "one control socket pair per attempt");
        int[] pair = os.socketPairs().get(0);
        assertFalse(os.isOpen(pair[0]), "the parent's end of the control socket is closed when run() returns");
        assertFalse(os.isOpen(pair[1]), "the child's end of the control socket is closed in the parent");
        assertEquals(1, os.closedFds().stream().filter(fd -> fd == pair[0]).count(), "parent end closed exactly once");
        for (int listener : listeners)
            assertTrue(os.isOpen(listener), "listener fd " + listener + " stays open: its connector owns it");
        return outcome;
    }

    private RestartOutcome run(Duration readyTimeout, Duration killGrace)
    {
        return run(attempt(listeners, readyTimeout, killGrace));
    }

    private int parentEnd()
    {
        return os.socketPairs().get(0)[0];
    }

    private int childEnd()
    {
        return os.socketPairs().get(0)[1];
    }

    private int child()
    {
        assertEquals(1, os.spawned().size(), "one child spawned");
        return os.spawned().get(0).pid();
    }

    /** The child's first message, sent as soon as it is spawned. */
    private void childSays(String text)
    {
        os.onSpawn(spawned -> os.feed(parentEnd(), text.replace("$PID", String.valueOf(spawned.pid()))));
    }

    /** The child answers the parent's {@code GO} with {@code answer} (null: closes the socket; "": says nothing). */
    private void childAnswersGo(String answer)
    {
        os.onWrite((fd, text) ->
        {
            if (fd == parentEnd() && text.equals("GO\n"))
            {
                if (answer == null)
                    os.endOfStream(fd);
                else if (!answer.isEmpty())
                    os.feed(fd, answer);
            }
        });
    }

    /** The child exits with {@code status} when it gets {@code signal}, and ignores other signals. */
    private void childExitsOn(Os.Signal signal, ExitStatus status)
    {
        os.onSignal((pid, s) ->
        {
            if (s == signal)
                os.exit(pid, status);
        });
    }

    private static void assertContains(String text, String... parts)
    {
        for (String part : parts)
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    private void assertStoppedAndReaped(RestartOutcome outcome, ExitStatus status)
    {
        int child = child();
        assertFalse(outcome.succeeded(), outcome::toString);
        assertEquals(child, outcome.childPid());
        assertEquals(List.of(child + ":TERM"), os.signals(), "a failed child gets SIGTERM");
        assertTrue(os.reaped().contains(child), "a failed child is reaped");
        assertEquals(status, outcome.childExit());
        assertFalse(os.written(parentEnd()).contains("DONE"), "DONE is never written to a failed child");
        assertEquals(List.of(), servingPids, "onChildServing is not called for a failed child");
    }

    // ---- spawn -------------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} listeners")
    @ValueSource(ints = {1, 2, 3})
    void spawnsWithListenersAtThreeAndTheControlSocketAfterThem(int count)
    {
        List<Integer> fds = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            os.listening(20 + i, "127.0.0.1", 9000 + i);
            fds.add(20 + i);
        }
        childSays("FAILED not today\n");
        childExitsOn(Os.Signal.TERM, TERMINATED);

        RestartOutcome outcome = attempt(fds, LONG, SHORT).run();

        FakeOs.Spawned spawned = os.spawned().get(0);
        Map<Integer, Integer> expected = new LinkedHashMap<>();
        for (int i = 0; i < count; i++)
            expected.put(3 + i, 20 + i);
        expected.put(3 + count, childEnd());
        assertEquals(expected, spawned.fdMap(), "fd map: 3..3+n-1 the listeners in order, 3+n the child's end of the control socket");
        assertEquals(ARGV, spawned.argv());
        assertEquals(ENV, spawned.env());
        assertFalse(outcome.succeeded());
    }

    @Test
    void passesTheConnectionsChannelAfterTheHolderPlaceAndHandsTheParentsEndToTheCallerOnSuccess()
    {
        childSays("READY $PID\n");
        childAnswersGo("SERVING\n");
        HandoffAttempt attempt = attempt(listeners, LONG, LONG).withConnectionsChannel();

        RestartOutcome outcome = attempt.run();

        assertTrue(outcome.succeeded(), outcome::toString);
        int[] connections = os.socketPairs().get(1);
        FakeOs.Spawned spawned = os.spawned().get(0);
        assertEquals(connections[1], spawned.fdMap().get(3 + listeners.size() + 2), "the connections channel at 3+n+2");
        assertEquals(String.valueOf(3 + listeners.size() + 2), spawned.env().get(HandoffProtocol.CONNECTIONS_FD));
        assertFalse(os.isOpen(connections[1]), "the child's end is closed in the parent right after the spawn");
        assertTrue(os.isOpen(connections[0]), "the parent's end stays open for the mover");
        assertEquals(connections[0], attempt.takeConnectionsChannel());
        assertEquals(-1, attempt.takeConnectionsChannel(), "taken once: the caller owns it now");
    }

    @Test
    void closesBothEndsOfTheConnectionsChannelWhenTheAttemptFails()
    {
        childSays("FAILED not today\n");
        childExitsOn(Os.Signal.TERM, TERMINATED);
        HandoffAttempt attempt = attempt(listeners, LONG, SHORT).withConnectionsChannel();

        assertFalse(attempt.run().succeeded());

        int[] connections = os.socketPairs().get(1);
        assertFalse(os.isOpen(connections[0]));
        assertFalse(os.isOpen(connections[1]));
        assertEquals(-1, attempt.takeConnectionsChannel());
    }

    @Test
    void closesTheChildsEndRightAfterTheSpawn()
    {
        childSays("READY $PID\n");
        childAnswersGo("SERVING\n");

        RestartOutcome outcome = run(LONG, LONG);

        assertTrue(outcome.succeeded(), outcome::toString);
        int child = child();
        assertEquals(List.of("spawn " + child, "close " + childEnd(), "write " + parentEnd() + " GO\n", "write " + parentEnd() + " DONE\n",
            "close " + parentEnd()), os.events(), "spawn, close the child's end at once, GO, DONE, close the parent's end");
    }

    @Test
    void spawnFailureFailsWithoutAChildAndClosesBothEnds()
    {
        os.failNextSpawn("cannot start /opt/app/bin/java: No such file or directory (no such program on PATH)");

        RestartOutcome outcome = run(LONG, LONG);

        assertFalse(outcome.succeeded());
        assertEquals(0, outcome.childPid(), "no child");
        assertNull(outcome.childExit());
        assertContains(outcome.reason(), "/opt/app/bin/java", "No such file");
        assertEquals(List.of(), os.spawned());
        assertEquals(List.of(), os.signals());
        assertEquals(List.of("close " + childEnd(), "close " + parentEnd()), os.events());
    }

    @Test
    void spawnFailureNamesTheProgramEvenWhenTheOsErrorDoesNot()
    {
        // LinuxOs names the program only when posix_spawnp itself fails; a failed dup of a listener says only that.
        os.failNextSpawn("fcntl(10, F_DUPFD_CLOEXEC) failed: Bad file descriptor");

        RestartOutcome outcome = run(LONG, LONG);

        assertFalse(outcome.succeeded());
        assertEquals(0, outcome.childPid());
        assertContains(outcome.reason(), "/opt/app/bin/java", "Bad file descriptor");
    }

    // ---- success -----------------------------------------------------------------------------------------------

    @Test
    void readyThenServingSucceedsWithTheReportedPid()
    {
        childSays("READY $PID\n");
        childAnswersGo("SERVING\n");

        RestartOutcome outcome = run(LONG, LONG);

        int child = child();
        assertTrue(outcome.succeeded(), outcome::toString);
        assertEquals(child, outcome.childPid());
        assertNull(outcome.reason());
        assertNull(outcome.childExit());
        assertEquals("GO\nDONE\n", os.written(parentEnd()));
        assertEquals(List.of(child), servingPids);
        assertEquals(List.of(), os.signals(), "a child that took over is not signalled");
        assertFalse(os.reaped().contains(child), "a child that took over is not reaped: it is the service now");
    }

    @Test
    void onChildServingRunsAfterServingAndBeforeDone()
    {
        childSays("READY $PID\n");
        childAnswersGo("SERVING\n");

        run(LONG, LONG);

        assertEquals(List.of("GO\n"), writtenAtCallback, "the callback runs after GO and before DONE");
        assertEquals("GO\nDONE\n", os.written(parentEnd()));
    }

    @Test
    void aLauncherInBetweenMakesTheReportedPidTheNewMain()
    {
        childSays("READY 31337\n");
        childAnswersGo("SERVING\n");

        RestartOutcome outcome = run(LONG, LONG);

        assertTrue(outcome.succeeded(), outcome::toString);
        assertEquals(31337, outcome.childPid());
        assertEquals(List.of(31337), servingPids);
    }

    @Test
    void goIsWrittenOnlyAfterReady()
    {
        List<String> writtenBeforeReady = new ArrayList<>();
        os.onSpawn(spawned ->
        {
            writtenBeforeReady.add(os.written(parentEnd()));
            os.feed(parentEnd(), "READY " + spawned.pid() + "\n");
        });
        childAnswersGo("SERVING\n");

        assertTrue(run(LONG, LONG).succeeded());
        assertEquals(List.of(""), writtenBeforeReady);
    }

    // ---- failures before READY ---------------------------------------------------------------------------------

    @Test
    void failedMessageFailsWithTheReasonAndTheChildsOwnExitStatus()
    {
        ExitStatus exitOne = new ExitStatus(1, 0);
        os.onSpawn(spawned ->
        {
            os.feed(parentEnd(), "FAILED readiness check failed: cache cold\n");
            os.exit(spawned.pid(), exitOne);
        });

        RestartOutcome outcome = run(LONG, LONG);

        assertFalse(outcome.succeeded());
        assertContains(outcome.reason(), "readiness check failed: cache cold");
        assertEquals(exitOne, outcome.childExit(), "its own exit status, not one a signal forced");
        assertEquals(List.of(), os.signals(), "a child that exits by itself after FAILED gets no signal");
        assertTrue(os.reaped().contains(child()), "reaped");
        assertEquals("", os.written(parentEnd()), "nothing is written to a child that failed");
    }

    @Test
    void failedMessageFromAChildThatDoesNotExitStopsItAfterTheGrace()
    {
        childSays("FAILED readiness check failed: cache cold\n");
        childExitsOn(Os.Signal.TERM, TERMINATED);

        long start = System.nanoTime();
        RestartOutcome outcome = run(LONG, SHORT);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "readiness check failed: cache cold");
        assertTrue(elapsedMs >= SHORT.toMillis(), "waited the grace for it to exit by itself: " + elapsedMs + " ms");
        assertEquals("", os.written(parentEnd()), "nothing is written to a child that failed");
    }

    @Test
    void endOfStreamBeforeReadyFailsAndReapsTheChild()
    {
        os.onSpawn(spawned -> os.endOfStream(parentEnd()));
        childExitsOn(Os.Signal.TERM, TERMINATED);

        RestartOutcome outcome = run(LONG, LONG);

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "closed the control socket");
        assertEquals("", os.written(parentEnd()));
    }

    @Test
    void endOfStreamFromAChildThatAlreadyExitedReapsItWithoutSignals()
    {
        ExitStatus crashed = new ExitStatus(1, 0);
        os.onSpawn(spawned ->
        {
            os.exit(spawned.pid(), crashed);
            os.endOfStream(parentEnd());
        });

        RestartOutcome outcome = run(LONG, LONG);

        int child = child();
        assertFalse(outcome.succeeded());
        assertEquals(crashed, outcome.childExit());
        assertEquals(List.of(), os.signals(), "no signal to a child that has exited (its pid may be reused once reaped)");
        assertTrue(os.reaped().contains(child));
    }

    @Test
    void childExitWithoutEndOfStreamFailsWithItsExitStatus()
    {
        // e.g. a grandchild holds the control socket open: no end of stream, but the child itself has exited
        ExitStatus status = new ExitStatus(3, 0);
        os.onSpawn(spawned -> os.exit(spawned.pid(), status));

        RestartOutcome outcome = run(LONG, LONG);

        int child = child();
        assertFalse(outcome.succeeded());
        assertEquals(child, outcome.childPid());
        assertEquals(status, outcome.childExit());
        assertContains(outcome.reason(), "exited");
        assertTrue(os.reaped().contains(child));
        assertEquals(List.of(), os.signals());
        assertTrue(outcome.handoffTime().compareTo(LONG) < 0, "noticed long before the ready timeout: " + outcome.handoffTime());
    }

    @ParameterizedTest
    @ValueSource(strings = {"HELLO 1", "SERVING", "READY", "READY abc", "DONE", "", "READY 12 13"})
    void unexpectedLineFailsAndStopsTheChild(String line)
    {
        childSays(line + "\n");
        childExitsOn(Os.Signal.TERM, TERMINATED);

        RestartOutcome outcome = run(LONG, LONG);

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "'" + line + "'");
        assertEquals("", os.written(parentEnd()), "no GO after a message that is not READY <pid>");
    }

    // ---- failures after READY ----------------------------------------------------------------------------------

    @Test
    void endOfStreamAfterGoFailsWithoutDone()
    {
        childSays("READY $PID\n");
        childAnswersGo(null);
        childExitsOn(Os.Signal.TERM, TERMINATED);

        RestartOutcome outcome = run(LONG, LONG);

        assertStoppedAndReaped(outcome, TERMINATED);
        assertEquals("GO\n", os.written(parentEnd()));
        assertContains(outcome.reason(), "closed the control socket");
    }

    @Test
    void noServingWithinTheKillGraceFailsWithoutDone()
    {
        childSays("READY $PID\n");
        childAnswersGo("");
        childExitsOn(Os.Signal.TERM, TERMINATED);

        long start = System.nanoTime();
        RestartOutcome outcome = run(LONG, SHORT);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertStoppedAndReaped(outcome, TERMINATED);
        assertEquals("GO\n", os.written(parentEnd()));
        assertContains(outcome.reason(), "no answer in time");
        // ControlChannel waits whole milliseconds: up to 1 ms short of the deadline
        assertTrue(elapsedMs >= SHORT.toMillis() - 2, "waited the kill grace for SERVING: " + elapsedMs + " ms");
        assertTrue(elapsedMs < LONG.toMillis(), "did not wait for the ready timeout: " + elapsedMs + " ms");
    }

    @ParameterizedTest
    @ValueSource(strings = {"FAILED late\n", "READY 1\n", "DONE\n"})
    void anythingButServingAfterGoFailsWithoutDone(String answer)
    {
        childSays("READY $PID\n");
        childAnswersGo(answer);
        childExitsOn(Os.Signal.TERM, TERMINATED);

        RestartOutcome outcome = run(LONG, LONG);

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), answer.trim());
    }

    // ---- abort (the server stops during the attempt) ----------------------------------------------------------

    @Test
    void abortWhileWaitingForReadinessStopsAndReapsTheChildWithoutWaitingTheReadyTimeout() throws Exception
    {
        childExitsOn(Os.Signal.TERM, TERMINATED);
        HandoffAttempt attempt = attempt(listeners, LONG, Duration.ofSeconds(5));
        os.onSpawn(spawned -> new Thread(() -> attempt.abort("the server is stopping")).start());

        long start = System.nanoTime();
        RestartOutcome outcome = run(attempt);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "the server is stopping");
        assertTrue(elapsedMs < 3000, "ended within a poll slice of the abort, not at the ready timeout: " + elapsedMs + " ms");
        assertFalse(os.written(parentEnd()).contains("GO"), "never told to accept");
    }

    @Test
    void abortBeforeTheSpawnStartsNothing()
    {
        HandoffAttempt attempt = attempt(listeners, LONG, SHORT);
        attempt.abort("the server is stopping");

        RestartOutcome outcome = run(attempt);

        assertFalse(outcome.succeeded());
        assertContains(outcome.reason(), "the server is stopping");
        assertTrue(os.spawned().isEmpty(), "no child");
        assertEquals(0, outcome.childPid());
    }

    @Test
    void abortAfterReadyWithholdsGo()
    {
        childExitsOn(Os.Signal.TERM, TERMINATED);
        HandoffAttempt attempt = attempt(listeners, LONG, Duration.ofSeconds(5));
        // The abort lands while the child's READY is on its way.
        os.onSpawn(spawned ->
        {
            attempt.abort("the server is stopping");
            os.feed(parentEnd(), "READY " + spawned.pid() + "\n");
        });

        RestartOutcome outcome = run(attempt);

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "the server is stopping");
        assertFalse(os.written(parentEnd()).contains("GO"), "never told to accept: " + os.written(parentEnd()));
        assertTrue(servingPids.isEmpty());
    }

    // ---- ready timeout -----------------------------------------------------------------------------------------

    @Test
    void readyTimeoutSendsTermAndReapsAChildThatStops()
    {
        childExitsOn(Os.Signal.TERM, TERMINATED);

        long start = System.nanoTime();
        RestartOutcome outcome = run(SHORT, Duration.ofSeconds(5));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertStoppedAndReaped(outcome, TERMINATED);
        assertContains(outcome.reason(), "ready timeout", "100 ms");
        assertTrue(elapsedMs >= SHORT.toMillis(), "waited the ready timeout: " + elapsedMs + " ms");
        assertTrue(elapsedMs < 3000, "no SIGKILL wait for a child that stopped on SIGTERM: " + elapsedMs + " ms");
    }

    @Test
    void readyTimeoutSendsKillAfterTheGraceToAChildThatIgnoresTerm()
    {
        long[] termAt = new long[1];
        long[] killAt = new long[1];
        os.onSignal((pid, signal) ->
        {
            if (signal == Os.Signal.TERM)
                termAt[0] = System.nanoTime();
            if (signal == Os.Signal.KILL)
            {
                killAt[0] = System.nanoTime();
                os.exit(pid, KILLED);
            }
        });
        Duration grace = Duration.ofMillis(150);

        RestartOutcome outcome = run(SHORT, grace);

        int child = child();
        assertFalse(outcome.succeeded());
        assertEquals(List.of(child + ":TERM", child + ":KILL"), os.signals());
        assertTrue(os.reaped().contains(child), "always reaped");
        assertEquals(KILLED, outcome.childExit());
        long graceMs = (killAt[0] - termAt[0]) / 1_000_000;
        assertTrue(graceMs >= grace.toMillis(), "SIGKILL only after the kill grace: " + graceMs + " ms");
        assertTrue(outcome.handoffTime().toMillis() >= SHORT.toMillis(), outcome.handoffTime().toString());
        assertEquals("", os.written(parentEnd()));
        assertEquals(List.of(), servingPids);
    }
}
