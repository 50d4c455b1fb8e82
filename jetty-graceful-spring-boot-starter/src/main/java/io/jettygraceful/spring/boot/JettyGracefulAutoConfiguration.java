package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import org.eclipse.jetty.server.Server;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Zero-downtime restarts for a Spring Boot web application on Boot's Jetty (servlet or reactive), unless
 * {@code jetty.graceful.enabled=false}: see {@link SpringGracefulRestart} for the order of things.
 */
@AutoConfiguration
@ConditionalOnWebApplication
@ConditionalOnClass({Server.class, JettyWebServer.class, GracefulRestart.class})
@ConditionalOnProperty(prefix = JettyGracefulProperties.PREFIX, name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(JettyGracefulProperties.class)
public class JettyGracefulAutoConfiguration
{
    @Bean
    @ConditionalOnMissingBean
    public SpringGracefulRestart springGracefulRestart(JettyGracefulProperties properties, ObjectProvider<ReadinessCheck> readinessCheck,
                                                       ObjectProvider<RestartListener> listeners, ConfigurableApplicationContext context,
                                                       Environment environment)
    {
        List<RestartListener> all = new ArrayList<>(listeners.orderedStream().toList());
        all.add(new ContextClosingListener(context));
        Binder binder = Binder.get(environment);
        boolean graceful = binder.bind("server.shutdown", Shutdown.class).orElse(Shutdown.GRACEFUL) == Shutdown.GRACEFUL;
        Duration timeout = binder.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class).orElse(Duration.ofSeconds(30));
        return new SpringGracefulRestart(properties, readinessCheck.getIfUnique(), all, graceful, timeout);
    }

    @Bean
    static GracefulServerCustomizerOrdering jettyGracefulServerCustomizerOrdering(ObjectProvider<SpringGracefulRestart> restart)
    {
        return new GracefulServerCustomizerOrdering(restart);
    }
}
