package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.time.Duration;

import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.Restarts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions around {@code systemctl reload} of an {@link AppService}. */
final class Reloads
{
    /** How long a handover (start of the replacement, drain and exit of the old process) may take on a loaded machine. */
    static final Duration HANDOVER = Duration.ofSeconds(60);

    private Reloads()
    {
    }

    /** {@code systemctl reload} must exit 0; prints how long it blocked. */
    static void reloadOk(AppService app, ExampleStatus serving)
    {
        long start = System.nanoTime();
        Tools.Result reload = app.reload();
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.out.println("[systemd] " + app.container().suite() + " systemctl reload (pid " + serving.pid() + ", generation " +
            serving.generation() + ") returned " + reload.exit() + " after " + ms + " ms");
        assertTrue(reload.ok(), "systemctl reload: " + reload + "\n" + app.journal());
    }

    /**
     * One reload as a deploy script sees it: {@code systemctl reload} exits 0, a fresh connection right after is answered
     * by the replacement ({@link #servingAfterReload}), and MainPID follows it once the old process has drained and exited.
     * @return the replacement's status
     */
    static ExampleStatus reloadAndFollow(AppService app, ExampleStatus serving) throws IOException
    {
        reloadOk(app, serving);
        ExampleStatus replacement = servingAfterReload(app, serving);
        app.awaitMainPid(replacement.pid(), HANDOVER);
        return replacement;
    }

    /**
     * A fresh connection right after {@code systemctl reload} returned must be answered by the replacement: reload
     * returns only once the replacement serves. @return the replacement's status
     */
    static ExampleStatus servingAfterReload(AppService app, ExampleStatus previous) throws IOException
    {
        ExampleStatus now = app.status();
        assertNotEquals(previous.pid(), now.pid(), "systemctl reload returned, but the old pid still answers a new connection: " + now.json());
        assertEquals(previous.generation() + 1, now.generation(), now.json());
        return now;
    }

    /**
     * Polls /status until the replacement of {@code previous} answers, for scenarios about what happens next (the
     * strict check that reload returns only once the replacement serves is {@link #servingAfterReload}).
     */
    static ExampleStatus awaitReplacement(AppService app, ExampleStatus previous)
    {
        Restarts.await(() -> statusPid(app) != previous.pid(), Duration.ofSeconds(60), "a replacement of pid " + previous.pid() + " to answer");
        try
        {
            ExampleStatus now = app.status();
            assertEquals(previous.generation() + 1, now.generation(), now.json());
            return now;
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }

    private static long statusPid(AppService app)
    {
        try
        {
            return app.status().pid();
        }
        catch (IOException x)
        {
            return -1;
        }
    }

    /** Polls {@code systemctl show -p StatusText} until it matches {@code regex}; @return the text */
    static String awaitStatusText(AppService app, String regex)
    {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
        Restarts.await(() -> pattern.matcher(app.property("StatusText")).find(), Duration.ofSeconds(30),
            "StatusText of " + UnitFiles.SERVICE + " to match /" + regex + "/ (it is \"" + app.property("StatusText") + "\")");
        String status = app.property("StatusText");
        System.out.println("[systemd] StatusText: " + status);
        return status;
    }

    /** {@code systemctl stop} with a slow request in flight: it is answered, and the unit ends inactive with Result=success. */
    static void stopAnswersTheRequestInFlight(AppService app) throws InterruptedException
    {
        SlowRequest slow = SlowRequest.start(app.port(), Duration.ofSeconds(3));
        slow.awaitInFlight(app);
        Tools.Result stop = app.container().systemctl("stop", UnitFiles.SERVICE);
        assertTrue(stop.ok(), stop.toString());
        assertEquals(200, slow.response().status(), "the request in flight at the stop: " + slow.response());
        assertEquals("inactive", app.activeState());
        assertEquals("success", app.property("Result"));
    }
}
