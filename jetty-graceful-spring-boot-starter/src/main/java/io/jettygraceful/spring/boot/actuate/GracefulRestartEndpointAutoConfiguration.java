package io.jettygraceful.spring.boot.actuate;

import io.jettygraceful.spring.boot.JettyGracefulAutoConfiguration;
import io.jettygraceful.spring.boot.SpringGracefulRestart;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The {@code gracefulrestart} actuator endpoint, when Boot's actuator is on the class path. */
@AutoConfiguration(after = JettyGracefulAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(SpringGracefulRestart.class)
public class GracefulRestartEndpointAutoConfiguration
{
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    public GracefulRestartEndpoint gracefulRestartEndpoint(SpringGracefulRestart restart)
    {
        return new GracefulRestartEndpoint(restart);
    }

    /** Over HTTP, a refused or failed restart answers 409, 500 or 503, never 200. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint(endpoint = GracefulRestartEndpoint.class, exposure = EndpointExposure.WEB)
    public GracefulRestartEndpointWebExtension gracefulRestartEndpointWebExtension(GracefulRestartEndpoint endpoint)
    {
        return new GracefulRestartEndpointWebExtension(endpoint);
    }
}
