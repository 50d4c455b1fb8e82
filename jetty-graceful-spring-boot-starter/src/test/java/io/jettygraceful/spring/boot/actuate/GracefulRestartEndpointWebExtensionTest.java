package io.jettygraceful.spring.boot.actuate;

import java.util.Map;

import io.jettygraceful.spring.boot.JettyGracefulAutoConfiguration;
import io.jettygraceful.spring.boot.SpringGracefulRestart;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over HTTP, {@code POST /actuator/gracefulrestart} answers 200 only when the restart succeeded: a refused one is 409,
 * one that cannot run (jetty-graceful not started yet) 503, each with the JSON body that says why. (A failed one, 500,
 * needs a replacement JVM: the Spring Boot sample's integration test {@code BootActuatorTest} deploys a broken jar.)
 */
class GracefulRestartEndpointWebExtensionTest
{
    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JettyGracefulAutoConfiguration.class, GracefulRestartEndpointAutoConfiguration.class))
        .withPropertyValues("jetty.graceful.signal=none", "management.endpoints.web.exposure.include=gracefulrestart",
            "management.endpoint.gracefulrestart.access=UNRESTRICTED");

    @Test
    void theAutoConfigurationAddsTheWebExtension()
    {
        web.run(context -> assertEquals(1, context.getBeansOfType(GracefulRestartEndpointWebExtension.class).size()));
    }

    @Test
    void notExposedOverHttpNoWebExtension()
    {
        web.withPropertyValues("management.endpoints.web.exposure.include=health")
            .run(context -> assertEquals(0, context.getBeansOfType(GracefulRestartEndpointWebExtension.class).size()));
    }

    @Test
    void beforeJettyGracefulRunsAPostIs503WithTheReason()
    {
        web.run(context ->
        {
            WebEndpointResponse<Map<String, Object>> answer = context.getBean(GracefulRestartEndpointWebExtension.class).restart();
            assertEquals(503, answer.getStatus(), String.valueOf(answer.getBody()));
            assertEquals(false, answer.getBody().get("succeeded"));
            assertTrue(String.valueOf(answer.getBody().get("reason")).contains("not running yet"), String.valueOf(answer.getBody()));
        });
    }

    /** Nothing to hand over (the server has only a plain connector): refused, so 409, and the body says why. */
    @Test
    void aRefusedRestartIs409WithTheReason()
    {
        web.run(context ->
        {
            SpringGracefulRestart restart = context.getBean(SpringGracefulRestart.class);
            Server server = new Server();
            server.addConnector(new ServerConnector(server));
            restart.customizer().customize(server);
            ServerConnector plain = new ServerConnector(server);
            plain.setHost("127.0.0.1");
            plain.setPort(0);
            server.setConnectors(new Connector[] {plain});
            server.start();
            try
            {
                restart.getGracefulRestart().start();
                WebEndpointResponse<Map<String, Object>> answer = context.getBean(GracefulRestartEndpointWebExtension.class).restart();
                assertEquals(409, answer.getStatus(), String.valueOf(answer.getBody()));
                assertEquals(false, answer.getBody().get("succeeded"));
                assertTrue(String.valueOf(answer.getBody().get("reason")).contains("nothing to hand over"), String.valueOf(answer.getBody()));
                assertEquals(0, restart.getGracefulRestart().getRestartsFailed(), "a refusal is not a failed restart");
                // The JMX operation answers the same body.
                assertEquals(false, context.getBean(GracefulRestartEndpoint.class).restart().get("succeeded"));
            }
            finally
            {
                restart.getGracefulRestart().stop();
                server.stop();
            }
        });
    }

    @Test
    void eachKindHasItsStatus()
    {
        assertEquals(200, GracefulRestartEndpointWebExtension.status(GracefulRestartEndpoint.Kind.SUCCEEDED));
        assertEquals(409, GracefulRestartEndpointWebExtension.status(GracefulRestartEndpoint.Kind.REFUSED));
        assertEquals(500, GracefulRestartEndpointWebExtension.status(GracefulRestartEndpoint.Kind.FAILED));
        assertEquals(503, GracefulRestartEndpointWebExtension.status(GracefulRestartEndpoint.Kind.UNAVAILABLE));
    }
}
