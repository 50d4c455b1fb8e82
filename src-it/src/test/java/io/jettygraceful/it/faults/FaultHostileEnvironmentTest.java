package io.jettygraceful.it.faults;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.ProcessTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile or stale socket-passing variables, per the rules of {@code InheritedSockets}:
 * <ul>
 *   <li>variables aimed at another process are <b>ignored</b> and the example binds its own port: LISTEN_FDS without
 *       LISTEN_PID, LISTEN_PID of another pid, JETTY_GRACEFUL_* whose control fd is not a Unix socket connected to the
 *       named parent (a pipe, /dev/null, a TCP connection, a Unix socket with another peer, a bad number);</li>
 *   <li>variables aimed at this process (LISTEN_PID = its pid) must be right, or it <b>refuses</b> to start with exit
 *       code 2 and a message naming the variable: negative, huge or overflowing LISTEN_FDS, LISTEN_FDNAMES with the
 *       wrong number of ':'-separated names or with control characters, nothing usable at fd 3.</li>
 * </ul>
 */
class FaultHostileEnvironmentTest
{
    private static final Duration EXIT = Duration.ofSeconds(30);
    private static final String STALE = "Inherited sockets: none \\(the JETTY_GRACEFUL_\\* variables were meant for another process";

    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    /** Refused: exit code 2 and the ERROR line matching the regex. */
    static Stream<Arguments> refused()
    {
        return Stream.of(
            Arguments.of("negative LISTEN_FDS", "export LISTEN_PID=$$ LISTEN_FDS=-5", Pattern.quote("LISTEN_FDS=-5 is not a positive number")),
            Arguments.of("huge LISTEN_FDS", "export LISTEN_PID=$$ LISTEN_FDS=99999999",
                Pattern.quote("LISTEN_FDS=99999999 is more inherited sockets than jetty-graceful accepts (1024)")),
            Arguments.of("overflowing LISTEN_FDS", "export LISTEN_PID=$$ LISTEN_FDS=4294967297",
                Pattern.quote("LISTEN_FDS=4294967297 is not a positive number")),
            Arguments.of("LISTEN_PID with blanks", "export LISTEN_PID=\" $$ \" LISTEN_FDS=abc", Pattern.quote("LISTEN_FDS=abc is not a positive number")),
            Arguments.of("too many names", "export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=http:admin:",
                Pattern.quote("LISTEN_FDNAMES='http:admin:' has 3 name(s) but LISTEN_FDS=1")),
            Arguments.of("SOH in a name", "export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=\"$(printf 'ht\\001tp')\"",
                Pattern.quote("LISTEN_FDNAMES name 1 ('ht\\x01tp') contains a control character")),
            Arguments.of("newline in a name", "export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=\"$(printf 'a\\nb')\"",
                Pattern.quote("LISTEN_FDNAMES name 1 ('a\\x0ab') contains a control character")),
            Arguments.of("ESC in a name", "export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=\"$(printf '\\033[31mred')\"",
                Pattern.quote("LISTEN_FDNAMES name 1 ('\\x1b[31mred') contains a control character")),
            // Nothing was passed at fd 3: the JVM itself may have opened a file there by the time the registry looks.
            Arguments.of("nothing at fd 3", "exec 3>&-; export LISTEN_PID=$$ LISTEN_FDS=1",
                Pattern.quote("fd 3, inherited socket 1 of LISTEN_FDS=1, ") + "(is not open|is a file or device .*, not a socket)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void variablesAimedAtThisProcessMustBeRight(String name, String script, String messageRegex)
    {
        ExampleProcess process = processes.start(ExampleProcess.builder().name("fault-env-" + name).wrapper(ExampleProcess.bash(script))
            .args("--host", "127.0.0.1", "--port", String.valueOf(FreePorts.ipv4())));
        assertEquals(2, process.exitCode(EXIT), process.describe());
        process.awaitLog("ERROR .*Cannot start: " + messageRegex, Duration.ofSeconds(1));
    }

    /** Ignored: the example starts, binds its own --port, inherits nothing, and logs why (when it logs). */
    static Stream<Arguments> ignored()
    {
        return Stream.of(
            Arguments.of("LISTEN_FDS without LISTEN_PID", "exec 3</etc/hostname; export LISTEN_FDS=1 LISTEN_FDNAMES=http",
                Pattern.quote("Inherited sockets: none (LISTEN_FDS is set without LISTEN_PID: ignored")),
            Arguments.of("LISTEN_PID of another process", "export LISTEN_PID=1 LISTEN_FDS=-5 LISTEN_FDNAMES=\"$(printf 'x\\001')\"",
                Pattern.quote("Inherited sockets: none (LISTEN_PID=1 names another process")),
            Arguments.of("control fd is a pipe", "d=$(mktemp -d); mkfifo $d/f; exec 3<>$d/f; rm -r $d; " +
                "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=3 JETTY_GRACEFUL_GENERATION=2 LISTEN_FDS=0", STALE),
            Arguments.of("control fd is /dev/null", "exec 3</dev/null; " +
                "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=3 JETTY_GRACEFUL_GENERATION=2 LISTEN_FDS=1", STALE),
            Arguments.of("control fd is stdout", "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=1 LISTEN_FDS=1", STALE),
            Arguments.of("control fd not a number", "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=abc LISTEN_FDS=1", STALE),
            Arguments.of("control fd negative", "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=-1", STALE),
            Arguments.of("no parent pid", "exec 3</dev/null; export JETTY_GRACEFUL_CONTROL_FD=3", STALE),
            Arguments.of("parent pid only", "export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_GENERATION=7", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ignored")
    void variablesAimedAtAnotherProcessAreIgnored(String name, String script, String logRegex) throws Exception
    {
        assertIgnored(name, ExampleProcess.bash(script), logRegex);
    }

    /** The control fd is a TCP connection (bash's /dev/tcp): not a Unix socket, ignored. */
    @Test
    void controlFdIsATcpConnection() throws Exception
    {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            assertIgnored("control fd is TCP", ExampleProcess.bash("exec 3<>/dev/tcp/127.0.0.1/" + peer.getLocalPort() +
                "; export JETTY_GRACEFUL_PARENT_PID=$PPID JETTY_GRACEFUL_CONTROL_FD=3 JETTY_GRACEFUL_GENERATION=2 LISTEN_FDS=0"), STALE);
        }
    }

    /**
     * The control fd is a Unix socket, but its peer (SO_PEERCRED) is not the named parent: here a socketpair made by the
     * process itself (python creates it, then execs the JVM), with the real parent's pid in the variable. Ignored.
     */
    @Test
    void controlFdIsAUnixSocketOfAnotherPeer() throws Exception
    {
        String python = String.join("\n",
            "import os, socket, sys",
            "a, b = socket.socketpair()",
            "os.dup2(b.fileno(), 3)",
            "os.environ.update(JETTY_GRACEFUL_PARENT_PID=str(os.getppid()), JETTY_GRACEFUL_CONTROL_FD='3', JETTY_GRACEFUL_GENERATION='2', LISTEN_FDS='0')",
            "os.execvp(sys.argv[1], sys.argv[1:])");
        assertIgnored("control fd is a foreign unix socket", List.of("python3", "-c", python), STALE);
    }

    private void assertIgnored(String name, List<String> wrapper, String logRegex) throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess process = processes.start(ExampleProcess.builder().name("fault-env-" + name).wrapper(wrapper)
            .args("--host", "127.0.0.1", "--port", String.valueOf(port)));
        long pid = process.servingPid(Duration.ofSeconds(30));
        ExampleStatus status = processes.status(port);
        assertEquals(pid, status.pid(), "the process started for this case serves");
        assertEquals(1, status.generation(), "not taken for a handoff: " + status.json());
        assertEquals(0, status.inherited(), "nothing inherited, its own port bound: " + status.json());
        assertEquals(0, status.parentPid());
        assertTrue(status.listeners().get(0).address().endsWith(":" + port), status.json());
        if (logRegex != null)
            process.awaitLog("INFO .*" + logRegex, Duration.ofSeconds(1));
        else
            assertTrue(!process.output().contains("Inherited sockets"), "nothing to report: " + process.output());
    }
}
