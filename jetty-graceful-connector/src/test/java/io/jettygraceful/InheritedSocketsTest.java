package io.jettygraceful;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import io.jettygraceful.InheritedSockets.Source;
import io.jettygraceful.internal.inherit.SocketFile;
import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.os.FdDescription.SocketInfo;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InheritedSocketsTest
{
    private static final int PID = 4242;
    private static final int PARENT = 4000;

    private final FakeOs os = new FakeOs(PID, PARENT);

    private static Map<String, String> env(String... keysAndValues)
    {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/bin:/bin");
        for (int i = 0; i < keysAndValues.length; i += 2)
            env.put(keysAndValues[i], keysAndValues[i + 1]);
        return env;
    }

    private static Map<String, String> systemd(String count, String... more)
    {
        Map<String, String> env = env(more);
        env.put("LISTEN_PID", String.valueOf(PID));
        if (count != null)
            env.put("LISTEN_FDS", count);
        return env;
    }

    private static Map<String, String> handoff(String parent, String controlFd, String generation, String... more)
    {
        Map<String, String> env = env(more);
        if (parent != null)
            env.put(HandoffProtocol.PARENT_PID, parent);
        if (controlFd != null)
            env.put(HandoffProtocol.CONTROL_FD, controlFd);
        if (generation != null)
            env.put(HandoffProtocol.GENERATION, generation);
        return env;
    }

    private InheritedSocketException fails(Map<String, String> env)
    {
        return assertThrows(InheritedSocketException.class, () -> InheritedSockets.load(env, os));
    }

    private static void assertContains(String message, String... parts)
    {
        for (String part : parts)
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
    }

    private void assertNone(InheritedSockets registry)
    {
        assertEquals(Source.NONE, registry.source());
        assertEquals(List.of(), registry.sockets());
        assertEquals(1, registry.generation());
        assertEquals(0, registry.parentPid());
        assertEquals(-1, registry.controlFd());
        assertEquals(Optional.empty(), registry.claim(null));
    }

    private void assertNothingTouched()
    {
        for (int fd = 0; fd < 10; fd++)
            assertEquals(0, os.describeCount(fd), "fd " + fd + " was described");
        assertEquals(List.of(), os.closeOnExecCalls());
    }

    // ---- no variables, variables for another process ------------------------------------------------------------

    @Test
    void noVariablesMeansNothingInheritedGenerationOne() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080);
        InheritedSockets registry = InheritedSockets.load(env(), os);
        assertNone(registry);
        assertNull(registry.ignoredReason());
        assertNothingTouched();
    }

    @Test
    void listenFdsWithoutListenPidIsIgnoredWithoutTouchingFds() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080);
        InheritedSockets registry = InheritedSockets.load(env("LISTEN_FDS", "1"), os);
        assertNone(registry);
        assertNotNull(registry.ignoredReason());
        assertContains(registry.ignoredReason(), "LISTEN_PID");
        assertNothingTouched();
    }

    @Test
    void listenPidOfAnotherProcessIsIgnoredWithoutTouchingFds() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080);
        InheritedSockets registry = InheritedSockets.load(env("LISTEN_PID", "1234", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "http"), os);
        assertNone(registry);
        assertNotNull(registry.ignoredReason());
        assertContains(registry.ignoredReason(), "LISTEN_PID=1234", String.valueOf(PID));
        assertNothingTouched();
    }

    @Test
    void withoutNativeSupportVariablesAreIgnored() throws Exception
    {
        InheritedSockets registry = InheritedSockets.load(systemd("1"), null);
        assertNone(registry);
        assertNotNull(registry.ignoredReason());
    }

    // ---- LISTEN_FDS / LISTEN_FDNAMES aimed at this process --------------------------------------------------------

    @Test
    void listenPidWithoutListenFdsFails()
    {
        os.listening(3, "127.0.0.1", 8080);
        InheritedSocketException x = fails(systemd(null));
        assertContains(x.getMessage(), "LISTEN_FDS is not set", "LISTEN_PID");
        assertNothingTouched();
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0", "-1", " 2x", "", "1.5", "99999999999"})
    void listenFdsThatIsNotAPositiveNumberFails(String value)
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSocketException x = fails(systemd(value));
        assertContains(x.getMessage(), "LISTEN_FDS=" + value + " ", "not a positive number");
        assertNothingTouched();
    }

    @Test
    void listenFdsAboveTheLimitFailsBeforeLookingAtAnyFd()
    {
        os.listening(3, "127.0.0.1", 8080);
        InheritedSocketException x = fails(systemd("99999"));
        assertContains(x.getMessage(), "LISTEN_FDS=99999", String.valueOf(InheritedSockets.MAX_FDS));
        assertNothingTouched();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "http:admin:extra", "::"})
    void listenFdNamesWithTheWrongCountFails(String names)
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSocketException x = fails(systemd("2", "LISTEN_FDNAMES", names));
        int given = names.split(":", -1).length;
        assertContains(x.getMessage(), "LISTEN_FDNAMES='" + names + "'", given + " name(s)", "LISTEN_FDS=2");
        assertNothingTouched();
    }

    @Test
    void listenFdNameWithAControlCharacterFails()
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSocketException x = fails(systemd("2", "LISTEN_FDNAMES", "http:ad\u001bmin"));
        assertContains(x.getMessage(), "LISTEN_FDNAMES name 2", "'ad\\x1bmin'", "control character");
        assertFalse(x.getMessage().contains("\u001b"), "the message must not carry the raw control character");
        assertNothingTouched();
    }

    @Test
    void listenFdNamesAreAssignedInOrder() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSockets registry = InheritedSockets.load(systemd("2", "LISTEN_FDNAMES", "http:admin"), os);
        assertEquals(Source.SYSTEMD, registry.source());
        assertEquals(List.of("http", "admin"), registry.sockets().stream().map(InheritedSocket::name).toList());
        assertEquals(List.of(3, 4), registry.sockets().stream().map(InheritedSocket::fd).toList());
        assertEquals(List.of(0, 1), registry.sockets().stream().map(InheritedSocket::index).toList());
    }

    @Test
    void emptyListenFdNameMeansNoName() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSockets registry = InheritedSockets.load(systemd("2", "LISTEN_FDNAMES", ":admin"), os);
        assertNull(registry.sockets().get(0).name());
        assertEquals("admin", registry.sockets().get(1).name());
    }

    @Test
    void withoutListenFdNamesNoSocketHasAName() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081);
        InheritedSockets registry = InheritedSockets.load(systemd("2"), os);
        assertNull(registry.sockets().get(0).name());
        assertNull(registry.sockets().get(1).name());
        assertEquals(Optional.empty(), registry.claim("http"));
    }

    // ---- validation of every fd ---------------------------------------------------------------------------------

    static Stream<Arguments> badFds()
    {
        Map<String, BadFd> kinds = Map.ofEntries(
            Map.entry("closed", new BadFd(os -> { }, "is not open")),
            Map.entry("regular file", new BadFd(os -> os.file(0, "/var/log/app.log"), "a file or device (/var/log/app.log), not a socket")),
            Map.entry("pipe", new BadFd(os -> os.pipe(0), "a pipe (pipe:[")),
            Map.entry("/dev/null", new BadFd(os -> os.devNull(0), "a file or device (/dev/null), not a socket")),
            Map.entry("UDP socket", new BadFd(os -> os.udp(0, "127.0.0.1", 53), "IPv4 datagram (UDP) socket on 127.0.0.1:53, not a stream socket")),
            Map.entry("non-listening TCP", new BadFd(os -> os.tcp(0, "127.0.0.1", 8080), "IPv4 stream (TCP) socket on 127.0.0.1:8080 that is not listening")),
            Map.entry("unnamed Unix listening", new BadFd(os -> os.unixListening(0), "a listening Unix-domain stream socket whose address cannot be read (an unnamed Unix socket)")),
            Map.entry("Unix pair end", new BadFd(os -> os.unixPeer(0, 77), "a Unix-domain stream socket that is not listening")),
            Map.entry("Unix datagram", new BadFd(os -> os.socket(0, SocketInfo.AF_UNIX, SocketInfo.SOCK_DGRAM, false, null, 0), "a Unix-domain datagram socket, not a stream socket")),
            Map.entry("netlink", new BadFd(os -> os.socket(0, 16, 3, false, null, 0), "family 16")),
            Map.entry("unreadable address", new BadFd(os -> os.socket(0, SocketInfo.AF_INET, SocketInfo.SOCK_STREAM, true, null, 0), "address cannot be read")));
        return Stream.of(3, 4).flatMap(fd -> kinds.entrySet().stream().map(e -> Arguments.of(fd, e.getKey(), e.getValue())));
    }

    /** Declares one bad fd; the test moves it from fd 0 to the fd under test. */
    record BadFd(Consumer<FakeOs> declare, String expected)
    {
        @Override
        public String toString()
        {
            return expected;
        }
    }

    @ParameterizedTest(name = "fd {0}: {1}")
    @MethodSource("badFds")
    void aBadFdFailsNamingItAndNothingIsMarked(int fd, String kind, BadFd bad) throws Exception
    {
        int good = fd == 3 ? 4 : 3;
        os.listening(good, "127.0.0.1", 8080);
        bad.declare().accept(os);
        if (os.isOpen(0))
        {
            os.duplicateOnto(0, fd);
            os.close(0);
        }
        InheritedSocketException x = fails(systemd("2", "LISTEN_FDNAMES", "web:api"));
        String name = fd == 3 ? "web" : "api";
        assertContains(x.getMessage(), "fd " + fd + " ('" + name + "'), inherited socket " + (fd - 2) + " of LISTEN_FDS=2", bad.expected(), "fds 3 to 4");
        assertEquals(List.of(), os.closeOnExecCalls(), "no fd may be marked close-on-exec when one is bad");
        assertEquals(Set.of(), os.closeOnExecFds());
    }

    @Test
    void validIpv4AndIpv6AreAdoptedAndMarkedCloseOnExec() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "::1", 8443);
        InheritedSockets registry = InheritedSockets.load(systemd("2", "LISTEN_FDNAMES", "http:https"), os);
        assertEquals(Source.SYSTEMD, registry.source());
        assertNull(registry.ignoredReason());
        assertEquals(1, registry.generation());
        assertEquals(0, registry.parentPid());
        assertEquals(-1, registry.controlFd());
        assertEquals(List.of(
                new InheritedSocket(3, 0, "http", false, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080)),
                new InheritedSocket(4, 1, "https", true, new InetSocketAddress(InetAddress.getByName("::1"), 8443))),
            registry.sockets());
        assertEquals(Set.of(3, 4), os.closeOnExecFds());
        assertEquals("fd 4 'https' [::1]:8443", registry.sockets().get(1).describe());
        assertEquals(0, os.describeCount(5), "only LISTEN_FDS fds are looked at");
    }

    @Test
    void aUnixDomainListenerIsAdoptedAndNeverCalledTcp() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).unixListening(4, "/run/app.sock").unixListening(5, "@abstract");
        InheritedSockets registry = InheritedSockets.load(systemd("3", "LISTEN_FDNAMES", "http:app:abs"), os);
        assertEquals(new InheritedSocket(4, 1, "app", false, null, "/run/app.sock"), registry.sockets().get(1));
        assertEquals("fd 4 'app' unix:/run/app.sock", registry.sockets().get(1).describe());
        assertEquals("fd 5 'abs' unix:@abstract", registry.sockets().get(2).describe());
        assertEquals(Set.of(3, 4, 5), os.closeOnExecFds());
        assertEquals("a listening Unix-domain stream socket on /run/app.sock", os.describe(4).describe(), "no TCP in a Unix socket's description");
    }

    @Test
    void claimsTakeOnlyTheirKind() throws Exception
    {
        os.unixListening(3, "/run/app.sock").listening(4, "127.0.0.1", 8080).unixListening(5, "/run/admin.sock");
        InheritedSockets registry = InheritedSockets.load(systemd("3", "LISTEN_FDNAMES", "app:http:admin"), os);
        assertEquals(4, registry.claim(null).orElseThrow().fd(), "a TCP claim skips the Unix socket before it");
        assertEquals(Optional.empty(), registry.claim("app"), "a TCP claim never takes a Unix socket, even by name");
        assertEquals(5, registry.claim("admin", true).orElseThrow().fd());
        assertEquals(3, registry.claim(null, true).orElseThrow().fd());
        assertEquals(Optional.empty(), registry.claim(null, true));
    }

    @Test
    void socketFilesComeOnlyWithAHandoff() throws Exception
    {
        os.unixListening(3, "/run/app.sock").listening(4, "127.0.0.1", 8080);
        InheritedSockets systemd = InheritedSockets.load(systemd("2", HandoffProtocol.SOCKET_FILES, "2049,77:"), os);
        assertNull(systemd.ownedSocketFile(systemd.sockets().get(0)), "a socket systemd made is systemd's to remove");
    }

    // ---- claim ----------------------------------------------------------------------------------------------

    @Test
    void claimByNameByOrderOnceEach() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081).listening(5, "127.0.0.1", 8082).listening(6, "127.0.0.1", 8083);
        InheritedSockets registry = InheritedSockets.load(systemd("4", "LISTEN_FDNAMES", "http:admin:http:"), os);

        assertEquals(4, registry.claim("admin").orElseThrow().fd());
        assertEquals(List.of(3, 5, 6), registry.unclaimed().stream().map(InheritedSocket::fd).toList());
        assertEquals(Optional.empty(), registry.claim("admin"), "no socket is claimed twice");
        assertEquals(Optional.empty(), registry.claim("metrics"), "a name not inherited");

        assertEquals(3, registry.claim(null).orElseThrow().fd(), "unnamed claim takes the first unclaimed in fd order");
        assertEquals(5, registry.claim("http").orElseThrow().fd(), "named claim skips claimed sockets of that name");
        assertEquals(Optional.empty(), registry.claim("http"));
        assertEquals(List.of(6), registry.unclaimed().stream().map(InheritedSocket::fd).toList());

        assertEquals(6, registry.claim(null).orElseThrow().fd());
        assertEquals(Optional.empty(), registry.claim(null));
        assertEquals(List.of(), registry.unclaimed());
        assertEquals(4, registry.sockets().size(), "claiming does not remove sockets from the registry");
    }

    // ---- handoff ----------------------------------------------------------------------------------------------

    @Test
    void validHandoffIsAdopted() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "::", 8443).unixPeer(5, PARENT);
        InheritedSockets registry = InheritedSockets.load(handoff(String.valueOf(PARENT), "5", "3", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "http:https"), os);
        assertEquals(Source.HANDOFF, registry.source());
        assertNull(registry.ignoredReason());
        assertEquals(3, registry.generation());
        assertEquals(PARENT, registry.parentPid());
        assertEquals(5, registry.controlFd());
        assertEquals(List.of("http", "https"), registry.sockets().stream().map(InheritedSocket::name).toList());
        assertTrue(registry.sockets().get(1).ipv6());
        assertEquals(Set.of(3, 4, 5), os.closeOnExecFds(), "listeners and control fd are marked close-on-exec");
    }

    @Test
    void aHandoffPassesTheSocketFilesTheServiceOwns() throws Exception
    {
        os.unixListening(3, "/run/app.sock").listening(4, "127.0.0.1", 8080).unixPeer(5, PARENT);
        InheritedSockets registry = InheritedSockets.load(handoff(String.valueOf(PARENT), "5", "2", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "app:http",
            HandoffProtocol.SOCKET_FILES, "2049,77:"), os);
        assertEquals("2049,77", registry.ownedSocketFile(registry.sockets().get(0)));
        assertNull(registry.ownedSocketFile(registry.sockets().get(1)));
        assertEquals(new SocketFile.Identity(2049, 77), SocketFile.Identity.parse("2049,77"));
    }

    @Test
    void aMalformedSocketFilesListOnlyLosesTheCleanUp() throws Exception
    {
        os.unixListening(3, "/run/app.sock").unixPeer(4, PARENT);
        InheritedSockets registry = InheritedSockets.load(handoff(String.valueOf(PARENT), "4", "2", "LISTEN_FDS", "1", HandoffProtocol.SOCKET_FILES, "1,2:3,4"), os);
        assertNull(registry.ownedSocketFile(registry.sockets().get(0)));
        assertNull(SocketFile.Identity.parse("x,2"));
    }

    static Stream<Arguments> staleHandoffs()
    {
        String parent = String.valueOf(PARENT);
        return Stream.of(
            Arguments.of("control fd closed", (Consumer<FakeOs>)os -> { }, parent, "4"),
            Arguments.of("control fd is a TCP listener", (Consumer<FakeOs>)os -> os.listening(4, "127.0.0.1", 9000), parent, "4"),
            Arguments.of("control fd is a pipe", (Consumer<FakeOs>)os -> os.pipe(4), parent, "4"),
            Arguments.of("control fd is a Unix listener", (Consumer<FakeOs>)os -> os.unixListening(4), parent, "4"),
            Arguments.of("peer pid differs", (Consumer<FakeOs>)os -> os.unixPeer(4, 31337), parent, "4"),
            Arguments.of("control fd below 3", (Consumer<FakeOs>)os -> os.unixPeer(2, PARENT), parent, "2"),
            Arguments.of("control fd not a number", (Consumer<FakeOs>)os -> os.unixPeer(4, PARENT), parent, "four"),
            Arguments.of("parent pid not a number", (Consumer<FakeOs>)os -> os.unixPeer(4, PARENT), "x" + parent, "4"),
            Arguments.of("parent pid missing", (Consumer<FakeOs>)os -> os.unixPeer(4, PARENT), null, "4"),
            Arguments.of("parent pid zero matches an unconnected peer", (Consumer<FakeOs>)os -> os.unixPeer(4, 0), "0", "4"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("staleHandoffs")
    void staleHandoffVariablesAreIgnoredWithoutException(String why, Consumer<FakeOs> control, String parent, String controlFd) throws Exception
    {
        os.listening(3, "127.0.0.1", 8080);
        control.accept(os);
        InheritedSockets registry = InheritedSockets.load(handoff(parent, controlFd, "2", "LISTEN_FDS", "1"), os);
        assertNone(registry);
        assertNotNull(registry.ignoredReason());
        assertContains(registry.ignoredReason(), "JETTY_GRACEFUL_", "ignored");
        assertEquals(0, os.describeCount(3), "the listener at fd 3 must not be looked at");
        assertEquals(List.of(), os.closeOnExecCalls());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "0", "two", "-5"})
    void validLinkWithBadGenerationFails(String generation)
    {
        os.listening(3, "127.0.0.1", 8080).unixPeer(4, PARENT);
        InheritedSocketException x = fails(handoff(String.valueOf(PARENT), "4", generation, "LISTEN_FDS", "1"));
        assertContains(x.getMessage(), HandoffProtocol.GENERATION + "=" + generation + " ", "2 or more");
        assertEquals(List.of(), os.closeOnExecCalls());
    }

    @Test
    void validLinkWithoutGenerationFails()
    {
        os.listening(3, "127.0.0.1", 8080).unixPeer(4, PARENT);
        InheritedSocketException x = fails(handoff(String.valueOf(PARENT), "4", null, "LISTEN_FDS", "1"));
        assertContains(x.getMessage(), HandoffProtocol.GENERATION + "=null", "2 or more");
    }

    @Test
    void validLinkWithControlFdNotRightAfterTheListenersFails()
    {
        os.listening(3, "127.0.0.1", 8080).listening(4, "127.0.0.1", 8081).unixPeer(6, PARENT);
        InheritedSocketException x = fails(handoff(String.valueOf(PARENT), "6", "2", "LISTEN_FDS", "2"));
        assertContains(x.getMessage(), HandoffProtocol.CONTROL_FD + "=6", "2 listening fd(s)", "at fd 5");
        assertFalse(os.closeOnExecFds().contains(6), "the control fd is not adopted");
    }

    @Test
    void validLinkWithoutListenFdsFails()
    {
        os.unixPeer(3, PARENT);
        InheritedSocketException x = fails(handoff(String.valueOf(PARENT), "3", "2"));
        assertContains(x.getMessage(), "LISTEN_FDS is not set");
    }

    @Test
    void validLinkWithABadListenerFails()
    {
        os.pipe(3).unixPeer(4, PARENT);
        InheritedSocketException x = fails(handoff(String.valueOf(PARENT), "4", "2", "LISTEN_FDS", "1"));
        assertContains(x.getMessage(), "fd 3", "a pipe", "not a socket");
        assertEquals(List.of(), os.closeOnExecCalls());
    }

    @Test
    void listenPidForThisProcessWinsOverHandoffVariables() throws Exception
    {
        os.listening(3, "127.0.0.1", 8080).unixPeer(4, PARENT);
        Map<String, String> env = handoff(String.valueOf(PARENT), "4", "7", "LISTEN_FDS", "1", "LISTEN_PID", String.valueOf(PID));
        InheritedSockets registry = InheritedSockets.load(env, os);
        assertEquals(Source.SYSTEMD, registry.source());
        assertEquals(1, registry.generation());
        assertEquals(0, registry.parentPid());
        assertEquals(-1, registry.controlFd());
        assertEquals(List.of(3), registry.sockets().stream().map(InheritedSocket::fd).toList());
        assertEquals(Set.of(3), os.closeOnExecFds(), "the would-be control fd is not adopted");
        assertEquals(0, os.describeCount(4));
    }

    @Test
    void aFileTheJvmOpenedItselfAtFd3AsksWhetherAnythingWasPassed()
    {
        os.file(3, System.getProperty("java.home") + "/lib/modules");
        InheritedSocketException error = assertThrows(InheritedSocketException.class, () -> InheritedSockets.load(systemd("1"), os));
        assertTrue(error.getMessage().contains("a file this JVM opened itself: was anything passed at fd 3 at all?"), error.getMessage());
        os.file(3, "/var/log/app.log");
        error = assertThrows(InheritedSocketException.class, () -> InheritedSockets.load(systemd("1"), os));
        assertFalse(error.getMessage().contains("opened itself"), error.getMessage());
    }
}
