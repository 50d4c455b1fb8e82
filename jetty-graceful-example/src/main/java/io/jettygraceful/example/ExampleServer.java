package io.jettygraceful.example;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedServerConnector;
import io.jettygraceful.InheritedSocket;
import io.jettygraceful.InheritedUnixDomainConnector;
import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.jmx.MBeanContainer;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable example: an embedded Jetty serving {@code /uuid}, {@code /delayed} and {@code /status} on every socket
 * it inherited (one connector per socket, TCP or Unix-domain), or on {@code --host}/{@code --port} and/or
 * {@code --unix-socket} when it inherited none.
 *
 * <p>Exit codes: 0 after a normal stop, 2 for bad options, bad inherited sockets or a bad setting such as an
 * unwritable PID file (the message says which and how to fix it), 1 for any other start failure.</p>
 */
public final class ExampleServer
{
    private static final Logger LOG = LoggerFactory.getLogger(ExampleServer.class);

    private ExampleServer()
    {
    }

    public static void main(String[] args)
    {
        ExampleOptions options;
        try
        {
            options = ExampleOptions.parse(args);
        }
        catch (IllegalArgumentException x)
        {
            System.err.println(x.getMessage());
            System.exit(2);
            return;
        }
        try
        {
            run(options);
        }
        catch (Throwable x)
        {
            Throwable problem = findConfigurationProblem(x);
            if (problem != null)
            {
                LOG.error("Cannot start: {}", problem.getMessage());
                System.exit(2);
            }
            LOG.error("Cannot start: {}", x.toString(), x);
            System.exit(1);
        }
    }

    private static void run(ExampleOptions options) throws Exception
    {
        InheritedSockets inherited = InheritedSockets.get();
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("example");
        Server server = new Server(threads);
        server.setStopAtShutdown(true);
        // Jetty's @ManagedObject beans (GracefulRestart, the connectors) in the platform MBeanServer: jconsole, jcmd.
        server.addBean(new MBeanContainer(ManagementFactory.getPlatformMBeanServer()));

        // A TERM (or Ctrl-C) stop drains like a handoff (GracefulRestart's drainOnStop), bounded by this timeout.
        server.setStopTimeout(options.restart.getDrainTimeoutMillis());

        List<Connector> connectors = new ArrayList<>();
        for (int i = 0; i < tcpConnectorCount(inherited, options); i++)
        {
            ConnectionFactory[] factories = connectionFactories(options);
            ServerConnector connector = options.plainConnector
                ? new ServerConnector(server, options.acceptors, -1, factories)
                : new InheritedServerConnector(server, options.acceptors, -1, factories);
            connector.setHost(options.host);
            connector.setPort(options.port != null ? options.port : inherited.sockets().isEmpty() ? 8081 : 0);
            connector.setReusePort(options.reusePort);
            server.addConnector(connector);
            connectors.add(connector);
        }
        for (int i = 0; i < unixConnectorCount(inherited, options); i++)
        {
            InheritedUnixDomainConnector connector = new InheritedUnixDomainConnector(server, -1, connectionFactories(options));
            connector.setUnixDomainPath(options.unixSocket);
            server.addConnector(connector);
            connectors.add(connector);
        }

        GracefulRestart restart = new GracefulRestart(server, options.restart);
        if (options.failReadiness)
        {
            restart.setReadinessCheck(s ->
            {
                throw new IllegalStateException("--fail-readiness was given");
            });
        }
        else if (!options.readyDelay.isZero())
        {
            // Before the configured warm-up (--warm-up), if any: the check runs first, then the warm-up.
            restart.setReadinessCheck(s -> Thread.sleep(options.readyDelay.toMillis()));
        }
        server.addBean(restart);

        // /ws upgrades to a WebSocket (ExampleWebSocket); every other request goes on to the ExampleHandler.
        WebSocketUpgradeHandler webSockets = WebSocketUpgradeHandler.from(server, container ->
            container.addMapping("/ws", (request, response, callback) -> new ExampleWebSocket()));
        server.setHandler(webSockets);
        webSockets.setHandler(new ExampleHandler(inherited, connectors, () ->
            "\"restartsSucceeded\":" + restart.getRestartsSucceeded() +
            ",\"restartsFailed\":" + restart.getRestartsFailed() +
            ",\"restarting\":" + restart.isRestarting() +
            ",\"handedOff\":" + restart.isHandedOff() +
            ",\"requestsInFlight\":" + restart.getRequestsInFlight() +
            ",\"restartPathLoaded\":" + restart.isRestartPathLoaded() +
            ",\"lastResult\":\"" + restart.getLastResult().replace("\\", "\\\\").replace("\"", "\\\"") + "\""));
        server.start();

        String listeners = connectors.stream().map(ExampleHandler::describe).collect(Collectors.joining(", "));
        LOG.info("Serving pid={} generation={} uuid={} listeners=[{}]", ProcessHandle.current().pid(), inherited.generation(),
            ExampleHandler.PROCESS_UUID, listeners);
        server.join();
    }

    /**
     * @return one TCP connector per inherited TCP socket; with nothing inherited, one that binds {@code --port}
     * (8081 by default), unless only {@code --unix-socket} was given
     */
    private static long tcpConnectorCount(InheritedSockets inherited, ExampleOptions options)
    {
        long tcp = inherited.sockets().stream().filter(s -> !s.isUnixDomain()).count();
        if (tcp > 0)
            return tcp;
        return options.port != null || options.unixSocket == null && inherited.sockets().isEmpty() ? 1 : 0;
    }

    /** @return one Unix-domain connector per inherited Unix socket; else one that binds {@code --unix-socket}, if given */
    private static long unixConnectorCount(InheritedSockets inherited, ExampleOptions options)
    {
        long unix = inherited.sockets().stream().filter(InheritedSocket::isUnixDomain).count();
        return unix > 0 ? unix : options.unixSocket != null ? 1 : 0;
    }

    /**
     * HTTP/1.1 and h2c (HTTP/2 with prior knowledge) on the same port, or with {@code --tls-keystore} TLS with ALPN
     * choosing HTTP/2 or HTTP/1.1 (HTTP/1.1 for a client that offers no ALPN): the connector adopts or binds the same
     * way.
     */
    private static ConnectionFactory[] connectionFactories(ExampleOptions options)
    {
        HttpConfiguration config = new HttpConfiguration();
        if (options.tlsKeystore == null)
            return new ConnectionFactory[] {new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config)};
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(options.tlsKeystore);
        tls.setKeyStorePassword(options.tlsPassword);
        tls.setKeyStoreType("PKCS12");
        tls.setCipherComparator(HTTP2Cipher.COMPARATOR);
        config.addCustomizer(new SecureRequestCustomizer(false));
        HttpConnectionFactory http11 = new HttpConnectionFactory(config);
        HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(config);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(http2.getProtocol(), http11.getProtocol());
        alpn.setDefaultProtocol(http11.getProtocol());
        return new ConnectionFactory[] {new SslConnectionFactory(tls, alpn.getProtocol()), alpn, http2, http11};
    }

    /** @return the bad inherited socket or bad setting (unwritable PID file, refused signal) behind a start failure */
    private static Throwable findConfigurationProblem(Throwable x)
    {
        for (Throwable t = x; t != null; t = t.getCause())
        {
            if (t instanceof InheritedSocketException || t instanceof IllegalArgumentException)
                return t;
            for (Throwable suppressed : t.getSuppressed())
            {
                Throwable found = findConfigurationProblem(suppressed);
                if (found != null)
                    return found;
            }
        }
        return null;
    }
}
