package io.jettygraceful.dropwizard.example;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.jettygraceful.RestartListener;
import io.jettygraceful.dropwizard.GracefulRestartBundle;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Dropwizard sample: {@code java -jar jetty-graceful-dropwizard-example.jar server app.yml}, with connectors of
 * type {@code inherited-http} and a {@code gracefulRestart:} block; SIGHUP or {@code POST /tasks/graceful-restart} on
 * the admin connector restarts it with zero downtime. Logs {@code Serving pid=N generation=G uuid=U listeners=[...]}
 * once it serves (in a replacement: once its parent handed over).
 */
public class ExampleApplication extends Application<ExampleConfiguration>
{
    private static final Logger LOG = LoggerFactory.getLogger(ExampleApplication.class);

    private final GracefulRestartBundle<ExampleConfiguration> graceful = new GracefulRestartBundle<>(ExampleConfiguration::getGracefulRestart);
    private volatile Server server;

    public static void main(String[] args) throws Exception
    {
        new ExampleApplication().run(args);
    }

    @Override
    public String getName()
    {
        return "jetty-graceful-dropwizard-example";
    }

    @Override
    public void initialize(Bootstrap<ExampleConfiguration> bootstrap)
    {
        bootstrap.addBundle(graceful);
        graceful.addRestartListener(new RestartListener()
        {
            @Override
            public void serving()
            {
                String listeners = Arrays.stream(server.getConnectors())
                    .filter(ServerConnector.class::isInstance).map(c -> ExampleResource.describe((ServerConnector) c)).collect(Collectors.joining(", "));
                LOG.info("Serving pid={} generation={} uuid={} listeners=[{}]", ProcessHandle.current().pid(),
                    graceful.getGracefulRestart().getGeneration(), ExampleResource.PROCESS_UUID, listeners);
            }
        });
    }

    @Override
    public void run(ExampleConfiguration configuration, Environment environment)
    {
        // The server Dropwizard builds, as soon as it starts: /status and the Serving line list its connectors.
        environment.lifecycle().addEventListener(new LifeCycle.Listener()
        {
            @Override
            public void lifeCycleStarting(LifeCycle event)
            {
                if (event instanceof Server starting)
                    server = starting;
            }
        });
        if (configuration.getReadinessGate() != null)
            graceful.readinessCheck(started -> awaitGate(Path.of(configuration.getReadinessGate()), configuration.getGracefulRestart().getReadyTimeout().toMilliseconds()));
        if (configuration.getStopMarker() != null)
            environment.lifecycle().manage(new StopMarker(Path.of(configuration.getStopMarker())));
        environment.jersey().register(new ExampleResource(graceful::getGracefulRestart, () -> server));
    }

    /** The sample's readiness check with {@code readinessGate}: waits until the file exists, at most the ready timeout. */
    private static void awaitGate(Path gate, long timeoutMillis) throws InterruptedException
    {
        LOG.info("Waiting for readiness gate {}", gate);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!Files.exists(gate))
        {
            if (System.nanoTime() - deadline > 0)
                throw new IllegalStateException("readiness gate " + gate + " did not appear within " + timeoutMillis + " ms");
            Thread.sleep(20);
        }
    }
}
