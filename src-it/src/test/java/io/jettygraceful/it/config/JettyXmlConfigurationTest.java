package io.jettygraceful.it.config;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedUnixDomainConnector;
import io.jettygraceful.WarmUpReadinessCheck;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.xml.XmlConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped etc/jetty-graceful-http.xml and etc/jetty-graceful-restart.xml, applied with Jetty's own
 * {@link XmlConfiguration} after a stand-in for jetty-home's etc/jetty.xml, in this JVM: every property reaches its
 * setter, the defaults are the documented ones, and the resulting server serves.
 */
class JettyXmlConfigurationTest
{
    @TempDir
    Path tmp;

    /** Applies the server stand-in, then the two graceful files, sharing ids as start.jar does. */
    private static Map<String, Object> configure(Map<String, String> properties) throws Exception
    {
        return configure(properties, List.of());
    }

    /** As {@link #configure(Map)}, with jetty-home XML files of modules that depend on http after graceful-http's. */
    private static Map<String, Object> configure(Map<String, String> properties, List<String> jettyHomeXmls) throws Exception
    {
        Path etc = ConfigTesting.configDir().resolve("etc");
        List<Path> xmls = new java.util.ArrayList<>(List.of(ConfigTesting.testServerXml(), etc.resolve("jetty-graceful-http.xml")));
        for (String xml : jettyHomeXmls)
            xmls.add(ConfigTesting.jettyHomeEtc().resolve(xml));
        xmls.add(etc.resolve("jetty-graceful-restart.xml"));
        return apply(properties, xmls);
    }

    /** Applies the server stand-in, then the named graceful files of etc/, sharing ids as start.jar does. */
    private static Map<String, Object> configure(Map<String, String> properties, String... gracefulXmls) throws Exception
    {
        Path etc = ConfigTesting.configDir().resolve("etc");
        List<Path> xmls = new java.util.ArrayList<>(List.of(ConfigTesting.testServerXml()));
        for (String xml : gracefulXmls)
            xmls.add(etc.resolve(xml));
        return apply(properties, xmls);
    }

    private static Map<String, Object> apply(Map<String, String> properties, List<Path> xmls) throws Exception
    {
        Map<String, Object> ids = new HashMap<>();
        Object last = null;
        try (ResourceFactory.Closeable resources = ResourceFactory.closeable())
        {
            for (Path xml : xmls)
            {
                XmlConfiguration configuration = new XmlConfiguration(resources.newResource(xml));
                configuration.getIdMap().putAll(ids);
                configuration.getProperties().putAll(properties);
                last = configuration.configure();
                ids.putAll(configuration.getIdMap());
            }
        }
        assertSame(ids.get("Server"), last);
        return ids;
    }

    private static InheritedServerConnector connector(Server server)
    {
        Connector[] connectors = server.getConnectors();
        assertEquals(1, connectors.length);
        return assertInstanceOf(InheritedServerConnector.class, connectors[0]);
    }

    @Test
    void defaultsAreTheDocumentedOnes() throws Exception
    {
        Map<String, Object> ids = configure(Map.of());
        Server server = (Server)ids.get("Server");
        InheritedServerConnector connector = connector(server);
        assertEquals(8080, connector.getPort());
        assertNull(connector.getHost());
        assertEquals(30000, connector.getIdleTimeout());
        assertEquals(1, connector.getAcceptors());
        assertNull(connector.getSocketName());
        assertFalse(connector.isInheritRequired());
        assertTrue(connector.getReuseAddress());
        assertTrue(connector.getAcceptedTcpNoDelay());
        // The connector uses jetty.xml's common httpConfig, as etc/jetty-http.xml does.
        assertSame(ids.get("httpConfig"), connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration());
        assertSame(connector, ids.get("httpConnector"), "registered under the http module's id");

        // Every setting of the one configuration, with the configuration's own default (GracefulRestartSettings).
        GracefulRestartConfiguration config = server.getBean(GracefulRestart.class).getConfiguration();
        assertSame(ids.get("GracefulRestartConfiguration"), config);
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
            assertEquals(setting.defaultValue(), setting.get(config), "default of jetty.graceful.restart." + setting.name());
        assertNull(config.getWarmUp().readinessCheck(), "no warm-up while jetty.graceful.restart.warmUp.requests is unset");
        assertFalse(server.isStarted());
    }

    /** Each setting of the configuration is the property jetty.graceful.restart.NAME (durations in milliseconds). */
    @Test
    void everySettingIsAPropertyOfTheXml() throws Exception
    {
        for (GracefulRestartSettings.Setting setting : GracefulRestartSettings.all())
        {
            String value = switch (setting.kind())
            {
                case DURATION -> "1234";
                case INTEGER -> "7";
                case BOOLEAN -> String.valueOf(!(Boolean)setting.defaultValue());
                case LIST -> setting.name().equals("command") ? "/opt/app/start,--port,1" : "/a, GET /b";
                case TEXT -> switch (setting.name())
                {
                    case "signal" -> "USR1";
                    case "holder" -> "always";
                    case "warmUp.allowedStatuses" -> "2xx, 304";
                    default -> "/run/app.pid";
                };
            };
            Map<String, Object> ids = configure(Map.of("jetty.graceful.restart." + setting.name(), value));
            GracefulRestartConfiguration config = (GracefulRestartConfiguration)ids.get("GracefulRestartConfiguration");
            GracefulRestartConfiguration expected = new GracefulRestartConfiguration();
            setting.set(expected, setting.kind() == GracefulRestartSettings.Kind.DURATION ? value + "ms" : value);
            assertEquals(setting.get(expected), setting.get(config), "jetty.graceful.restart." + setting.name() + "=" + value);
            assertNotEquals(setting.defaultValue(), setting.get(config), "jetty.graceful.restart." + setting.name() + " changed nothing");
        }
    }

    /**
     * The warm-up properties reach the readiness check, which replays its requests through the configured server
     * (whose DefaultHandler answers 404: allowed here, refused when only 2xx is).
     */
    @Test
    void warmUpPropertiesReachTheReadinessCheckWhichReplaysThroughTheServer() throws Exception
    {
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.graceful.http.host", "127.0.0.1");
        properties.put("jetty.graceful.http.port", "0");
        properties.put("jetty.graceful.restart.signal", "none");
        properties.put("jetty.graceful.restart.warmUp.requests", "/a, GET /b | Accept: text/plain");
        properties.put("jetty.graceful.restart.warmUp.count", "40");
        properties.put("jetty.graceful.restart.warmUp.threads", "2");
        properties.put("jetty.graceful.restart.warmUp.duration", "20000");
        properties.put("jetty.graceful.restart.warmUp.allowedStatuses", "2xx, 404");

        Map<String, Object> ids = configure(properties);
        Server server = (Server)ids.get("Server");
        WarmUpReadinessCheck warmUp = server.getBean(GracefulRestart.class).getConfiguration().getWarmUp().readinessCheck();
        assertTrue(warmUp.isEnabled());
        assertEquals("GET /a, GET /b | Accept: text/plain", warmUp.getRequestMix());
        assertEquals(40, warmUp.getCount());
        assertEquals(2, warmUp.getThreads());
        assertEquals(20000, warmUp.getDurationMillis());
        assertEquals("2xx, 404", warmUp.getAllowedStatuses());
        server.start();
        try
        {
            warmUp.awaitReady(server);
            assertEquals(40, warmUp.getLastRequests());
            assertEquals(1, server.getConnectors().length, "the warm-up's LocalConnector is gone again");
            warmUp.setAllowedStatuses("2xx");
            IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> warmUp.awaitReady(server));
            assertTrue(refused.getMessage().matches("warm-up request \\d+ of 40 \\(GET /[ab].*\\) was answered 404.*"), refused.getMessage());
        }
        finally
        {
            server.stop();
        }
    }

    @Test
    void theHttpModulesPropertiesApplyWhenTheGracefulOnesAreUnset() throws Exception
    {
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.http.host", "127.0.0.1");
        properties.put("jetty.http.port", "9999");
        properties.put("jetty.http.idleTimeout", "4321");
        properties.put("jetty.http.acceptors", "0");
        properties.put("jetty.http.reusePort", "true");
        properties.put("jetty.http.acceptedTcpNoDelay", "false");
        properties.put("jetty.http.acceptedReceiveBufferSize", "65536");
        // ... and a graceful one wins over the http module's.
        properties.put("jetty.graceful.http.idleTimeout", "1234");
        InheritedServerConnector connector = connector((Server)configure(properties).get("Server"));
        assertEquals("127.0.0.1", connector.getHost());
        assertEquals(9999, connector.getPort());
        assertEquals(1234, connector.getIdleTimeout());
        assertEquals(0, connector.getAcceptors());
        assertTrue(connector.isReusePort());
        assertFalse(connector.getAcceptedTcpNoDelay());
        assertEquals(65536, connector.getAcceptedReceiveBufferSize());
        assertEquals(-1, connector.getAcceptedSendBufferSize());
    }

    @Test
    void modulesThatDependOnHttpConfigureTheGracefulConnector() throws Exception
    {
        // start.jar order: server, graceful-http (provides http), then http-forwarded, proxy-protocol, http2c, then graceful-restart.
        Map<String, Object> ids = configure(Map.of("jetty.http2c.maxConcurrentStreams", "77"),
            List.of("jetty-http-forwarded.xml", "jetty-proxy-protocol.xml", "jetty-http2c.xml"));
        Server server = (Server)ids.get("Server");
        InheritedServerConnector connector = connector(server);
        assertEquals(List.of("[proxy]", "http/1.1", "h2c"), connector.getProtocols().stream().map(p -> p.startsWith("proxy") ? "[proxy]" : p).toList(),
            "proxy-protocol put its factory first, http2c added h2c, on our connector");
        assertEquals(77, connector.getConnectionFactory(org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory.class).getMaxConcurrentStreams());
        org.eclipse.jetty.server.HttpConfiguration httpConfig = (org.eclipse.jetty.server.HttpConfiguration)ids.get("httpConfig");
        assertTrue(httpConfig.getCustomizers().stream().anyMatch(org.eclipse.jetty.server.ForwardedRequestCustomizer.class::isInstance),
            "http-forwarded customized the httpConfig our connector uses");
        assertSame(httpConfig, connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration());
    }

    @Test
    void propertiesReachTheBeansAndTheServerServes() throws Exception
    {
        Path pidFile = tmp.resolve("jetty.pid");
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.graceful.http.host", "127.0.0.1");
        properties.put("jetty.graceful.http.port", "0");
        properties.put("jetty.graceful.http.idleTimeout", "12345");
        properties.put("jetty.graceful.http.acceptors", "0");
        properties.put("jetty.graceful.http.socketName", "web");
        properties.put("jetty.graceful.http.inheritRequired", "false");
        properties.put("jetty.graceful.restart.signal", "none");
        properties.put("jetty.graceful.restart.readyTimeout", "7000");
        properties.put("jetty.graceful.restart.drainTimeout", "3000");
        properties.put("jetty.graceful.restart.killGrace", "1500");
        properties.put("jetty.graceful.restart.pidFile", pidFile.toString());
        properties.put("jetty.graceful.restart.systemdNotify", "false");
        properties.put("jetty.graceful.restart.systemdFdStore", "true");
        properties.put("jetty.graceful.restart.exitAfterDrain", "false");
        properties.put("jetty.graceful.restart.takeBackWindow", "750");
        properties.put("jetty.graceful.restart.drainOnStop", "false");
        properties.put("jetty.graceful.restart.holder", "always");
        properties.put("jetty.graceful.restart.webSocketCloseSpread", "1234");

        Server server = (Server)configure(properties).get("Server");
        InheritedServerConnector connector = connector(server);
        GracefulRestart restart = server.getBean(GracefulRestart.class);
        assertEquals("127.0.0.1", connector.getHost());
        assertEquals(12345, connector.getIdleTimeout());
        assertEquals(0, connector.getAcceptors());
        assertEquals("web", connector.getSocketName());
        assertEquals("none", restart.getConfiguration().getSignal());
        assertEquals(7000, restart.getConfiguration().getReadyTimeoutMillis());
        assertEquals(3000, restart.getConfiguration().getDrainTimeoutMillis());
        assertEquals(1500, restart.getConfiguration().getKillGraceMillis());
        assertEquals(pidFile.toString(), restart.getConfiguration().getPidFile());
        assertFalse(restart.getConfiguration().isSystemdNotify());
        assertTrue(restart.getConfiguration().isSystemdFdStore());
        assertFalse(restart.getConfiguration().isExitAfterDrain());
        assertEquals(750, restart.getConfiguration().getTakeBackWindowMillis());
        assertFalse(restart.getConfiguration().isDrainOnStop());
        assertEquals("always", restart.getConfiguration().getHolder());
        assertEquals(1234, restart.getConfiguration().getWebSocketCloseSpreadMillis());

        server.start();
        try
        {
            assertTrue(restart.isStarted());
            // No socket was inherited in this JVM: the connector bound host:port itself.
            assertFalse(connector.isInherited());
            int port = connector.getLocalPort();
            assertTrue(port > 0);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/nothing-here"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            // DefaultHandler answers what no context takes.
            assertEquals(404, response.statusCode());
            assertEquals(String.valueOf(ProcessHandle.current().pid()), Files.readString(pidFile).trim());
            assertEquals(1, restart.getGeneration());
        }
        finally
        {
            server.stop();
        }
    }

    @Test
    void theUnixDomainConnectorTakesItsPropertiesAndServes() throws Exception
    {
        Map<String, Object> defaults = configure(Map.of(), "jetty-graceful-unix.xml");
        InheritedUnixDomainConnector byDefault = assertInstanceOf(InheritedUnixDomainConnector.class, ((Server)defaults.get("Server")).getConnectors()[0]);
        assertEquals(Path.of("/tmp/jetty.sock"), byDefault.getUnixDomainPath());
        assertFalse(byDefault.isInheritRequired());
        assertNull(byDefault.getSocketPermissions());
        assertEquals(30000, byDefault.getIdleTimeout());
        assertSame(defaults.get("httpConfig"), byDefault.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration());

        Path socket = tmp.resolve("jetty.sock");
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.graceful.unix.path", socket.toString());
        properties.put("jetty.graceful.unix.socketName", "app");
        properties.put("jetty.graceful.unix.permissions", "rw-rw----");
        properties.put("jetty.graceful.unix.idleTimeout", "4321");
        properties.put("jetty.graceful.unix.acceptQueueSize", "64");
        properties.put("jetty.graceful.restart.signal", "none");
        properties.put("jetty.graceful.restart.exitAfterDrain", "false");
        Map<String, Object> ids = configure(properties, "jetty-graceful-unix.xml", "jetty-graceful-restart.xml");
        Server server = (Server)ids.get("Server");
        InheritedUnixDomainConnector connector = assertInstanceOf(InheritedUnixDomainConnector.class, ids.get("gracefulUnixConnector"));
        assertEquals("app", connector.getSocketName());
        assertEquals("rw-rw----", connector.getSocketPermissions());
        assertEquals(4321, connector.getIdleTimeout());
        assertEquals(64, connector.getAcceptQueueSize());
        server.start();
        try
        {
            assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"), Files.getPosixFilePermissions(socket));
            try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket)))
            {
                channel.write(java.nio.charset.StandardCharsets.US_ASCII.encode("GET /nothing-here HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(4096);
                channel.read(buffer);
                buffer.flip();
                String response = java.nio.charset.StandardCharsets.US_ASCII.decode(buffer).toString();
                assertTrue(response.startsWith("HTTP/1.1 404"), response);
            }
        }
        finally
        {
            server.stop();
        }
        assertFalse(Files.exists(socket), "a real stop removes the socket file it bound");
    }
}
