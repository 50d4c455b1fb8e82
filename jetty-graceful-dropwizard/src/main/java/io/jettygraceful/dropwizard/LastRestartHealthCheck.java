package io.jettygraceful.dropwizard;

import java.util.function.Supplier;

import com.codahale.metrics.health.HealthCheck;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.RestartOutcome;

/**
 * Health check {@code graceful-restart}: unhealthy while the last restart tried in this process failed (a broken
 * build was deployed, the replacement was not ready in time, ...), with the failure's reason as message; healthy
 * before any restart and after one that succeeded. A failed restart leaves this process serving, so this reports
 * the deploy, not the service: it turns healthy again with the next restart that succeeds.
 */
final class LastRestartHealthCheck extends HealthCheck
{
    static final String NAME = "graceful-restart";

    private final Supplier<GracefulRestart> restart;

    LastRestartHealthCheck(Supplier<GracefulRestart> restart)
    {
        this.restart = restart;
    }

    @Override
    protected Result check()
    {
        GracefulRestart graceful = restart.get();
        RestartOutcome last = graceful.getLastOutcome();
        if (last == null)
            return Result.healthy("generation %d, no restart tried in this process", graceful.getGeneration());
        if (last.succeeded())
            return Result.healthy("generation %d, last restart %s", graceful.getGeneration(), last);
        return Result.unhealthy("last restart " + last);
    }
}
