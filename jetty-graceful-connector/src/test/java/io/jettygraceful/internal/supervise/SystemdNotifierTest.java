package io.jettygraceful.internal.supervise;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.jettygraceful.RestartOutcome;
import io.jettygraceful.internal.os.FakeOs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SystemdNotifier}'s datagrams, as {@link FakeOs} records them ({@code "address payload"}). */
class SystemdNotifierTest
{
    private static final String ADDRESS = "/run/systemd/notify";
    private static final int PID = 4242;
    private static final int PARENT = 4000;

    private final FakeOs os = new FakeOs(PID, 1);
    private final SystemdNotifier notifier = new SystemdNotifier(os, ADDRESS);

    /** @return the one datagram sent, as its lines; checks the address and the trailing newline */
    private List<String> onlyMessage()
    {
        List<String> datagrams = os.datagrams();
        assertEquals(1, datagrams.size(), () -> "one datagram: " + datagrams);
        return lines(datagrams.get(0));
    }

    private static List<String> lines(String datagram)
    {
        assertTrue(datagram.startsWith(ADDRESS + " "), datagram);
        String payload = datagram.substring(ADDRESS.length() + 1);
        int end = payload.lastIndexOf('\n');
        assertTrue(end >= 0, () -> "ends in a newline: " + payload);
        return Arrays.asList(payload.substring(0, end).split("\n", -1));
    }

    /** Asserts the message is exactly {@code expected} (in order) followed by one {@code STATUS=} line; returns it. */
    private static String assertMessage(List<String> lines, String... expected)
    {
        List<String> head = new ArrayList<>(lines.subList(0, lines.size() - 1));
        assertEquals(List.of(expected), head, () -> "message " + lines);
        String status = lines.get(lines.size() - 1);
        assertTrue(status.startsWith("STATUS=") && status.length() > "STATUS=".length(), status);
        return status;
    }

    @Test
    void aFirstGenerationServingSendsReadyAndNeverMainPid()
    {
        notifier.serving();

        String status = assertMessage(onlyMessage(), "READY=1");
        assertTrue(status.contains(String.valueOf(PID)), status);
    }

    @Test
    void restartStartingSendsReloadingWithTheMonotonicClock()
    {
        long before = System.nanoTime() / 1000;
        notifier.restartStarting();
        long after = System.nanoTime() / 1000;

        List<String> lines = onlyMessage();
        assertEquals(3, lines.size(), lines::toString);
        assertEquals("RELOADING=1", lines.get(0));
        assertTrue(lines.get(1).startsWith("MONOTONIC_USEC="), lines::toString);
        long usec = Long.parseLong(lines.get(1).substring("MONOTONIC_USEC=".length()));
        assertTrue(before <= usec && usec <= after, "MONOTONIC_USEC " + usec + " not within [" + before + ", " + after + "]");
        assertEquals("STATUS=Restart 1 of pid " + PID + " in progress: pid " + PID + " is starting its replacement", lines.get(2));
    }

    @Test
    void theHandoverSendsNoMainPidButReadyOnceTheReplacementServes() throws Exception
    {
        notifier.restartStarting();
        notifier.childReady(31337);
        notifier.restartSucceeded(RestartOutcome.success(31337, Duration.ofMillis(700)));

        List<String> datagrams = os.datagrams();
        assertEquals(2, datagrams.size(), () -> "RELOADING, then READY; nothing at childReady: " + datagrams);
        assertFalse(String.join("", datagrams).contains("MAINPID"), () -> "systemd follows PIDFile=, not MAINPID=: " + datagrams);
        String status = assertMessage(lines(datagrams.get(1)), "READY=1");
        assertEquals("STATUS=Restart 1 of pid " + PID + " succeeded: pid 31337 serves; pid " + PID + " drains and exits", status);
    }

    @Test
    void restartFailedSendsReadyAgainWithTheReasonOnOneLine()
    {
        notifier.restartStarting();
        notifier.restartFailed(RestartOutcome.failure(31337, "the replacement exited\nbefore it was ready", Duration.ofMillis(5), null));

        List<String> lines = lines(os.datagrams().get(1));
        String status = assertMessage(lines, "READY=1");
        assertEquals(2, lines.size(), "the reason's newline does not start a line of its own: " + lines);
        assertEquals("STATUS=Restart 1 of pid " + PID + " failed: the replacement exited before it was ready; pid " + PID + " keeps serving", status);
    }

    @Test
    void twoRestartsWithTheSameOutcomeHaveDifferentStatusTexts()
    {
        for (int i = 0; i < 2; i++)
        {
            notifier.restartStarting();
            notifier.restartFailed(RestartOutcome.failure(0, "same reason", Duration.ZERO, null));
        }

        List<String> datagrams = os.datagrams();
        assertEquals(4, datagrams.size(), datagrams::toString);
        assertNotEquals(lines(datagrams.get(1)), lines(datagrams.get(3)), "a reload command polling StatusText must tell them apart");
        assertTrue(datagrams.get(3).contains("Restart 2 of pid " + PID + " failed"), datagrams.get(3));
    }

    @Test
    void aRefusedRestartEndsTheReloadAtOnceWithTheReason()
    {
        notifier.restartRefused("a restart is already in progress");

        List<String> lines = onlyMessage();
        assertEquals("RELOADING=1", lines.get(0));
        assertTrue(lines.get(1).startsWith("MONOTONIC_USEC="), lines::toString);
        assertEquals("READY=1", lines.get(2));
        assertEquals("STATUS=Restart 1 of pid " + PID + " refused: a restart is already in progress", lines.get(3));
    }

    @Test
    void restartFailedWithoutAReasonStillSendsReady()
    {
        notifier.restartFailed(RestartOutcome.failure(0, null, Duration.ZERO, null));

        assertMessage(onlyMessage(), "READY=1");
    }

    @Test
    void stoppingSendsStopping()
    {
        notifier.stopping();

        assertMessage(onlyMessage(), "STOPPING=1");
    }

    @Test
    void aReplacementSaysNothingWhileItsParentIsTheMainPid()
    {
        FakeOs child = new FakeOs(PID, PARENT);
        SystemdNotifier replacement = new SystemdNotifier(child, ADDRESS, PARENT, null);

        replacement.serving();
        replacement.stopping();
        replacement.restartRefused("this process is still taking over");

        assertEquals(List.of(), child.datagrams(), "NotifyAccess=main would reject (and log) every one of these");
        assertFalse(replacement.isMainPid());
    }

    @Test
    void aReplacementSpeaksForTheServiceOnceItsParentHasExited()
    {
        FakeOs child = new FakeOs(PID, PARENT);
        SystemdNotifier replacement = new SystemdNotifier(child, ADDRESS, PARENT, null);
        replacement.serving();

        child.reparent(1);
        replacement.restartStarting();
        replacement.stopping();

        assertTrue(replacement.isMainPid());
        List<String> datagrams = child.datagrams();
        assertEquals(2, datagrams.size(), datagrams::toString);
        assertTrue(datagrams.get(0).contains("RELOADING=1"), datagrams::toString);
        assertTrue(datagrams.get(1).contains("STOPPING=1"), datagrams::toString);
        child.reparent(PARENT);
        assertTrue(replacement.isMainPid(), "once the main pid, always: a pid reused by another parent changes nothing");
    }

    @Test
    void aFirstGenerationStoresEachSocketItBoundUnderItsName()
    {
        Map<String, Integer> sockets = new LinkedHashMap<>();
        sockets.put("http", 7);
        sockets.put("port-8443", 9);
        new SystemdNotifier(os, ADDRESS, 0, () -> sockets).serving();

        List<String> datagrams = os.datagrams();
        assertEquals(3, datagrams.size(), datagrams::toString);
        assertEquals(ADDRESS + " FDSTORE=1\nFDNAME=http\n fds=[7]", datagrams.get(1));
        assertEquals(ADDRESS + " FDSTORE=1\nFDNAME=port-8443\n fds=[9]", datagrams.get(2));
    }

    @Test
    void aReplacementStoresNothing()
    {
        FakeOs child = new FakeOs(PID, PARENT);
        new SystemdNotifier(child, ADDRESS, PARENT, () -> Map.of("http", 7)).serving();
        child.reparent(1);
        new SystemdNotifier(child, ADDRESS, PARENT, () -> Map.of("http", 7)).serving();

        assertEquals(List.of(), child.datagrams(), "its sockets are its parent's, already in the store");
    }

    @Test
    void abstractAddressIsPassedAsIs()
    {
        new SystemdNotifier(os, "@/org/freedesktop/systemd1/notify/123").stopping();

        assertTrue(os.datagrams().get(0).startsWith("@/org/freedesktop/systemd1/notify/123 STOPPING=1\n"), os.datagrams()::toString);
    }

    @Test
    void sendFailureIsLoggedNotThrown()
    {
        os.failDatagrams("sendto(/run/systemd/notify) failed: Connection refused");

        assertDoesNotThrow(() ->
        {
            notifier.serving();
            notifier.restartStarting();
            notifier.childReady(31337);
            notifier.restartFailed(RestartOutcome.failure(31337, "x", Duration.ZERO, null));
            notifier.restartRefused("y");
            notifier.stopping();
            notifier.send("WATCHDOG=1");
        });
        assertEquals(List.of(), os.datagrams());
    }
}
