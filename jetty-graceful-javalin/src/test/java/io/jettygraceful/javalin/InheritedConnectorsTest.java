package io.jettygraceful.javalin;

import java.util.List;

import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connectors as Javalin and its SSL plugin build them (javalin-ssl's ConnectorFactory: an insecure one with HTTP/1.1
 * and h2c, a secure one with TLS, ALPN, HTTP/2 and HTTP/1.1 sharing one HttpConfiguration) are replaced by inherited ones
 * that carry the very same connection factories, in order, and every setting.
 */
class InheritedConnectorsTest
{
    @Test
    void theSslPluginsConnectorsKeepTlsAlpnHttp2AndEverySetting()
    {
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.setSecurePort(8443);
        ServerConnector insecure = new ServerConnector(server, new HttpConnectionFactory(http), new HTTP2CServerConnectionFactory(http));
        insecure.setHost("127.0.0.1");
        insecure.setPort(8080);
        http.addCustomizer(new SecureRequestCustomizer(false));
        HttpConnectionFactory http11 = new HttpConnectionFactory(http);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(http11.getProtocol());
        SslConnectionFactory tls = new SslConnectionFactory(new SslContextFactory.Server(), alpn.getProtocol());
        ServerConnector secure = new ServerConnector(server, 2, 3, tls, alpn, h2, http11);
        secure.setHost("::1");
        secure.setPort(8443);
        secure.setIdleTimeout(12_345);
        secure.setAcceptQueueSize(321);
        secure.setReuseAddress(false);
        secure.setAcceptedTcpNoDelay(false);
        secure.setAcceptedReceiveBufferSize(65_536);
        secure.setAcceptedSendBufferSize(32_768);
        secure.setName("secure");
        server.setConnectors(new Connector[]{insecure, secure});

        List<InheritedServerConnector> replaced = InheritedConnectors.replace(server, true);

        assertEquals(2, replaced.size());
        assertEquals(List.of(replaced.get(0), replaced.get(1)), List.of(server.getConnectors()));
        InheritedServerConnector first = replaced.get(0);
        assertEquals(List.copyOf(insecure.getConnectionFactories()), List.copyOf(first.getConnectionFactories()));
        assertEquals("127.0.0.1", first.getHost());
        assertEquals(8080, first.getPort());
        assertTrue(first.isInheritRequired());
        InheritedServerConnector second = replaced.get(1);
        List<ConnectionFactory> factories = List.copyOf(second.getConnectionFactories());
        assertEquals(List.of(tls, alpn, h2, http11), factories, "the same TLS, ALPN, HTTP/2 and HTTP/1.1 factories, in order");
        assertSame(tls, second.getDefaultConnectionFactory());
        assertEquals("::1", second.getHost());
        assertEquals(8443, second.getPort());
        assertEquals(2, second.getAcceptors());
        assertEquals(3, second.getSelectorManager().getSelectorCount());
        assertEquals(12_345, second.getIdleTimeout());
        assertEquals(321, second.getAcceptQueueSize());
        assertEquals(false, second.getReuseAddress());
        assertEquals(false, second.getAcceptedTcpNoDelay());
        assertEquals(65_536, second.getAcceptedReceiveBufferSize());
        assertEquals(32_768, second.getAcceptedSendBufferSize());
        assertEquals("secure", second.getName());
        assertSame(server, second.getServer());
    }

    @Test
    void aSubclassOfServerConnectorIsLeftAlone()
    {
        Server server = new Server();
        ServerConnector custom = new ServerConnector(server)
        {
        };
        server.setConnectors(new Connector[]{custom});
        assertTrue(InheritedConnectors.replace(server, false).isEmpty());
        assertSame(custom, server.getConnectors()[0]);
        assertInstanceOf(ServerConnector.class, server.getConnectors()[0]);
    }
}
