package io.jettygraceful.spring.boot;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.web.server.Http2;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GracefulConnectors} on the Jetty server that Boot's own {@link JettyServletWebServerFactory} builds from the
 * settings behind {@code server.*}, with the replacement as the last customizer (as {@link GracefulServerCustomizerOrdering}
 * puts it): every connector becomes an {@link InheritedServerConnector} with the same factories and settings, and the
 * server serves on it.
 */
class GracefulConnectorsTest
{
    private final List<WebServer> servers = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stop()
    {
        servers.forEach(WebServer::destroy);
    }

    private JettyServletWebServerFactory factory()
    {
        JettyServletWebServerFactory factory = new JettyServletWebServerFactory();
        factory.setPort(0);
        factory.setAddress(java.net.InetAddress.getLoopbackAddress());
        return factory;
    }

    private Server build(JettyServletWebServerFactory factory)
    {
        List<List<InheritedServerConnector>> replaced = new ArrayList<>();
        factory.addServerCustomizers(server -> replaced.add(GracefulConnectors.replace(server, false)));
        JettyWebServer webServer = (JettyWebServer)factory.getWebServer();
        servers.add(webServer);
        assertEquals(1, replaced.size(), "the customizer ran once");
        webServer.start();
        Server server = webServer.getServer();
        assertEquals(java.util.Arrays.stream(server.getConnectors()).filter(InheritedServerConnector.class::isInstance).toList(), replaced.get(0),
            "the server's InheritedServerConnectors are the replaced ones, in order");
        return server;
    }

    @Test
    void bootsConnectorKeepsItsSettingsAndServes() throws Exception
    {
        JettyServletWebServerFactory factory = factory();
        factory.setAcceptors(2);
        factory.setSelectors(3);
        Connection.Listener listener = new Connection.Listener() { };
        List<ServerConnector> original = new ArrayList<>();
        factory.addServerCustomizers(server ->
        {
            // As server.jetty.connection-idle-timeout does, plus what an application's own customizer might set.
            ServerConnector connector = (ServerConnector)server.getConnectors()[0];
            connector.setIdleTimeout(12_345);
            connector.setAcceptQueueSize(77);
            connector.setReuseAddress(false);
            connector.setAcceptedTcpNoDelay(false);
            connector.setAcceptedReceiveBufferSize(65_536);
            connector.setName("main");
            connector.addEventListener(listener);
            original.add(connector);
        });

        Server server = build(factory);

        Connector[] connectors = server.getConnectors();
        assertEquals(1, connectors.length);
        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, connectors[0]);
        ServerConnector boots = original.get(0);
        assertEquals(boots.getHost(), connector.getHost());
        assertEquals(2, connector.getAcceptors());
        assertEquals(3, connector.getSelectorManager().getSelectorCount());
        assertEquals(12_345, connector.getIdleTimeout());
        assertEquals(77, connector.getAcceptQueueSize());
        assertFalse(connector.getReuseAddress());
        assertFalse(connector.getAcceptedTcpNoDelay());
        assertEquals(65_536, connector.getAcceptedReceiveBufferSize());
        assertEquals("main", connector.getName());
        assertTrue(connector.getEventListeners().contains(listener), "event listeners carried over");
        assertSame(boots.getExecutor(), connector.getExecutor());
        assertSame(boots.getScheduler(), connector.getScheduler());
        assertEquals(List.copyOf(boots.getConnectionFactories()), List.copyOf(connector.getConnectionFactories()), "the very same factories");
        assertFalse(connector.isInherited(), "nothing inherited in this JVM: it bound its port");
        assertTrue(connector.getLocalPort() > 0);
        assertEquals(404, get("http://127.0.0.1:" + connector.getLocalPort() + "/nothing-here"), "Boot's servlet context answers on it");
    }

    @Test
    void http2CleartextKeepsItsFactory() throws Exception
    {
        JettyServletWebServerFactory factory = factory();
        Http2 http2 = new Http2();
        http2.setEnabled(true);
        factory.setHttp2(http2);

        Server server = build(factory);

        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, server.getConnectors()[0]);
        assertNotNull(connector.getConnectionFactory(HttpConnectionFactory.class));
        assertNotNull(connector.getConnectionFactory(HTTP2CServerConnectionFactory.class), "h2c as server.http2.enabled made it");
        assertEquals(List.of("http/1.1", "h2c"), connector.getProtocols());
    }

    @Test
    void bootsTlsConnectorBecomesAnInheritedOneWithTheSameTls() throws Exception
    {
        Path keystore = keystore(dir.resolve("server.p12"));
        JettyServletWebServerFactory factory = factory();
        Ssl ssl = new Ssl();
        ssl.setKeyStore(keystore.toString());
        ssl.setKeyStorePassword("secret");
        ssl.setKeyStoreType("PKCS12");
        factory.setSsl(ssl);
        Http2 http2 = new Http2();
        http2.setEnabled(true);
        factory.setHttp2(http2);

        Server server = build(factory);

        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, server.getConnectors()[0]);
        List<String> protocols = connector.getProtocols();
        assertEquals("ssl", protocols.get(0), "TLS first, as Boot built it: " + protocols);
        assertTrue(protocols.contains("alpn") && protocols.contains("h2") && protocols.contains("http/1.1"), protocols.toString());
        assertNotNull(connector.getConnectionFactory(SslConnectionFactory.class));
        assertNotNull(connector.getConnectionFactory(HTTP2ServerConnectionFactory.class));
        assertTrue(connector.getLocalPort() > 0);
    }

    @Test
    void connectorsAddedByTheApplicationsCustomizersAreReplacedToo() throws Exception
    {
        JettyServletWebServerFactory factory = factory();
        factory.addServerCustomizers(server ->
        {
            ServerConnector second = new ServerConnector(server);
            second.setHost("127.0.0.1");
            second.setPort(0);
            server.addConnector(second);
        });

        Server server = build(factory);

        assertEquals(2, server.getConnectors().length);
        for (Connector connector : server.getConnectors())
        {
            InheritedServerConnector inherited = assertInstanceOf(InheritedServerConnector.class, connector);
            assertEquals(404, get("http://127.0.0.1:" + inherited.getLocalPort() + "/"));
        }
    }

    @Test
    void subclassesOfServerConnectorAreLeftAlone()
    {
        JettyServletWebServerFactory factory = factory();
        factory.addServerCustomizers(server ->
        {
            ServerConnector special = new ServerConnector(server) { };
            special.setHost("127.0.0.1");
            server.addConnector(special);
        });

        Server server = build(factory);

        assertInstanceOf(InheritedServerConnector.class, server.getConnectors()[0]);
        assertFalse(server.getConnectors()[1] instanceof InheritedServerConnector, "an override cannot be carried over");
    }

    @Test
    void maxConnectionsLimitMovesToTheNewConnectors()
    {
        JettyServletWebServerFactory factory = factory();
        factory.setMaxConnections(5);

        Server server = build(factory);

        List<NetworkConnectionLimit> limits = List.copyOf(server.getBeans(NetworkConnectionLimit.class));
        assertEquals(1, limits.size(), "one limit, the old one removed");
        assertEquals(5, limits.get(0).getMaxNetworkConnectionCount());
        InheritedServerConnector connector = (InheritedServerConnector)server.getConnectors()[0];
        assertTrue(connector.getBeans(NetworkConnectionLimit.class).contains(limits.get(0)) || connector.getEventListeners().contains(limits.get(0)),
            "the limit applies to the new connector");
    }

    @Test
    void customizerIsAddedAfterEveryOtherOne()
    {
        JettyServletWebServerFactory factory = factory();
        factory.addServerCustomizers(server -> { });
        SpringGracefulRestart restart = new SpringGracefulRestart(new JettyGracefulProperties(), null, List.of(), true, java.time.Duration.ofSeconds(30));
        GracefulServerCustomizerOrdering ordering = new GracefulServerCustomizerOrdering(new org.springframework.beans.factory.support.StaticListableBeanFactory(
            java.util.Map.of("restart", restart)).getBeanProvider(SpringGracefulRestart.class));

        ordering.postProcessAfterInitialization(factory, "factory");

        assertEquals(2, factory.getServerCustomizers().size());
        JettyWebServer webServer = (JettyWebServer)factory.getWebServer();
        servers.add(webServer);
        webServer.start();
        Server server = webServer.getServer();
        assertEquals(1, restart.getConnectors().size());
        assertSame(server.getConnectors()[0], restart.getConnectors().get(0), "the starter's customizer replaced the connector");
        assertNotNull(restart.getGracefulRestart());
        assertFalse(restart.getGracefulRestart().isStarted(), "started only once the application is ready");
    }

    private static int get(String url) throws Exception
    {
        HttpURLConnection connection = (HttpURLConnection)URI.create(url).toURL().openConnection();
        connection.setConnectTimeout(5000);
        connection.setReadTimeout(5000);
        try
        {
            return connection.getResponseCode();
        }
        finally
        {
            connection.disconnect();
        }
    }

    private static Path keystore(Path file) throws Exception
    {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", "secret", "-keypass", "secret")
            .redirectErrorStream(true).start();
        try (InputStream in = process.getInputStream())
        {
            String output = new String(in.readAllBytes());
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), output);
        }
        return file;
    }

    @SuppressWarnings("unused")
    private static List<ConnectionFactory> factories(ServerConnector connector)
    {
        return List.copyOf(connector.getConnectionFactories());
    }
}
