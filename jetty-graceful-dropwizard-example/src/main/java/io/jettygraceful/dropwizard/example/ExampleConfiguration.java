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
}
