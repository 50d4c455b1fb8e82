package io.jettygraceful.dropwizard;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jetty.ConnectorFactory;
import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ProxyConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code type: inherited-http} and {@code inherited-https} as Dropwizard finds them (META-INF/services, Jackson type
 * names) and builds them: an InheritedServerConnector with every setting of http/https applied. Nothing is started.
 */
class InheritedConnectorFactoryTest
{
    private final ObjectMapper yaml = Jackson.newObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    private Connector build(String config) throws Exception
    {
        ConnectorFactory factory = yaml.readValue(config, ConnectorFactory.class);
        return factory.build(new Server(), new MetricRegistry(), "application", null);
    }

    @Test
    void inheritedHttpAppliesEverySettingOfHttp() throws Exception
    {
        Connector built = build("""
            type: inherited-http
            bindHost: 127.0.0.1
            port: 9123
            acceptorThreads: 1
            selectorThreads: 2
            acceptQueueSize: 77
            reuseAddress: false
            idleTimeout: 12s
            useProxyProtocol: true
            maxRequestHeaderSize: 16KiB
            socketName: application
            inheritRequired: true
            """);
        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, built);
        assertEquals("127.0.0.1", connector.getHost());
        assertEquals(9123, connector.getPort());
        assertEquals(1, connector.getAcceptors());
        assertEquals(2, connector.getSelectorManager().getSelectorCount());
        assertEquals(77, connector.getAcceptQueueSize());
        assertFalse(connector.getReuseAddress());
        assertEquals(12_000, connector.getIdleTimeout());
        assertEquals("application", connector.getName());
        assertEquals("application", connector.getSocketName());
        assertTrue(connector.isInheritRequired());
        assertNotNull(connector.getConnectionFactory(ProxyConnectionFactory.class), "useProxyProtocol puts the PROXY protocol first");
        HttpConnectionFactory http = connector.getContainedBeans(HttpConnectionFactory.class).iterator().next();
        assertEquals(16 * 1024, http.getHttpConfiguration().getRequestHeaderSize());
    }

    @Test
    void inheritedHttpsPutsTlsInFront() throws Exception
    {
        Path keystore = dir.resolve("empty.p12");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (var out = Files.newOutputStream(keystore))
        {
            store.store(out, "secret".toCharArray());
        }
        Connector built = build("""
            type: inherited-https
            port: 9443
            keyStorePath: %s
            keyStorePassword: secret
            keyStoreType: PKCS12
            validateCerts: false
            """.formatted(keystore));
        InheritedServerConnector connector = assertInstanceOf(InheritedServerConnector.class, built);
        assertEquals(9443, connector.getPort());
        assertFalse(connector.getContainedBeans(SslConnectionFactory.class).isEmpty(), "TLS in front (wrapped by Dropwizard's metrics)");
        assertEquals(null, connector.getSocketName());
        assertFalse(connector.isInheritRequired());
    }

    @Test
    void inheritChannelIsRefusedWithTheFix()
    {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> build("""
            type: inherited-http
            port: 9124
            inheritChannel: true
            """));
        assertTrue(x.getMessage().contains("inheritChannel: true cannot be combined with type inherited-http") && x.getMessage().contains("Fix: remove inheritChannel"),
            x.getMessage());
    }
}
