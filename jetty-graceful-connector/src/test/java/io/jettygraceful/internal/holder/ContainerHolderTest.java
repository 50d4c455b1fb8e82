package io.jettygraceful.internal.holder;

import java.util.HashMap;
import java.util.Map;

import io.jettygraceful.ExitStatus;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who holds the container ({@link ContainerHolder#forFirstProcess}), what a holder learns from the holder channel
 * ({@link HolderLoop}) and what a later generation writes on it ({@link HolderLink}), against the fake OS seam. The real
 * kernel side (PID namespaces, tini, exec, reaping) is in src-it's ContainerTest.
 */
class ContainerHolderTest
{
    private static InheritedSockets firstGeneration(FakeOs os) throws Exception
    {
        return InheritedSockets.load(Map.of(), os);
    }

    @Test
    void modesParseInAnyCaseAndABadOneNamesTheThree()
    {
        assertEquals(ContainerHolder.Mode.AUTO, ContainerHolder.Mode.parse("auto"));
        assertEquals(ContainerHolder.Mode.ALWAYS, ContainerHolder.Mode.parse(" Always "));
        assertEquals(ContainerHolder.Mode.NEVER, ContainerHolder.Mode.parse("NEVER"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new GracefulRestart(new org.eclipse.jetty.server.Server()).getConfiguration().setHolder("yes"));
        assertTrue(bad.getMessage().contains("holder = yes") && bad.getMessage().contains("auto") && bad.getMessage().contains("always") && bad.getMessage().contains("never"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ContainerHolder.Mode.parse(null));
    }

    @Test
    void pid1HoldsByDefaultAndMakesTheChannelWithoutBecomingASubreaper() throws Exception
    {
        FakeOs os = new FakeOs(1, 0);
        ContainerHolder holder = ContainerHolder.forFirstProcess(os, ContainerHolder.Mode.AUTO, firstGeneration(os));
        assertNotNull(holder);
        assertEquals(1, os.socketPairs().size());
        assertEquals(os.socketPairs().get(0)[1], holder.passOnFd(), "the generations get the other end of the channel");
    }

    @Test
    void anotherPidHoldsOnlyWhenAskedTo() throws Exception
    {
        FakeOs os = new FakeOs(4321, 1);
        assertNull(ContainerHolder.forFirstProcess(os, ContainerHolder.Mode.AUTO, firstGeneration(os)), "not PID 1: auto does not hold");
        assertEquals(0, os.socketPairs().size());
        assertNotNull(ContainerHolder.forFirstProcess(os, ContainerHolder.Mode.ALWAYS, firstGeneration(os)), "always: the child of tini holds");
        FakeOs pid1 = new FakeOs(1, 0);
        assertNull(ContainerHolder.forFirstProcess(pid1, ContainerHolder.Mode.NEVER, firstGeneration(pid1)), "never: not even PID 1");
        assertNull(ContainerHolder.forFirstProcess(null, ContainerHolder.Mode.ALWAYS, InheritedSockets.load(Map.of(), null)), "unsupported platform");
    }

    @Test
    void theSmallJvmsClassPathHasTheLibraryAndJnrAsPlainFiles() throws Exception
    {
        String classPath = ContainerHolder.holderClassPath();
        assertNotNull(classPath, "this test JVM loads them from plain jars and directories");
        for (Class<?> needed : java.util.List.of(HolderMain.class, jnr.ffi.LibraryLoader.class, com.kenai.jffi.Library.class))
        {
            String location = java.nio.file.Path.of(needed.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            assertTrue(java.util.List.of(classPath.split(java.io.File.pathSeparator)).contains(location) ||
                    java.util.List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).contains(location),
                needed.getSimpleName() + " at " + location + " is on " + classPath);
        }
    }

    @Test
    void theHolderFollowsTheChannelAndExitsWithTheServingGenerationsStatus()
    {
        FakeOs os = new FakeOs(1, 0);
        os.unixPeer(9, 1);
        HolderLoop loop = new HolderLoop(os, 9, 1, false);
        loop.serving(40);
        os.feed(9, "SERVING 41\nSERV");
        os.feed(9, "ING 42\nENDED 41 143 0\n");
        loop.readChannel(100);
        loop.readChannel(100);
        assertEquals(42, loop.servingPid(), "the last SERVING line wins, a line split across reads included");
        assertNull(loop.servingExit(), "an ENDED line for a process that no longer serves changes nothing");
        os.feed(9, "nonsense\nENDED 42 -1 9\n");
        loop.readChannel(100);
        assertEquals(new ExitStatus(-1, 9), loop.servingExit());
        assertEquals(137, loop.run(0), "killed by SIGKILL: 128 + 9, as a shell reports it");
    }

    @Test
    void aStoppedServingGenerationGivesTheJvmsStatusAfterSigterm()
    {
        FakeOs os = new FakeOs(1, 0);
        HolderLoop loop = new HolderLoop(os, -1, 1, false);
        loop.serving(42);
        loop.ended(42, new ExitStatus(143, 0));
        assertEquals(143, loop.run(0));
    }

    @Test
    void aReplacementWritesServingAndEndedOnTheChannelItInherited() throws Exception
    {
        FakeOs os = new FakeOs(200, 100);
        os.listening(3, "127.0.0.1", 8080).unixPeer(4, 100).unixPeer(5, 1);
        Map<String, String> env = handoffEnvironment();
        env.put(HandoffProtocol.HOLDER_FD, "5");
        InheritedSockets registry = InheritedSockets.load(env, os);

        HolderLink link = HolderLink.inherited(os, registry, env);
        assertNotNull(link);
        assertEquals(5, link.passOnFd(), "passed on to the next generation as it came");
        assertTrue(os.closeOnExecFds().contains(5), "no program the application starts inherits it");
        link.serving(200);
        link.ended(300, new ExitStatus(143, 0));
        assertEquals("SERVING 200\nENDED 300 143 0\n", os.written(5));
    }

    @Test
    void aHolderVariableThatDoesNotFitIsIgnored() throws Exception
    {
        FakeOs os = new FakeOs(200, 100);
        os.listening(3, "127.0.0.1", 8080).unixPeer(4, 100).file(5, "/etc/hostname").unixPeer(6, 1);
        Map<String, String> env = handoffEnvironment();
        InheritedSockets registry = InheritedSockets.load(env, os);
        env.put(HandoffProtocol.HOLDER_FD, "6");
        assertNull(HolderLink.inherited(os, registry, env), "not at 3+n+1");
        env.put(HandoffProtocol.HOLDER_FD, "5");
        assertNull(HolderLink.inherited(os, registry, env), "not a Unix socket");
        env.put(HandoffProtocol.HOLDER_FD, "x");
        assertNull(HolderLink.inherited(os, registry, env), "not a number");
        assertNull(HolderLink.inherited(os, InheritedSockets.load(Map.of(HandoffProtocol.HOLDER_FD, "5"), os), Map.of(HandoffProtocol.HOLDER_FD, "5")),
            "not a handoff: a stale variable");
    }

    private static Map<String, String> handoffEnvironment()
    {
        Map<String, String> env = new HashMap<>();
        env.put(HandoffProtocol.LISTEN_FDS, "1");
        env.put(HandoffProtocol.CONTROL_FD, "4");
        env.put(HandoffProtocol.PARENT_PID, "100");
        env.put(HandoffProtocol.GENERATION, "2");
        return env;
    }
}
