package io.jettygraceful.it.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.jettygraceful.it.Http2Load;
import io.jettygraceful.it.LoadGenerator;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * graceful-http with each jetty-home module that depends on http on top of it (http-forwarded, proxy-protocol,
 * http2c), their XML applied after ours as start.jar applies it (the stand-ins in the test resources, or the real
 * files with {@code -Djetty.home.etc=$JETTY_HOME/etc}), in a {@link JettyBase} run as a real JVM; port and host given
 * with the http module's own properties ({@code jetty.http.port}). Through two real SIGHUP restarts under a bounded
 * HTTP/1.1 load, every generation shows the module's effect on a request ({@link EchoHandler}) and no request fails.
 */
@EnabledOnOs(OS.LINUX)
class JettyHomeModulesRestartTest extends JettyBaseProcesses
{
    private static final String CLIENT = "192.0.2.7"; // TEST-NET-1: only ever a header value here, never an address we connect to

    enum Module
    {
        HTTP_FORWARDED("jetty-http-forwarded.xml"), PROXY_PROTOCOL("jetty-proxy-protocol.xml"), HTTP2C("jetty-http2c.xml");

        final String xml;

        Module(String xml)
        {
            this.xml = xml;
        }
    }


    @ParameterizedTest
    @EnumSource(Module.class)
    void moduleWorksOnTheGracefulConnectorInEveryGeneration(Module module) throws Exception
    {
        int port = ConfigTesting.freePort();
        base = new JettyBase("jetty-base-" + module.name().toLowerCase())
            .property("jetty.http.host", "127.0.0.1")
            .property("jetty.http.port", String.valueOf(port))
            .property("jetty.graceful.restart.drainTimeout", "5000")
            .jettyHomeXml(module.xml)
            .echoHandler();
        int pid = base.start(List.of());
        check(module, port, pid, 1);

        try (LoadGenerator load = LoadGenerator.builder(port).path("/echo").keepAliveClients(1).newConnectionClients(1)
            .maxRequests(2_000_000).maxDuration(Duration.ofSeconds(60)).timeout(Duration.ofSeconds(10)).start())
        {
            ConfigTesting.sleep(500);
            for (int generation = 2; generation <= 3; generation++)
            {
                pid = base.restart(pid, 1);
                check(module, port, pid, generation);
                System.out.printf("%s: generation %d (pid %d) serves with the module%n", module, generation, pid);
            }
            LoadGenerator.Summary summary = load.stop();
            System.out.println(module + " load: " + summary);
            assertEquals(0, summary.failed(), "failed requests: " + summary);
            assertTrue(summary.ok() > 50, "too few requests to mean anything: " + summary);
        }
    }

    /** Asks the serving generation something only the module makes it answer that way. */
    private void check(Module module, int port, int pid, int generation) throws Exception
    {
        String expected = "pid=" + pid + " generation=" + generation;
        switch (module)
        {
            case HTTP_FORWARDED ->
            {
                String answer = exchange(port, "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " + CLIENT +
                    "\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n");
                assertContains(answer, expected, "remote=" + CLIENT, "scheme=https");
            }
            case PROXY_PROTOCOL ->
            {
                String answer = exchange(port, "PROXY TCP4 " + CLIENT + " 127.0.0.1 40000 " + port +
                    "\r\nGET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                assertContains(answer, expected, "remote=" + CLIENT);
            }
            case HTTP2C ->
            {
                try (Http2Load h2c = new Http2Load(port, "/echo", 1, 3, Duration.ofSeconds(10), Duration.ofSeconds(10), null))
                {
                    assertTrue(h2c.awaitCompleted(3, Duration.ofSeconds(10)), "3 h2c requests");
                    Http2Load.Summary summary = h2c.stop();
                    assertEquals(3, summary.ok(), summary.toString());
                    String answer = String.join("\n", summary.answeredBy().keySet());
                    assertContains(answer, expected, "protocol=HTTP/2.0");
                }
            }
        }
    }

    private void assertContains(String answer, String... parts) throws IOException
    {
        for (String part : parts)
            assertTrue(answer.contains(part), "expected '" + part + "' in:\n" + answer + "\n" + base.logText());
    }

    /** Sends {@code request} on a new connection and @return everything the server sent until it closed. */
    private static String exchange(int port, String request) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
