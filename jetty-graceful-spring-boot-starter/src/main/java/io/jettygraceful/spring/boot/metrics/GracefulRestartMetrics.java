package io.jettygraceful.spring.boot.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer meters of the restarts of this process: {@code jetty.graceful.restarts} (counter, tag {@code outcome} =
 * {@code succeeded} or {@code failed}), {@code jetty.graceful.handoff} (timer: trigger to the replacement's readiness,
 * or to the failure), {@code jetty.graceful.drain} (timer: handover to the end of the drain, recorded just before a
 * replaced process closes its context) and {@code jetty.graceful.generation} (gauge). A Spring bean that is both a
 * {@link MeterBinder} (Boot binds it to every registry) and a {@link RestartListener} (the starter adds every such bean
 * to the restart).
 */
public class GracefulRestartMetrics implements MeterBinder, RestartListener
{
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

    @Override
    public void bindTo(MeterRegistry registry)
    {
        registries.add(registry);
        Gauge.builder("jetty.graceful.generation", GracefulRestartMetrics::generation)
            .description("1 for a process started by hand or by systemd, its parent's + 1 after a restart")
            .register(registry);
        counter(registry, "succeeded");
        counter(registry, "failed");
        timer(registry, "jetty.graceful.handoff", "From the trigger to the replacement's readiness (or the failure)");
        timer(registry, "jetty.graceful.drain", "From the handover to the end of the drain");
    }

    @Override
    public void restartSucceeded(RestartOutcome outcome)
    {
        record(outcome);
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        record(outcome);
    }

    @Override
    public void drained(RestartOutcome outcome, Duration drainTime)
    {
        for (MeterRegistry registry : registries)
            timer(registry, "jetty.graceful.drain", null).record(drainTime);
    }

    private void record(RestartOutcome outcome)
    {
        for (MeterRegistry registry : registries)
        {
            counter(registry, outcome.succeeded() ? "succeeded" : "failed").increment();
            timer(registry, "jetty.graceful.handoff", null).record(outcome.handoffTime());
        }
    }

    private static Counter counter(MeterRegistry registry, String outcome)
    {
        return Counter.builder("jetty.graceful.restarts").tag("outcome", outcome).description("Restarts tried from this process, by outcome").register(registry);
    }

    private static Timer timer(MeterRegistry registry, String name, String description)
    {
        return Timer.builder(name).description(description).register(registry);
    }

    private static int generation()
    {
        try
        {
            return InheritedSockets.get().generation();
        }
        catch (InheritedSocketException x)
        {
            return 1;
        }
    }
}
