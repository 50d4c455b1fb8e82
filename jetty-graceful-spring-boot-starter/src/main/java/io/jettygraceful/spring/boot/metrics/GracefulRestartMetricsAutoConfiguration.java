package io.jettygraceful.spring.boot.metrics;

import io.jettygraceful.spring.boot.JettyGracefulAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;

/** Micrometer meters of the restarts ({@link GracefulRestartMetrics}), when Micrometer is on the class path. */
@AutoConfiguration(before = JettyGracefulAutoConfiguration.class)
@ConditionalOnWebApplication
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnProperty(prefix = "jetty.graceful", name = "enabled", matchIfMissing = true)
public class GracefulRestartMetricsAutoConfiguration
{
    @Bean
    @ConditionalOnMissingBean
    public GracefulRestartMetrics gracefulRestartMetrics()
    {
        return new GracefulRestartMetrics();
    }
}
