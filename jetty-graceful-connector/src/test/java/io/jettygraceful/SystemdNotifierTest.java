package io.jettygraceful;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.jettygraceful.os.FakeOs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SystemdNotifier}'s datagrams, as {@link FakeOs} records them ({@code "address payload"}). */
class SystemdNotifierTest
{
    private static final String ADDRESS = "/run/systemd/notify";
    private static final int PID = 4242;

    private final FakeOs os = new FakeOs(PID, 1);
    private final SystemdNotifier notifier = new SystemdNotifier(os, ADDRESS);

    /** @return the one datagram sent, as its lines; checks the address and the trailing newline */
    private List<String> onlyMessage()
    {
        List<String> datagrams = os.datagrams();
        assertEquals(1, datagrams.size(), () -> "one datagram: " + datagrams);
        String datagram = datagrams.get(0);
        assertTrue(datagram.startsWith(ADDRESS + " "), datagram);
        String payload = datagram.substring(ADDRESS.length() + 1);
        assertTrue(payload.endsWith("\n"), () -> "ends in a newline: " + payload);
        return Arrays.asList(payload.substring(0, payload.length() - 1).split("\n", -1));
    }

    /** Asserts the message is exactly {@code expected} (in order) followed by one {@code STATUS=} line. */
    private String assertMessage(List<String> lines, String... expected)
    {
        List<String> head = new ArrayList<>(lines.subList(0, lines.size() - 1));
        assertEquals(List.of(expected), head, () -> "message " + lines);
        String status = lines.get(lines.size() - 1);
        assertTrue(status.startsWith("STATUS=") && status.length() > "STATUS=".length(), status);
        return status;
    }

    @Test
    void servingSendsReadyAndThisPidAsMain()
    {
        notifier.serving();

        String status = assertMessage(onlyMessage(), "READY=1", "MAINPID=" + PID);
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
        assertTrue(lines.get(2).startsWith("STATUS="), lines::toString);
    }

    @Test
    void childReadySendsTheChildAsMain()
    {
        notifier.childReady(31337);

        String status = assertMessage(onlyMessage(), "MAINPID=31337");
        assertTrue(status.contains("31337"), status);
    }

    @Test
    void restartFailedSendsReadyAgainWithTheReasonOnOneLine()
    {
        notifier.restartFailed(RestartOutcome.failure(31337, "the replacement exited\nbefore it was ready", Duration.ofMillis(5), null));

        List<String> lines = onlyMessage();
        String status = assertMessage(lines, "READY=1", "MAINPID=" + PID);
        assertEquals(3, lines.size(), "the reason's newline does not start a line of its own: " + lines);
        assertTrue(status.contains("the replacement exited before it was ready"), status);
    }

    @Test
    void restartFailedWithoutAReasonStillSendsReady()
    {
        notifier.restartFailed(RestartOutcome.failure(0, null, Duration.ZERO, null));

        assertMessage(onlyMessage(), "READY=1", "MAINPID=" + PID);
    }

    @Test
    void stoppingSendsStopping()
    {
        notifier.stopping();

        assertMessage(onlyMessage(), "STOPPING=1");
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
            notifier.stopping();
            notifier.send("WATCHDOG=1");
        });
        assertEquals(List.of(), os.datagrams());
    }
}
