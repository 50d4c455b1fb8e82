package io.jettygraceful.it.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.LoadGenerator;
import io.jettygraceful.it.ProcessTracker;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The example in a container's PID namespace, with the kernel's real PID-1 semantics ({@code unshare --pid --fork
 * --mount-proc}, util-linux): as PID 1 itself, and as the child of Debian's {@code tini} as PID 1. Every signal goes
 * to the namespace's PID 1, as {@code docker kill} and {@code docker stop} send it.
 *
 * <p>Pids in /status are pids inside the namespace: they are never handed to the {@link ProcessTracker} (it would
 * signal host processes of that number). The tracker owns the {@code unshare} process; {@code --kill-child} makes its
 * end the namespace's end.</p>
 */
class ContainerTest
{
    private static final Duration START = Duration.ofSeconds(40);
    private static final Duration HANDOFF = Duration.ofSeconds(40);
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    /** The documented status of a server stopped by SIGTERM, with or without the holder: the JVM's own 128 + 15. */
    private static final int STOPPED_BY_SIGTERM = 143;

    /** How the example is started in the namespace. */
    enum Init
    {
        /** The JVM is PID 1 ({@code ENTRYPOINT ["java", ...]}); the holder is detected. */
        PID1,
        /** tini is PID 1 and the JVM its child ({@code docker run --init}); the holder is asked for with --holder always. */
        TINI
    }

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    static Stream<Arguments> cases()
    {
        List<Arguments> cases = new ArrayList<>();
        for (int jdk : Jdks.TESTED)
        {
            for (Init init : Init.values())
                cases.add(Arguments.of(jdk, init));
        }
        return cases.stream();
    }

    private record Container(ExampleProcess process, PidNamespace namespace, Init init, int port)
    {
        ExampleStatus status() throws IOException
        {
            Http.Response response = Http.get(Http.IPV4, port, "/status", Http.DEFAULT_TIMEOUT);
            assertEquals(200, response.status(), "GET /status: " + response);
            return ExampleStatus.parse(response.body());
        }

        /** Waits for the namespace to end (its PID 1, hence unshare, exits) and checks its status. */
        void assertEndsWith(int expected, String what)
        {
            assertEquals(expected, process.exitCode(Duration.ofSeconds(30)), what + ": " + process.tail(15));
        }

        void signalInit(int signal)
        {
            assertTrue(Subreaper.signal(namespace.init(), signal), "signal " + signal + " to the namespace's PID 1 (host pid " + namespace.init() + ")");
        }

        /** @return the host pid of the small holder JVM the first process exec'd into, once it has */
        long awaitHolder()
        {
            long[] holder = new long[1];
            Restarts.await(() ->
            {
                for (long member : namespace.members())
                {
                    if (Procs.cmdline(member).contains("io.jettygraceful.internal.holder.HolderMain"))
                    {
                        holder[0] = member;
                        return true;
                    }
                }
                return false;
            }, HANDOFF, "the first process to exec into the holder JVM: " + namespace.describe() + "\n" + process.tail(20));
            return holder[0];
        }
    }

    private Container start(int jdk, Init init, String name) throws IOException
    {
        for (String tool : init == Init.TINI ? List.of("unshare", "tini") : List.of("unshare"))
        {
            if (Stream.of(System.getenv("PATH").split(":")).noneMatch(dir -> Files.isExecutable(Path.of(dir, tool))))
                fail(tool + " is needed by this test but is not on PATH. Fix: apt-get install -y " + (tool.equals("tini") ? "tini" : "util-linux") +
                    " (.ci/run installs it)");
        }
        int port = FreePorts.ipv4();
        List<String> wrapper = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"));
        if (init == Init.TINI)
            wrapper.addAll(List.of("tini", "--"));
        ExampleProcess process = processes.start(ExampleProcess.builder().jdk(jdk).name("container-" + name + "-" + init + "-" + jdk).wrapper(wrapper)
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--drain-timeout", "10s", "--holder", init == Init.TINI ? "always" : "auto"));
        process.awaitLog("Serving pid=\\d+ generation=1 ", START);
        Container container = new Container(process, PidNamespace.of(process.pid(), START), init, port);
        assertEquals(1, container.status().generation());
        return container;
    }

    /** HUP to PID 1, then waits until the next generation serves and the holder knows it (its signals reach it). */
    private static ExampleStatus restartThroughInit(Container container, ExampleStatus current) throws IOException
    {
        container.signalInit(Restarts.SIGHUP);
        long deadline = System.nanoTime() + HANDOFF.toNanos();
        ExampleStatus status = current;
        // An older generation that has handed over still answers during its overlap (both accept): not the new one.
        while (status.pid() == current.pid() || status.json().contains("\"handedOff\":true"))
        {
            if (System.nanoTime() - deadline > 0)
                fail("no new generation after SIGHUP to PID 1: " + status.json() + "\n" + container.process().tail(30));
            Restarts.pause(Duration.ofMillis(20));
            status = container.status();
        }
        assertEquals(current.generation() + 1, status.generation(), status.json());
        assertEquals(current.pid(), status.parentPid(), status.json());
        container.process().awaitLog("\\[jetty-graceful holder \\d+\\] pid " + status.pid() + " serves now", HANDOFF);
        return status;
    }

    /**
     * Ten restarts, each a SIGHUP to PID 1, under keep-alive and new-connection load: no request fails. Then: every
     * replaced generation and an orphan left in the namespace are reaped (no zombie), and a SIGTERM to PID 1 drains
     * the serving generation (a slow request is answered) and ends the namespace with 143.
     */
    @ParameterizedTest(name = "JDK {0}, {1}")
    @MethodSource("cases")
    void tenRestartsUnderLoadThenADrainedStop(int jdk, Init init) throws Exception
    {
        Container container = start(jdk, init, "restarts");
        ExampleStatus status = container.status();
        LoadGenerator.Summary summary;
        try (LoadGenerator load = LoadGenerator.builder(container.port()).keepAliveClients(2).newConnectionClients(2)
            .maxRequests(5_000_000).maxDuration(Duration.ofMinutes(4)).start())
        {
            assertTrue(load.awaitCompleted(200, Duration.ofSeconds(20)), "the load started");
            for (int i = 0; i < 10; i++)
                status = restartThroughInit(container, status);
            assertTrue(load.awaitCompleted(load.completed() + 200, Duration.ofSeconds(20)), "the load goes on after the last restart");
            summary = load.stop();
        }
        System.out.println("[it] container " + init + " JDK " + jdk + ": 10 restarts through PID 1 under load: " + summary);
        assertEquals(0, summary.failed(), "failed requests across 10 restarts: " + summary);
        assertTrue(summary.answeredBy().size() >= 11, "every generation answered: " + summary.answeredBy());

        long holder = container.awaitHolder();
        // An orphan of something else in the namespace (as an application's own child would be): it ends and must be reaped.
        Process orphanMaker = new ProcessBuilder("nsenter", "--target", String.valueOf(container.namespace().init()), "--pid", "--mount", "--",
            "/bin/sh", "-c", "sleep 1 & exit 0").inheritIO().start();
        assertEquals(0, orphanMaker.waitFor(), "nsenter made an orphan");
        int expectedMembers = init == Init.TINI ? 3 : 2; // [tini,] the holder, the serving generation
        Restarts.await(() -> container.namespace().members().size() == expectedMembers, Duration.ofSeconds(30),
            "the replaced generations and the orphan to end and be reaped: " + container.namespace().describe());
        assertEquals(List.of(), container.namespace().zombies(), "zombies in the namespace");
        long serving = container.namespace().hostPid(status.pid());
        System.out.println("[it] container " + init + " JDK " + jdk + ": holder RSS " + PidNamespace.rssKb(holder) + " kB, serving generation RSS " +
            PidNamespace.rssKb(serving) + " kB; namespace: " + container.namespace().describe());

        ExampleStatus last = status;
        CompletableFuture<Http.Response> slow = CompletableFuture.supplyAsync(() -> get(container.port(), "/delayed?ms=3000"));
        Restarts.pause(Duration.ofMillis(300));
        assertFalse(slow.isDone(), "the slow request is in flight: " + (slow.isDone() ? slow.join() : ""));
        container.signalInit(SIGTERM);
        Http.Response answered = slow.get();
        assertEquals(200, answered.status(), "the slow request across SIGTERM to PID 1: " + answered);
        assertEquals(last.uuid(), answered.body().trim(), "answered by the serving generation, which drained");
        container.assertEndsWith(STOPPED_BY_SIGTERM, "the namespace ends with the serving generation's status");
    }

    /** The serving generation is SIGKILLed: the holder does not live on with nothing serving, the namespace fails. */
    @ParameterizedTest(name = "JDK {0}, {1}")
    @MethodSource("cases")
    void sigkillOfTheServingGenerationEndsTheNamespaceNonZero(int jdk, Init init) throws Exception
    {
        Container container = start(jdk, init, "kill");
        ExampleStatus second = restartThroughInit(container, container.status());
        container.awaitHolder(); // the first generation has drained: nobody is left to take the sockets back
        assertTrue(Subreaper.signal(container.namespace().hostPid(second.pid()), SIGKILL));
        container.assertEndsWith(128 + SIGKILL, "the namespace ends with the killed generation's status");
    }

    /**
     * A SIGTERM sent the moment the drained first process has exec'd into the small holder JVM, before that JVM could
     * have any handler: it is kept pending (blocked across the exec, taken with sigtimedwait), not dropped as PID 1
     * drops signals it has no handler for, and stops the service.
     */
    @ParameterizedTest(name = "JDK {0}, {1}")
    @MethodSource("cases")
    void sigtermRightAfterTheExecIntoTheHolderIsNotLost(int jdk, Init init) throws Exception
    {
        Container container = start(jdk, init, "exec");
        long firstJvm = init == Init.PID1 ? container.namespace().init() : container.namespace().hostPid(2);
        assertTrue(Procs.cmdline(firstJvm).contains("-jar"), "the first JVM: " + container.namespace().describe());
        restartThroughInit(container, container.status());
        long deadline = System.nanoTime() + HANDOFF.toNanos();
        while (!Procs.cmdline(firstJvm).contains("io.jettygraceful.internal.holder.HolderMain"))
        {
            if (System.nanoTime() - deadline > 0)
                fail("the first JVM did not exec into the holder: " + container.namespace().describe() + "\n" + container.process().tail(20));
            Thread.onSpinWait();
        }
        container.signalInit(SIGTERM);
        container.assertEndsWith(STOPPED_BY_SIGTERM, "the SIGTERM reached the serving generation");
    }

    /** Before any restart the JVM is PID 1 (or tini's child) and serves: SIGTERM stops it with the same status. */
    @ParameterizedTest(name = "JDK {0}, {1}")
    @MethodSource("cases")
    void sigtermBeforeAnyRestartEndsWithTheSameStatus(int jdk, Init init) throws Exception
    {
        Container container = start(jdk, init, "term");
        container.signalInit(SIGTERM);
        container.assertEndsWith(STOPPED_BY_SIGTERM, "a JVM stopped by SIGTERM, holder or not");
    }

    private static Http.Response get(int port, String path)
    {
        try
        {
            return Http.get(Http.IPV4, port, path, Duration.ofSeconds(20));
        }
        catch (IOException x)
        {
            throw new java.io.UncheckedIOException(x);
        }
    }
}
