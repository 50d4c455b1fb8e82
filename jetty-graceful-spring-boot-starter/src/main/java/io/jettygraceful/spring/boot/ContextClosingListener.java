package io.jettygraceful.spring.boot;

import java.time.Duration;

import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Ends a replaced process Boot's way. At the handover its readiness becomes {@link ReadinessState#REFUSING_TRAFFIC}
 * (its replacement serves now); once drained, the {@link ConfigurableApplicationContext} is closed
 * ({@code SmartLifecycle} stop, {@code @PreDestroy}, {@code DisposableBean}, in Boot's order) through
 * {@link SpringApplication#exit}, and the JVM exits with its exit code (0 unless an {@code ExitCodeGenerator} says
 * otherwise). Runs on the restart thread, which is not a daemon: the JVM stays up until the context is closed.
 */
class ContextClosingListener implements RestartListener
{
    private static final Logger LOG = LoggerFactory.getLogger(ContextClosingListener.class);

    private final ConfigurableApplicationContext context;
    private volatile int handedOverTo;

    ContextClosingListener(ConfigurableApplicationContext context)
    {
        this.context = context;
    }

    @Override
    public void restartSucceeded(RestartOutcome outcome)
    {
        handedOverTo = outcome.childPid();
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
    }

    @Override
    public void restartFailed(RestartOutcome outcome)
    {
        // The replacement this process handed over to died during the drain: the sockets were taken back, it serves again.
        if (handedOverTo != 0 && outcome.childPid() == handedOverTo)
        {
            handedOverTo = 0;
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        }
    }

    @Override
    public void drained(RestartOutcome outcome, Duration drainTime)
    {
        LOG.info("Handed over to pid {} and drained in {} ms: closing the application context", outcome.childPid(), drainTime.toMillis());
        int code = SpringApplication.exit(context);
        System.exit(code);
    }
}
