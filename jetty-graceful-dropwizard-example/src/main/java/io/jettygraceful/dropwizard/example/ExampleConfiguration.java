package io.jettygraceful.dropwizard.example;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.jettygraceful.dropwizard.GracefulRestartFactory;
import jakarta.annotation.Nullable;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/** The sample's configuration: Dropwizard's, a {@code gracefulRestart:} block, and where {@link StopMarker} writes. */
public class ExampleConfiguration extends Configuration
{
    @Valid
    @NotNull
    private GracefulRestartFactory gracefulRestart = new GracefulRestartFactory();

    @Nullable
    private String stopMarker;

    @Nullable
    private String readinessGate;

    @JsonProperty
    public GracefulRestartFactory getGracefulRestart()
    {
        return gracefulRestart;
    }

    @JsonProperty
    public void setGracefulRestart(GracefulRestartFactory gracefulRestart)
    {
        this.gracefulRestart = gracefulRestart;
    }

    /** @return a file each process appends {@code stopped pid=N} to when its managed objects stop, or null for none */
    @JsonProperty
    @Nullable
    public String getStopMarker()
    {
        return stopMarker;
    }

    @JsonProperty
    public void setStopMarker(@Nullable String stopMarker)
    {
        this.stopMarker = stopMarker;
    }

    /**
     * @return a file a replacement waits for (its readiness check) before it tells its parent it is ready, or null
     * (default) for no wait: lets a test hold a replacement just before the handoff
     */
    @JsonProperty
    @Nullable
    public String getReadinessGate()
    {
        return readinessGate;
    }

    @JsonProperty
    public void setReadinessGate(@Nullable String readinessGate)
    {
        this.readinessGate = readinessGate;
    }
}
