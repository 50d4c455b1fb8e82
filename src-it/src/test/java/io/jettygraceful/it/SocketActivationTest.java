package io.jettygraceful.it;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example under systemd's own activator, {@code systemd-socket-activate}, which sets LISTEN_FDS, LISTEN_PID and
 * LISTEN_FDNAMES exactly as systemd does and execs the JVM on the first connection.
 */
class SocketActivationTest
{
    static final Duration START = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /** Starts the example under systemd-socket-activate and makes the first connection, which execs the JVM. */
    static ExampleProcess activate(ProcessTracker processes, int jdk, List<String> listens, List<String> names, String... args)
    {
        ExampleProcess process = processes.start(ExampleProcess.builder()
            .name("activated-jdk" + jdk)
            .jdk(jdk)
            .wrapper(ExampleProcess.systemdSocketActivate(listens, names))
            .args(args));
        // The activator binds and listens before it logs this; the JVM is exec'd on the first connection attempt.
        for (String listen : listens)
            process.awaitLog("Listening on " + java.util.regex.Pattern.quote(listen) + " as \\d+", START);
        return process;
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void adoptsTheActivatedSocket(int jdk) throws Exception
    {
        int port = FreePorts.ipv4();
        String address = "127.0.0.1:" + port;
        ExampleProcess process = activate(processes, jdk, List.of(address), List.of("http"));

        ExampleStatus status = processes.status(port); // this connection triggers the exec and waits in the backlog
        assertEquals(process.pid(), status.pid(), "the activator execs the JVM: same pid");
        assertEquals(1, status.inherited(), status.json());
        assertEquals(List.of(new ExampleStatus.Listener(address, true)), status.listeners(), status.json());
        assertEquals(1, status.generation());
        assertEquals(0, status.parentPid());

        Http.Response uuid = Http.get(port, "/uuid");
        assertEquals(200, uuid.status(), uuid.toString());
        assertEquals(status.uuid(), uuid.body().trim());

        process.awaitLog("Inherited 1 listening socket\\(s\\) from systemd socket activation: \\[fd 3 'http' " + address.replace(".", "\\.") + "]", START);
        assertEquals(process.pid(), process.servingPid(START));
        process.awaitLog("Serving .* listeners=\\[inherited fd 3 'http' " + address.replace(".", "\\.") + "]", START);

        assertEquals(List.of(address), ListeningSockets.describe(process.pid()), "the JVM must listen on the inherited socket only, and bind nothing itself");
        assertNoJdkWarnings(process);
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void servesTwoNamedSockets(int jdk) throws Exception
    {
        int httpPort = FreePorts.ipv4();
        int adminPort = FreePorts.ipv4();
        String http = "127.0.0.1:" + httpPort;
        String admin = "127.0.0.1:" + adminPort;
        ExampleProcess process = activate(processes, jdk, List.of(http, admin), List.of("http", "admin"));

        ExampleStatus viaHttp = processes.status(httpPort);
        ExampleStatus viaAdmin = processes.status(adminPort);
        assertEquals(process.pid(), viaHttp.pid());
        assertEquals(viaHttp.uuid(), viaAdmin.uuid(), "one process serves both sockets");
        assertEquals(2, viaHttp.inherited(), viaHttp.json());
        assertEquals(List.of(new ExampleStatus.Listener(http, true), new ExampleStatus.Listener(admin, true)), viaHttp.listeners(), viaHttp.json());
        for (int port : new int[]{httpPort, adminPort})
        {
            Http.Response uuid = Http.get(port, "/uuid");
            assertEquals(200, uuid.status(), uuid.toString());
            assertEquals(viaHttp.uuid(), uuid.body().trim());
        }
        process.awaitLog("Inherited 2 listening socket\\(s\\) from systemd socket activation: \\[fd 3 'http' " + http.replace(".", "\\.") +
            ", fd 4 'admin' " + admin.replace(".", "\\.") + "]", START);
        List<String> expected = httpPort < adminPort ? List.of(http, admin) : List.of(admin, http);
        assertEquals(expected, ListeningSockets.describe(process.pid()));
        assertNoJdkWarnings(process);
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void adoptsAnIpv6Socket(int jdk) throws Exception
    {
        int port = FreePorts.ipv6();
        // Written as people write it (RFC 5952), not as the JDK does ([0:0:0:0:0:0:0:1]).
        String address = "[::1]:" + port;
        ExampleProcess process = activate(processes, jdk, List.of("[::1]:" + port), List.of());

        Http.Response response = Http.get(Http.IPV6, port, "/status", Http.DEFAULT_TIMEOUT);
        assertEquals(200, response.status(), response.toString());
        ExampleStatus status = ExampleStatus.parse(response.body());
        processes.saw(status.pid());
        assertEquals(List.of(new ExampleStatus.Listener(address, true)), status.listeners(), status.json());
        assertEquals(List.of(address), ListeningSockets.describe(process.pid()));
        assertNoJdkWarnings(process);
    }

    static void assertNoJdkWarnings(ExampleProcess process)
    {
        List<String> warnings = process.output().lines().filter(line -> line.startsWith("WARNING:")).toList();
        assertTrue(warnings.isEmpty(), "JDK warnings in " + process.logFile() + ": " + warnings);
    }
}
