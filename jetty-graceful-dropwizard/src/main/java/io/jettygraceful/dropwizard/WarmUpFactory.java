package io.jettygraceful.dropwizard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.WarmUpReadinessCheck;
import io.jettygraceful.WarmUpRequest;
import jakarta.annotation.Nullable;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * The {@code warmUp:} block of {@code gracefulRestart:}: a {@link WarmUpReadinessCheck} that a replacement runs before
 * it tells its parent it is ready, after the bundle's own {@code readinessCheck(...)}, if any. Off while
 * {@code requests} is empty. Validated when the configuration is loaded, so a request that does not parse stops the
 * start with a message naming it ({@code gracefulRestart.warmUp.requests warm-up request 'x': ...}).
 *
 * <pre>
 * gracefulRestart:
 *   warmUp:
 *     requests:                       # [METHOD ]target[ | Name: value]..., no body
 *       - /hello
 *       - GET /api/items | Accept: application/json
 *     count: 2000                     # requests in all, going round the list (default 1000)
 *     threads: 2                      # at once, each on its own connection (default 1)
 *     duration: 10s                   # at most (default 0s: no limit)
 *     allowedStatuses: [2xx, 304]     # default: every status below 500; a 5xx always fails
 * </pre>
 */
@SelfValidating
public class WarmUpFactory
{
    @NotNull
    private List<@NotNull String> requests = new ArrayList<>();

    @Min(0)
    private int count = 1000;

    @Min(1)
    @Max(64)
    private int threads = 1;

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS)
    private Duration duration = Duration.seconds(0);

    @Nullable
    private List<@NotNull String> allowedStatuses;

    /** Reports every request or status that does not parse, with the library's message (the form expected). */
    @SelfValidation
    public void validateRequestsAndStatuses(ViolationCollector collector)
    {
        for (String request : requests == null ? List.<String>of() : requests)
        {
            try
            {
                WarmUpRequest.parse(request);
            }
            catch (IllegalArgumentException x)
            {
                collector.addViolation("requests", x.getMessage());
            }
        }
        try
        {
            allowedStatusesOf(new WarmUpReadinessCheck("", 0));
        }
        catch (IllegalArgumentException x)
        {
            collector.addViolation("allowedStatuses", x.getMessage());
        }
    }

    /** Copies these settings into the library's configuration (see {@link GracefulRestartFactory#toConfiguration()}). */
    void applyTo(GracefulRestartConfiguration.WarmUp target)
    {
        target.setRequests(requests);
        target.setCount(count);
        target.setThreads(threads);
        target.setDuration(GracefulRestartFactory.toJava(duration));
        target.setAllowedStatuses(allowedStatuses == null ? null : String.join(",", allowedStatuses));
    }

    private void allowedStatusesOf(WarmUpReadinessCheck check)
    {
        check.setAllowedStatuses(allowedStatuses == null ? null : String.join(",", allowedStatuses));
    }

    @JsonProperty
    public List<String> getRequests()
    {
        return requests;
    }

    @JsonProperty
    public void setRequests(List<String> requests)
    {
        this.requests = requests;
    }

    @JsonProperty
    public int getCount()
    {
        return count;
    }

    @JsonProperty
    public void setCount(int count)
    {
        this.count = count;
    }

    @JsonProperty
    public int getThreads()
    {
        return threads;
    }

    @JsonProperty
    public void setThreads(int threads)
    {
        this.threads = threads;
    }

    @JsonProperty
    public Duration getDuration()
    {
        return duration;
    }

    @JsonProperty
    public void setDuration(Duration duration)
    {
        this.duration = duration;
    }

    @JsonProperty
    @Nullable
    public List<String> getAllowedStatuses()
    {
        return allowedStatuses;
    }

    @JsonProperty
    public void setAllowedStatuses(@Nullable List<String> allowedStatuses)
    {
        this.allowedStatuses = allowedStatuses;
    }
}
