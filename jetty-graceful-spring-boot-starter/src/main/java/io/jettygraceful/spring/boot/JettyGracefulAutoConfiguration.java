package io.jettygraceful.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.RestartListener;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    private static final Logger LOG = LoggerFactory.getLogger(JettyGracefulAutoConfiguration.class);

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
        warnOfASeparateManagementServer(binder);
        return new SpringGracefulRestart(properties, readinessCheck.getIfUnique(), all, graceful, timeout);
    }

    private static void warnOfASeparateManagementServer(Binder binder)
    {
        String warning = separateManagementServerWarning(binder);
        if (warning != null)
            LOG.warn(warning);
    }

    /**
     * A separate management port is a second Jetty server, in a child context this starter does not reach: its socket
     * is not handed over, and the replacement cannot bind the port while the old process holds it. Said at the start,
     * where the fix can be made, rather than only at the first failed restart. (Port 0 is left alone: each generation
     * then binds a port of its own, and nothing fails.)
     *
     * @return the warning when {@code management.server.port} names a port other than {@code server.port}, else null
     */
    static String separateManagementServerWarning(Binder binder)
    {
        Integer management = binder.bind("management.server.port", Integer.class).orElse(null);
        Integer main = binder.bind("server.port", Integer.class).orElse(8080);
        if (management == null || management <= 0 || management.equals(main))
            return null;
        return "management.server.port=" + management + " serves the actuator from a second Jetty server, which is not handed over: every " +
            "restart will fail (the replacement cannot bind port " + management + " while this process holds it). Fix: remove " +
            "management.server.port to serve the actuator on server.port, and expose only the endpoints you need " +
            "(management.endpoints.web.exposure.include)";
    }

    @Bean
    static GracefulServerCustomizerOrdering jettyGracefulServerCustomizerOrdering(ObjectProvider<SpringGracefulRestart> restart)
    {
        return new GracefulServerCustomizerOrdering(restart);
    }
}
