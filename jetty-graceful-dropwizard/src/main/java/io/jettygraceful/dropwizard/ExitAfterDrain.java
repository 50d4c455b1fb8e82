package io.jettygraceful.dropwizard;

import java.time.Duration;
import java.util.List;

import io.dropwizard.lifecycle.setup.LifecycleEnvironment;
import io.dropwizard.logging.common.LoggingFactory;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a process that handed over, once drained: by then its server's stop has stopped every managed object (they are
 * beans of the server, stopped after the requests drained, in reverse order of registration) and Dropwizard's
 * cleanup ran. Any managed object still running (its server's stop failed part way) is stopped here, in reverse order,
 * so that every {@code Managed.stop()} runs; then the JVM exits with status 0 (shutdown hooks run).
 *
 * <p>Before the exit it flushes the application's logging ({@link LoggingFactory#stop()}, which waits for Dropwizard's
 * asynchronous appenders to write what they hold): Dropwizard flushes it once when the server stops, and the drain's
 * outcome line ("Restart succeeded ...") and this class's own line come after that. Without the flush an exit right
 * behind them dropped them.</p>
 */
final class ExitAfterDrain implements RestartListener
{
    private static final Logger LOG = LoggerFactory.getLogger(ExitAfterDrain.class);

    private final LifecycleEnvironment lifecycle;
    private final LoggingFactory logging;

    ExitAfterDrain(LifecycleEnvironment lifecycle, LoggingFactory logging)
    {
        this.lifecycle = lifecycle;
        this.logging = logging;
    }

    @Override
    public void drained(RestartOutcome outcome, Duration drainTime)
    {
        List<LifeCycle> managed = lifecycle.getManagedObjects();
        for (int i = managed.size() - 1; i >= 0; i--)
        {
            LifeCycle object = managed.get(i);
            if (!object.isStopped() && !object.isFailed())
            {
                try
                {
                    LOG.info("Stopping {}, left running by the server's stop", object);
                    object.stop();
                }
                catch (Exception x)
                {
                    LOG.warn("Stopping {} failed: {}", object, x.toString());
                }
            }
        }
        LOG.info("Handed over to pid {} and drained in {} ms: managed objects stopped, exiting 0", outcome.childPid(), drainTime.toMillis());
        try
        {
            logging.stop();
        }
        catch (RuntimeException x)
        {
            // exiting regardless; the log is all that is lost
        }
        System.exit(0);
    }
}
