package io.jettygraceful.spring.boot;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import io.jettygraceful.WarmUpReadinessCheck;
import io.jettygraceful.spring.boot.actuate.GracefulRestartEndpointAutoConfiguration;
import io.jettygraceful.spring.boot.metrics.GracefulRestartMetrics;
import io.jettygraceful.spring.boot.metrics.GracefulRestartMetricsAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
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
    void aSeparateManagementPortIsWarnedOfAtTheStartWithTheFix()
    {
        String warning = JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("server.port", "8080", "management.server.port", "8081"));
        assertTrue(warning != null && warning.contains("management.server.port=8081") && warning.contains("every restart will fail") &&
            warning.contains("Fix: remove management.server.port"), String.valueOf(warning));
        assertNull(JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("server.port", "8080")), "no management port");
        assertNull(JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("server.port", "9000", "management.server.port", "9000")),
            "the same port is the same server");
        assertNull(JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("management.server.port", "-1")), "management over HTTP off");
        assertNull(JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("management.server.port", "0")),
            "a random port: each generation binds its own");
        assertTrue(JettyGracefulAutoConfiguration.separateManagementServerWarning(binder("management.server.port", "8081")) != null,
            "server.port defaults to 8080");
    }

    private static org.springframework.boot.context.properties.bind.Binder binder(String... keysAndValues)
    {
        java.util.Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2)
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        return new org.springframework.boot.context.properties.bind.Binder(
            new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(map));
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
            assertFalse(restart.getGracefulRestart().getConfiguration().isExitAfterDrain(), "the context, not System.exit right away, ends a replaced process");
            assertFalse(restart.getGracefulRestart().isStarted(), "started on ApplicationReadyEvent only");
        });
    }

    /**
     * Decided: the application's ReadinessCheck bean and the jetty.graceful.warm-up requests combine, the bean first (it
     * may wait for what the requests need), then the warm-up; a real server sees the warm-up's requests after the bean ran.
     */
    @Test
    void theApplicationsReadinessCheckRunsFirstThenTheWarmUp()
    {
        web.withUserConfiguration(RecordingCheck.class).withPropertyValues("jetty.graceful.warm-up.requests=/first,/second", "jetty.graceful.warm-up.count=4")
            .run(context ->
            {
                assertTrue(context.getStartupFailure() == null, String.valueOf(context.getStartupFailure()));
                List<String> seen = context.getBean(RecordingCheck.class).seen;
                org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
                server.setHandler(new org.eclipse.jetty.server.Handler.Abstract()
                {
                    @Override
                    public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback)
                    {
                        seen.add(request.getHttpURI().getPath());
                        callback.succeeded();
                        return true;
                    }
                });
                server.start();
                try
                {
                    context.getBean(SpringGracefulRestart.class).effectiveReadinessCheck().awaitReady(server);
                }
                finally
                {
                    server.stop();
                }
                assertEquals(List.of("application's check", "/first", "/second", "/first", "/second"), seen);
            });
    }

    @Test
    void withoutAnApplicationCheckTheWarmUpAloneOrNothing()
    {
        web.withPropertyValues("jetty.graceful.warm-up.requests=/x").run(context ->
            assertInstanceOf(WarmUpReadinessCheck.class, context.getBean(SpringGracefulRestart.class).effectiveReadinessCheck()));
        web.run(context -> assertNull(context.getBean(SpringGracefulRestart.class).effectiveReadinessCheck()));
    }

    @Configuration(proxyBeanMethods = false)
    static class RecordingCheck
    {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Bean
        ReadinessCheck applicationsCheck()
        {
            return server -> seen.add("application's check");
        }
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
