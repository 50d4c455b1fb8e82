package io.jettygraceful.internal.handoff;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ReplacementCommandTest
{
    private static Map<String, String> parentEnvironment()
    {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/bin:/bin");
        env.put("NOTIFY_SOCKET", "/run/systemd/notify");
        env.put("JAVA_OPTS", "-Xmx1g");
        env.put("LISTEN_PID", "1234");
        env.put("LISTEN_FDS", "5");
        env.put("LISTEN_FDNAMES", "a:b:c:d:e");
        env.put("JETTY_GRACEFUL_PARENT_PID", "999");
        env.put("JETTY_GRACEFUL_CONTROL_FD", "8");
        env.put("JETTY_GRACEFUL_GENERATION", "7");
        env.put("JETTY_GRACEFUL_SOMETHING_FUTURE", "x");
        env.put("MY_JETTY_GRACEFUL_SETTING", "kept: not the prefix");
        return env;
    }

    @Test
    void environmentReplacesEveryPassingVariable()
    {
        Map<String, String> env = ReplacementCommand.environment(parentEnvironment(), List.of("http", "https"), 4242, 3);

        Map<String, String> expected = new HashMap<>();
        expected.put("PATH", "/usr/bin:/bin");
        expected.put("NOTIFY_SOCKET", "/run/systemd/notify");
        expected.put("JAVA_OPTS", "-Xmx1g");
        expected.put("MY_JETTY_GRACEFUL_SETTING", "kept: not the prefix");
        expected.put("LISTEN_FDS", "2");
        expected.put("LISTEN_FDNAMES", "http:https");
        expected.put("JETTY_GRACEFUL_PARENT_PID", "4242");
        expected.put("JETTY_GRACEFUL_CONTROL_FD", "5");
        expected.put("JETTY_GRACEFUL_GENERATION", "4");
        assertEquals(expected, env);
        assertFalse(env.containsKey("LISTEN_PID"), "LISTEN_PID cannot be known before exec: never set");
    }

    @Test
    void socketFilesTheServiceOwnsTravelOnlyWhenThereAreAny()
    {
        Map<String, String> none = ReplacementCommand.environment(Map.of(HandoffProtocol.SOCKET_FILES, "stale"), List.of("http"), 1, 1);
        assertFalse(none.containsKey(HandoffProtocol.SOCKET_FILES), "a stale value from this process's own environment is not passed on");
        Map<String, String> env = ReplacementCommand.environment(Map.of(), List.of("http", "app"), Arrays.asList(null, "2049,77"), 1, 1);
        assertEquals(":2049,77", env.get(HandoffProtocol.SOCKET_FILES));
    }

    @Test
    void controlFdFollowsTheListeners()
    {
        for (int n = 1; n <= 4; n++)
        {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++)
                names.add("s" + i);
            Map<String, String> env = ReplacementCommand.environment(Map.of(), names, 1, 1);
            assertEquals(String.valueOf(n), env.get("LISTEN_FDS"));
            assertEquals(String.valueOf(3 + n), env.get("JETTY_GRACEFUL_CONTROL_FD"));
            assertEquals(String.join(":", names), env.get("LISTEN_FDNAMES"));
        }
    }

    @Test
    void missingNamesBecomeUnknown()
    {
        Map<String, String> env = ReplacementCommand.environment(Map.of(), Arrays.asList(null, "", "admin"), 1, 1);

        assertEquals("unknown:unknown:admin", env.get("LISTEN_FDNAMES"));
        assertEquals("3", env.get("LISTEN_FDS"));
    }

    @Test
    void firstGenerationParentMakesGenerationTwo()
    {
        assertEquals("2", ReplacementCommand.environment(Map.of(), List.of("http"), 1, 1).get("JETTY_GRACEFUL_GENERATION"));
    }

    @Test
    void parentEnvironmentIsNotModified()
    {
        Map<String, String> parent = parentEnvironment();
        Map<String, String> copy = Map.copyOf(parent);

        ReplacementCommand.environment(parent, List.of("http"), 1, 1);

        assertEquals(copy, parent);
    }

    @Test
    void currentCommandLineIsThisJvmsArgv() throws Exception
    {
        List<String> argv = ReplacementCommand.currentCommandLine();

        Optional<String[]> arguments = ProcessHandle.current().info().arguments();
        assumeTrue(arguments.isPresent(), "this JDK does not report the process arguments");
        assertEquals(List.of(arguments.get()), argv.subList(1, argv.size()), "the arguments after argv[0]");

        // argv[0] is the program as it was named; it must be this very java
        Optional<String> command = ProcessHandle.current().info().command();
        assumeTrue(command.isPresent());
        String program = argv.get(0);
        if (program.contains("/"))
            assertEquals(Path.of(command.get()).toRealPath(), Path.of(program).toRealPath());
        else
            assertEquals("java", program);
    }

    @Test
    void currentCommandLineHasTheJvmOptionsAndTheMainClassOrJar() throws Exception
    {
        List<String> argv = ReplacementCommand.currentCommandLine();

        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            // options from JDK_JAVA_OPTIONS or @argfiles are input arguments but not on the command line
            if (System.getenv("JDK_JAVA_OPTIONS") == null && !option.startsWith("@"))
                assertTrue(argv.contains(option), () -> "JVM option " + option + " missing from " + argv);
        }
        String command = System.getProperty("sun.java.command");
        assumeTrue(command != null && !command.isBlank());
        String mainOrJar = command.split(" ")[0];
        assertTrue(argv.contains(mainOrJar), () -> mainOrJar + " missing from " + argv);
        assertTrue(Files.exists(Path.of("/proc/self/cmdline")));
    }
}
