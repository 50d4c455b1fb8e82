package io.jettygraceful;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.internal.drain.DrainCustomizer;
import io.jettygraceful.internal.handoff.Handover;
import io.jettygraceful.internal.handoff.SignalTrigger;
import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.os.Os;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GracefulRestart} in this JVM with real Jetty servers on 127.0.0.1:0. A restart that got past its refusals
 * with an open InheritedServerConnector would start a copy of this test JVM, so every restart() here is one that must be
 * refused or find nothing to hand over, or has its command set to a program that never reports ready ({@code sleep}).
 */
class GracefulRestartTest
{
    private final List<Server> servers = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void supported() throws Exception
    {
        assertNotNull(Os.current(), Os::unsupportedReason);
        assertEquals(InheritedSockets.Source.NONE, InheritedSockets.get().source(), "this test JVM must not have inherited sockets");
    }

    @AfterEach
    void stopServers() throws Exception
    {
        for (Server server : servers)
            server.stop();
    }

    private Server server(Connector... connectors)
    {
        Server server = new Server();
        servers.add(server);
        for (Connector connector : connectors)
            server.addConnector(connector);
        return server;
    }

    private static ServerConnector plain(Server server)
    {
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        return connector;
    }

    private static InheritedServerConnector inherited(Server server)
    {
        InheritedServerConnector connector = new InheritedServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        return connector;
    }

    /** A server with one InheritedServerConnector and the bean, restart signal none, not started. */
    private GracefulRestart withInheritedConnector()
    {
        Server server = server();
        server.addConnector(inherited(server));
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        server.addBean(restart);
        return restart;
    }

    private static RestartOutcome outcome(GracefulRestart restart) throws Exception
    {
        return restart.restart().get(10, TimeUnit.SECONDS);
    }

    private static void assertContains(String text, String... parts)
    {
        for (String part : parts)
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    private static Throwable rootCause(Throwable x)
    {
        while (x.getCause() != null && x.getCause() != x)
            x = x.getCause();
        return x;
    }

    private static String messages(Throwable x)
    {
        StringBuilder all = new StringBuilder();
        for (Throwable t = x; t != null; t = t.getCause() == t ? null : t.getCause())
            all.append(t).append(" | ");
        for (Throwable s : x.getSuppressed())
            all.append(messages(s));
        return all.toString();
    }

    // ---- refusals ----------------------------------------------------------------------------------------------

    @Test
    void refusedWhenTheServerWasNeverStarted() throws Exception
    {
        GracefulRestart restart = withInheritedConnector();

        RestartOutcome outcome = outcome(restart);

        assertFalse(outcome.succeeded());
        assertEquals(0, outcome.childPid());
        assertContains(outcome.reason(), "not running");
        assertFalse(restart.isRestarting());
    }

    @Test
    void refusedOnceTheServerHasStopped() throws Exception
    {
        GracefulRestart restart = withInheritedConnector();
        Server server = servers.get(0);
        server.start();
        server.stop();

        RestartOutcome outcome = outcome(restart);

        assertFalse(outcome.succeeded());
        assertEquals(0, outcome.childPid());
        assertContains(outcome.reason(), "not running");
    }

    @Test
    void plainServerConnectorOnlyHasNothingToHandOver() throws Exception
    {
        Server server = server();
        server.addConnector(plain(server));
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        server.addBean(restart);
        server.start();

        RestartOutcome outcome = outcome(restart);

        assertFalse(outcome.succeeded());
        assertEquals(0, outcome.childPid());
        assertContains(outcome.reason(), "nothing to hand over");
        assertTrue(server.isStarted(), "still serving");
        assertFalse(restart.isRestarting());
        assertFalse(restart.isHandedOff());
    }

    // ---- configuration -----------------------------------------------------------------------------------------

    @Test
    void durationsMustBePositive()
    {
        GracefulRestart restart = new GracefulRestart(new Server());

        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setDrainTimeout(Duration.ZERO));
        assertContains(x.getMessage(), "drainTimeout", "positive");
        assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setDrainTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setDrainTimeout(null));
        assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setDrainTimeoutMillis(0));
        assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setReadyTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setKillGrace(Duration.ZERO));
        assertEquals(Duration.ofSeconds(30), restart.getConfiguration().getDrainTimeout(), "a refused value changes nothing");
    }

    @Test
    void webSocketCloseSpreadIsFiveSecondsByDefaultAndNeverNegative()
    {
        GracefulRestart restart = new GracefulRestart(new Server());
        assertEquals(5000, restart.getConfiguration().getWebSocketCloseSpreadMillis());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> restart.getConfiguration().setWebSocketCloseSpreadMillis(-1));
        assertContains(x.getMessage(), "webSocketCloseSpread");
        restart.getConfiguration().setWebSocketCloseSpread(Duration.ZERO);
        assertEquals(Duration.ZERO, restart.getConfiguration().getWebSocketCloseSpread(), "zero closes every session at once");
    }

    @ParameterizedTest
    @ValueSource(strings = {"QUIT", "TERM", "FOO", "SIGINT", "kill"})
    void unsupportedSignalIsRefusedWithTheNameAndAFix(String name)
    {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> SignalTrigger.install(name, () -> { }, new FakeOs()));

        assertContains(x.getMessage(), name, "HUP", "USR1");
    }

    @Test
    void aTriggerSignalIgnoredAtStartIsTakenAnywayAndIgnoredAgainWhenUninstalled() throws Exception
    {
        // USR1: HotSpot installs a handler for it even when it is ignored, so this JVM need not really ignore it.
        FakeOs os = new FakeOs().ignoredAtStart(java.util.Set.of(1, 10));
        java.util.concurrent.CountDownLatch fired = new java.util.concurrent.CountDownLatch(1);
        SignalTrigger trigger = SignalTrigger.install("USR1", fired::countDown, os);
        try
        {
            assertEquals(List.of("stopIgnoring 10"), os.events(), "only the trigger signal is taken, and before its handler is installed");
            Signal.raise(new Signal("USR1"));
            assertTrue(fired.await(10, TimeUnit.SECONDS), "the handler runs");
        }
        finally
        {
            trigger.uninstall();
        }
        // Uninstalled, the signal is ignored again, as this process started: the JVM reports SIG_IGN as the handler.
        SignalHandler now = Signal.handle(new Signal("USR1"), SignalHandler.SIG_DFL);
        assertSame(SignalHandler.SIG_IGN, now);
    }

    @Test
    void aTriggerSignalIgnoredAtStartThatCannotBeTakenFailsNamingNohupAndTheFix()
    {
        FakeOs os = new FakeOs().ignoredAtStart(java.util.Set.of(1)).failStopIgnoring("Invalid argument");
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> SignalTrigger.install("HUP", () -> { }, os));

        assertContains(x.getMessage(), "SIGHUP was ignored when this JVM started", "nohup", "trap '' HUP", "Invalid argument", "Fix:", "USR1");
    }

    @Test
    void unsupportedSignalIsRefusedNamingTheSettingAndTheFix()
    {
        Server server = server();
        server.addConnector(plain(server));
        GracefulRestart restart = new GracefulRestart(server);

        InvalidSettingException x = assertThrows(InvalidSettingException.class, () -> restart.getConfiguration().setSignal("QUIT"));

        assertEquals("signal", x.setting());
        assertContains(x.getMessage(), "QUIT", "HUP", "Fix:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "NONE", ""})
    void signalNoneInstallsNoHandler(String name) throws Exception
    {
        Signal hup = new Signal("HUP");
        SignalHandler probe = s -> { };
        SignalHandler original = Signal.handle(hup, probe);
        try
        {
            Server server = server();
            server.addConnector(plain(server));
            GracefulRestart restart = new GracefulRestart(server);
            restart.getConfiguration().setSignal(name);
            server.addBean(restart);
            server.start();

            assertEquals("none", restart.getConfiguration().getSignal().toLowerCase());
            assertSame(probe, Signal.handle(hup, probe), "SIGHUP's handler is untouched");
            server.stop();
            assertSame(probe, Signal.handle(hup, probe));
        }
        finally
        {
            Signal.handle(hup, original);
        }
    }

    @Test
    void signalHandlerIsInstalledWhileStartedAndRestoredOnStop() throws Exception
    {
        Signal hup = new Signal("HUP");
        SignalHandler probe = s -> { };
        SignalHandler original = Signal.handle(hup, probe);
        try
        {
            Server server = server();
            server.addConnector(plain(server));
            GracefulRestart restart = new GracefulRestart(server);
            restart.getConfiguration().setSignal("SIGHUP");
            server.addBean(restart);
            server.start();

            SignalHandler installed = Signal.handle(hup, probe);
            assertNotSame(probe, installed, "a SIGHUP handler is installed");
            Signal.handle(hup, installed);
            server.stop();
            assertSame(probe, Signal.handle(hup, probe), "the previous handler is back after stop");
        }
        finally
        {
            Signal.handle(hup, original);
        }
    }

    // ---- PID file ----------------------------------------------------------------------------------------------

    @Test
    void unwritablePidFileFailsTheServerStart() throws Exception
    {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        String path = notADirectory.resolve("app.pid").toString();
        Server server = server();
        server.addConnector(plain(server));
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        restart.getConfiguration().setPidFile(path);
        server.addBean(restart);

        Exception x = assertThrows(Exception.class, server::start);

        assertContains(messages(x), "PID file", path, "Fix:");
        assertTrue(rootCause(x) instanceof IllegalArgumentException, messages(x));
    }

    @Test
    void addedToARunningServerItServesAtOnce() throws Exception
    {
        // Spring Boot starts the server, then its connectors, then the application: the bean comes last.
        Path pidFile = dir.resolve("late.pid");
        Server server = server();
        server.addConnector(plain(server));
        server.start();
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        restart.getConfiguration().setPidFile(pidFile.toString());
        server.addBean(restart, true);
        restart.start(); // a bean added to a started container is not started by it

        assertTrue(server.isManaged(restart), "stopped with the server");
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidFile), "serving: the PID file is written");
        String refusal = restart.restart().get().reason();
        assertContains(refusal, "nothing to hand over");

        server.stop();
        assertFalse(Files.exists(pidFile), "removed when the service stops");
    }

    @Test
    void pidFileHoldsThisPidWhileServingAndIsRemovedOnStop() throws Exception
    {
        Path pidFile = dir.resolve("app.pid");
        Server server = server();
        server.addConnector(plain(server));
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        restart.getConfiguration().setPidFile(pidFile.toString());
        server.addBean(restart);

        server.start();
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidFile));

        server.stop();
        assertFalse(Files.exists(pidFile), "removed when the service stops");
    }

    @Test
    void onlyADeadReplacementIsTakenBackNotOneStoppedOnPurpose()
    {
        assertTrue(Handover.crashed(new io.jettygraceful.ExitStatus(-1, 9)), "SIGKILL");
        assertTrue(Handover.crashed(new io.jettygraceful.ExitStatus(-1, 11)), "SIGSEGV");
        assertTrue(Handover.crashed(new io.jettygraceful.ExitStatus(1, 0)), "error exit");
        assertTrue(Handover.crashed(new io.jettygraceful.ExitStatus(134, 0)), "abort via the JVM");
        for (int clean : new int[] {0, 129, 130, 143})
            assertFalse(Handover.crashed(new io.jettygraceful.ExitStatus(clean, 0)), "exit " + clean + " is a stop on purpose");
    }

    @Test
    void anErrorOnTheWayInStillEndsInAFailedOutcomeThatIsCountedAndTold() throws Exception
    {
        // As after `cp new.jar app.jar` over the running jar: a class of the restart path can no longer be loaded.
        Server server = server();
        server.addConnector(new InheritedServerConnector(server, 1, 1)
        {
            {
                setHost("127.0.0.1");
                setPort(0);
            }

            @Override
            public String getHandoffName()
            {
                throw new NoClassDefFoundError("io/jettygraceful/Simulated");
            }
        });
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        restart.getConfiguration().setCommand(List.of("/bin/sleep", "30"));
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        restart.addRestartListener(new RestartListener()
        {
            @Override
            public void restartStarting()
            {
                heard.add("starting");
            }

            @Override
            public void restartFailed(RestartOutcome outcome)
            {
                heard.add("failed: " + outcome.reason());
            }
        });
        server.addBean(restart);
        server.start();

        RestartOutcome outcome = outcome(restart);

        assertFalse(outcome.succeeded());
        assertContains(outcome.reason(), "unexpected error", "NoClassDefFoundError", "io/jettygraceful/Simulated");
        assertEquals(1, restart.getRestartsFailed());
        assertContains(restart.getLastResult(), "NoClassDefFoundError");
        assertEquals(List.of("starting", "failed: " + outcome.reason()), heard);
        assertFalse(restart.isRestarting(), "nothing left in progress: the next trigger may try again");
        assertContains(outcome(restart).reason(), "unexpected error");
        assertEquals(2, restart.getRestartsFailed());
    }

    @Test
    void restartThreadKeepsTheJvmAliveEvenWhenASignalHandlerThreadTriggersIt() throws Exception
    {
        // The drain ends in server.stop(), which lets main() return from join(): were the restart thread a daemon like
        // the signal handler thread that starts it, the JVM would end before the outcome is logged.
        GracefulRestart restart = withInheritedConnector();
        Server server = servers.get(servers.size() - 1);
        restart.getConfiguration().setCommand(List.of("/bin/sleep", "30"));
        java.util.concurrent.CompletableFuture<Boolean> restartThreadIsDaemon = new java.util.concurrent.CompletableFuture<>();
        restart.addRestartListener(new RestartListener()
        {
            @Override
            public void restartStarting()
            {
                restartThreadIsDaemon.complete(Thread.currentThread().isDaemon());
            }
        });
        server.start();
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<RestartOutcome>> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread daemon = new Thread(() -> result.set(restart.restart()), "like-a-signal-handler");
        daemon.setDaemon(true);
        daemon.start();
        daemon.join();

        assertFalse(restartThreadIsDaemon.get(10, TimeUnit.SECONDS), "the restart thread is not a daemon");
        server.stop();
    }

    @Test
    void stoppingTheServerDuringARestartStopsAndReapsTheReplacement() throws Exception
    {
        GracefulRestart restart = withInheritedConnector();
        Server server = servers.get(servers.size() - 1);
        restart.getConfiguration().setCommand(List.of("/bin/sleep", "30"));
        restart.getConfiguration().setReadyTimeout(Duration.ofSeconds(30));
        server.start();
        java.util.concurrent.CompletableFuture<RestartOutcome> result = restart.restart();
        assertTrue(restart.isRestarting());
        long child = awaitChild(Duration.ofSeconds(10));

        long start = System.nanoTime();
        server.stop();
        long stopMillis = (System.nanoTime() - start) / 1_000_000L;

        RestartOutcome outcome = result.get(1, TimeUnit.SECONDS);
        assertFalse(outcome.succeeded(), outcome.toString());
        assertContains(outcome.reason(), "the server is stopping");
        assertEquals(child, outcome.childPid());
        assertNotNull(outcome.childExit(), "the replacement was reaped: " + outcome);
        assertFalse(Files.exists(Path.of("/proc", String.valueOf(child))), "no process (not even a zombie) is left of pid " + child);
        assertFalse(restart.isRestarting());
        assertTrue(stopMillis < 10_000, "the stop waited for the ready timeout: " + stopMillis + " ms");
    }

    /** @return the pid of the one child of this JVM running sleep (waits for it) */
    private static long awaitChild(Duration timeout) throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0)
        {
            java.util.Optional<ProcessHandle> sleeping = ProcessHandle.current().children()
                .filter(p -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false)).findFirst();
            if (sleeping.isPresent())
                return sleeping.get().pid();
            Thread.sleep(20);
        }
        throw new AssertionError("no replacement was spawned within " + timeout.toMillis() + " ms");
    }

    // ---- drain customizer ----------------------------------------------------------------------------------------

    /**
     * A factory that wraps the HttpConnectionFactory and holds it as a bean, as Dropwizard's (metrics')
     * InstrumentedConnectionFactory does: the requests it serves are still counted, so the drain's customizer is on.
     */
    @Test
    void requestsThroughAWrappedHttpConnectionFactoryAreCounted() throws Exception
    {
        Server server = server();
        HttpConnectionFactory http = new HttpConnectionFactory();
        InheritedServerConnector connector = new InheritedServerConnector(server, 1, 1, new WrappingConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        server.addBean(restart);
        long[] seen = new long[1];
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                seen[0] = restart.getRequestsInFlight();
                callback.succeeded();
                return true;
            }
        });
        server.start();

        NetTesting.httpGet(new java.net.InetSocketAddress("127.0.0.1", connector.getLocalPort()), "/");

        assertEquals(1, seen[0], "the request in flight, counted by the drain customizer on the wrapped factory's configuration");
        assertTrue(http.getHttpConfiguration().getCustomizers().stream().anyMatch(c -> c instanceof DrainCustomizer));
    }

    private static final class WrappingConnectionFactory extends org.eclipse.jetty.util.component.ContainerLifeCycle implements ConnectionFactory
    {
        private final ConnectionFactory wrapped;

        WrappingConnectionFactory(ConnectionFactory wrapped)
        {
            this.wrapped = wrapped;
            addBean(wrapped);
        }

        @Override
        public String getProtocol()
        {
            return wrapped.getProtocol();
        }

        @Override
        public List<String> getProtocols()
        {
            return wrapped.getProtocols();
        }

        @Override
        public org.eclipse.jetty.io.Connection newConnection(Connector connector, org.eclipse.jetty.io.EndPoint endPoint)
        {
            return wrapped.newConnection(connector, endPoint);
        }
    }
}
