package io.jettygraceful.spring.boot;

import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import io.jettygraceful.spring.boot.actuate.GracefulRestartEndpointAutoConfiguration;
import io.jettygraceful.spring.boot.metrics.GracefulRestartMetrics;
import io.jettygraceful.spring.boot.metrics.GracefulRestartMetricsAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the auto-configuration applies, and what it picks up from the application's beans. */
class JettyGracefulAutoConfigurationTest
{
    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(
        JettyGracefulAutoConfiguration.class, GracefulRestartMetricsAutoConfiguration.class, GracefulRestartEndpointAutoConfiguration.class));

    @Test
    void aWebApplicationGetsTheRestartAndItsMeters()
    {
        web.run(context ->
        {
            assertTrue(context.getBeansOfType(SpringGracefulRestart.class).size() == 1, "the restart bean");
            assertTrue(context.getBeansOfType(GracefulRestartMetrics.class).size() == 1, "the meters (Micrometer is on the class path)");
            assertTrue(context.getBeansOfType(GracefulServerCustomizerOrdering.class).size() == 1, "the customizer ordering");
        });
    }

    @Test
    void disabledByProperty()
    {
        web.withPropertyValues("jetty.graceful.enabled=false").run(context ->
        {
            assertTrue(context.getBeansOfType(SpringGracefulRestart.class).isEmpty());
            assertTrue(context.getBeansOfType(GracefulRestartMetrics.class).isEmpty());
        });
    }

    @Test
    void notInANonWebApplication()
    {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(JettyGracefulAutoConfiguration.class))
            .run(context -> assertTrue(context.getBeansOfType(SpringGracefulRestart.class).isEmpty()));
    }

    @Test
    void anInvalidValueFailsTheContextWithThePropertyNamed()
    {
        web.withPropertyValues("jetty.graceful.kill-grace=0s").run(context ->
        {
            assertTrue(context.getStartupFailure() != null, "the start fails");
            Throwable cause = context.getStartupFailure();
            while (cause != null && !(cause instanceof InvalidGracefulPropertyException))
                cause = cause.getCause();
            assertTrue(cause != null && ((InvalidGracefulPropertyException)cause).getProperty().equals("jetty.graceful.kill-grace"), String.valueOf(context.getStartupFailure()));
        });
    }

    @Test
    void withTheApplicationsReadinessCheckAndListenersTheCustomizerMakesARestartThatLeavesTheExitToTheContext()
    {
        web.withUserConfiguration(AppBeans.class).run(context ->
        {
            assertTrue(context.getStartupFailure() == null, String.valueOf(context.getStartupFailure()));
            SpringGracefulRestart restart = context.getBean(SpringGracefulRestart.class);
            org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
            server.addConnector(new org.eclipse.jetty.server.ServerConnector(server));
            restart.customizer().customize(server);
            assertTrue(server.getConnectors()[0] instanceof io.jettygraceful.InheritedServerConnector);
            assertFalse(restart.getGracefulRestart().isExitAfterDrain(), "the context, not System.exit right away, ends a replaced process");
            assertFalse(restart.getGracefulRestart().isStarted(), "started on ApplicationReadyEvent only");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class AppBeans
    {
        @Bean
        ReadinessCheck warmUp()
        {
            return server -> { };
        }

        @Bean
        RestartListener auditing()
        {
            return new RestartListener() { };
        }
    }
}
