package io.jettygraceful.dropwizard;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;

/**
 * Restart metrics in the application's {@link MetricRegistry}, under {@code io.jettygraceful.restart.*}:
 * <ul>
 *   <li>{@code restarts.succeeded}, {@code restarts.failed}: counters of the restarts this process tried;</li>
 *   <li>{@code handoff}: timer, trigger to the replacement's readiness (or to the failure), for every restart;</li>
 *   <li>{@code drain}: timer, handover to the end of this process's server stop (recorded just before it exits, so
 *       seen only by a reporter that runs in between: mostly for logs and tests);</li>
 *   <li>{@code generation}: gauge, 1 for a process started by hand or by systemd, its parent's + 1 after a restart.</li>
 * </ul>
 * Metrics live in the process: a replacement starts from zero, and its generation tells how many came before.
 */
final class RestartMetrics implements RestartListener
{
    static final String PREFIX = "io.jettygraceful.restart";

    private final Counter succeeded;
    private final Counter failed;
    private final Timer handoff;
    private final Timer drain;

    RestartMetrics(MetricRegistry metrics, GracefulRestart restart)
    {
        succeeded = metrics.counter(MetricRegistry.name(PREFIX, "restarts", "succeeded"));
        failed = metrics.counter(MetricRegistry.name(PREFIX, "restarts", "failed"));
        handoff = metrics.timer(MetricRegistry.name(PREFIX, "handoff"));
        drain = metrics.timer(MetricRegistry.name(PREFIX, "drain"));
        metrics.gauge(MetricRegistry.name(PREFIX, "generation"), () -> (Gauge<Integer>) restart::getGeneration);
    }

    @Override
    public void restartSucceeded(RestartOutcome outcome)
    {
        succeeded.inc();
        record(handoff, outcome.handoffTime());
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        failed.inc();
        record(handoff, outcome.handoffTime());
    }

    @Override
    public void drained(RestartOutcome outcome, Duration drainTime)
    {
        record(drain, drainTime);
    }

    private static void record(Timer timer, Duration duration)
    {
        timer.update(duration.toNanos(), TimeUnit.NANOSECONDS);
    }
}
