package io.jettygraceful;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.internal.inherit.SocketFile;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link InheritedUnixDomainConnector} in this JVM, which inherited nothing: it binds its path, serves HTTP on it,
 * and removes the socket file on a stop only while it serves and only if the path still names the file it bound.
 */
class InheritedUnixDomainConnectorTest
{
    @TempDir
    Path dir;
    private final List<Server> servers = new ArrayList<>();

    @BeforeAll
    static void nothingInherited() throws Exception
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

    private InheritedUnixDomainConnector connector(Path path)
    {
        Server server = new Server();
        servers.add(server);
        InheritedUnixDomainConnector connector = new InheritedUnixDomainConnector(server);
        connector.setUnixDomainPath(path);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.setStatus(200);
                Content.Sink.write(response, true, "hello " + Request.getPathInContext(request), callback);
                return true;
            }
        });
        return connector;
    }

    private InheritedUnixDomainConnector start(Path path) throws Exception
    {
        InheritedUnixDomainConnector connector = connector(path);
        connector.getServer().start();
        return connector;
    }

    /** One GET over a new connection; the whole response (the server closes after it). */
    static String get(Path socket, String target) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        {
            channel.write(StandardCharsets.US_ASCII.encode("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
            StringBuilder response = new StringBuilder();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0)
            {
                buffer.flip();
                response.append(StandardCharsets.US_ASCII.decode(buffer));
                buffer.clear();
            }
            return response.toString();
        }
    }

    @Test
    void bindsServesAndRemovesItsFileOnAStop() throws Exception
    {
        Path path = dir.resolve("app.sock");
        InheritedUnixDomainConnector connector = start(path);
        assertFalse(connector.isInherited());
        assertEquals(path, connector.getUnixDomainPath());
        String response = get(path, "/x");
        assertTrue(response.startsWith("HTTP/1.1 200") && response.endsWith("hello /x"), response);

        FdDescription description = Os.current().describe(connector.getAcceptFd());
        assertTrue(description.socket().listening(), description.describe());
        assertEquals(path.toString(), description.socket().unixPath(), "the accept fd is the socket bound on the path");
        assertEquals(SocketFile.Identity.of(path).format(), connector.getOwnedSocketFile());

        connector.getServer().stop();
        assertFalse(Files.exists(path), "a real stop removes the socket file it bound");
        assertEquals(-1, connector.getAcceptFd());
    }

    @Test
    void aProcessThatDoesNotServeLeavesTheFile() throws Exception
    {
        Path path = dir.resolve("app.sock");
        InheritedUnixDomainConnector connector = start(path);
        connector.setServing(false); // what GracefulRestart does once it handed over
        connector.getServer().stop();
        assertTrue(Files.exists(path), "a process that handed over must not unlink the path its replacement serves on");
    }

    @Test
    void aFileThatIsNoLongerTheOneBoundIsLeftAlone() throws Exception
    {
        Path path = dir.resolve("app.sock");
        InheritedUnixDomainConnector connector = start(path);
        Files.delete(path);
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            other.bind(UnixDomainSocketAddress.of(path));
            connector.getServer().stop();
            assertTrue(Files.exists(path), "another process's socket file at the same path is not ours to remove");
        }
    }

    @Test
    void aStaleSocketFileIsReplacedAndALiveOneRefused() throws Exception
    {
        Path path = dir.resolve("app.sock");
        ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        stale.bind(UnixDomainSocketAddress.of(path));
        IOException refused;
        try (stale)
        {
            refused = assertThrows(IOException.class, () -> start(path));
        }
        assertTrue(refused.getMessage().contains("another process listens on " + path) && refused.getMessage().contains("Fix:"), refused.getMessage());
        assertTrue(Files.exists(path), "closing a channel leaves its file: now a stale one");

        InheritedUnixDomainConnector connector = start(path);
        assertTrue(get(path, "/fresh").endsWith("hello /fresh"));
        assertEquals(SocketFile.Identity.of(path).format(), connector.getOwnedSocketFile());
    }

    @Test
    void aPathThatIsNotASocketIsRefused() throws Exception
    {
        Path path = Files.writeString(dir.resolve("data.txt"), "keep me");
        IOException x = assertThrows(IOException.class, () -> start(path));
        assertTrue(x.getMessage().contains(path + " exists and is not a socket"), x.getMessage());
        assertEquals("keep me", Files.readString(path));
    }

    @Test
    void permissionsAreAppliedAndBadOnesNamed() throws Exception
    {
        Path path = dir.resolve("app.sock");
        InheritedUnixDomainConnector connector = connector(path);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> connector.setSocketPermissions("rw-rw"));
        assertTrue(bad.getMessage().contains("rwxrwxrwx"), bad.getMessage());
        connector.setSocketPermissions("rw-rw----");
        connector.getServer().start();
        assertEquals(PosixFilePermissions.fromString("rw-rw----"), Files.getPosixFilePermissions(path));
    }

    @Test
    void inheritRequiredWithNothingInheritedFailsTheStart() throws Exception
    {
        InheritedUnixDomainConnector connector = connector(dir.resolve("app.sock"));
        connector.setInheritRequired(true);
        InheritedSocketException x = assertThrows(InheritedSocketException.class, () -> connector.getServer().start());
        assertTrue(x.getMessage().contains("no inherited Unix-domain socket") && x.getMessage().contains("Fix:"), x.getMessage());
    }

    @Test
    void stopAcceptingKeepsTheChannelAndResumingServesWhatWaited() throws Exception
    {
        Path path = dir.resolve("app.sock");
        InheritedUnixDomainConnector connector = start(path);
        connector.stopAccepting();
        assertTrue(connector.isAcceptSettled());
        try (SocketChannel waiting = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            // Queued in the backlog, not accepted: no endpoint appears.
            Thread.sleep(200);
            assertEquals(0, connector.getConnectedEndPoints().size(), "a connector that stopped accepting accepts nothing");
            connector.resumeAfterStopAccepting();
            waiting.write(StandardCharsets.US_ASCII.encode("GET /late HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            StringBuilder response = new StringBuilder();
            while (waiting.read(buffer) >= 0)
            {
                buffer.flip();
                response.append(StandardCharsets.US_ASCII.decode(buffer));
                buffer.clear();
            }
            assertTrue(response.toString().endsWith("hello /late"), response.toString());
        }
    }
}
