package io.jettygraceful.spring.boot;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.jetty.JettyWebServerFactory;

/**
 * Puts jetty-graceful's {@link org.springframework.boot.jetty.JettyServerCustomizer} last on every Jetty web server
 * factory. It is added after the factory's initialization, that is after Boot added the {@code JettyServerCustomizer}
 * beans and after every {@code WebServerFactoryCustomizer} ran (those run before initialization): so it sees the
 * connectors that the application's own customizers added or changed, whatever their order. Boot's own steps after the
 * customizers (forwarded headers, the graceful-shutdown statistics handler) change handlers and connection factories,
 * not connectors, and the connection factories are shared with the new connectors.
 */
class GracefulServerCustomizerOrdering implements BeanPostProcessor
{
    private final ObjectProvider<SpringGracefulRestart> restart;

    GracefulServerCustomizerOrdering(ObjectProvider<SpringGracefulRestart> restart)
    {
        this.restart = restart;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName)
    {
        if (bean instanceof JettyWebServerFactory factory)
        {
            SpringGracefulRestart graceful = restart.getIfAvailable();
            if (graceful != null)
                factory.addServerCustomizers(graceful.customizer());
        }
        return bean;
    }
}
