package io.jettygraceful.dropwizard.example;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.dropwizard.lifecycle.Managed;

/**
 * A managed object that appends {@code stopped pid=N} to a file when Dropwizard stops it: the proof, for tests, that a
 * process that handed over ran its managed objects' shutdown before it exited.
 */
final class StopMarker implements Managed
{
    private final Path file;

    StopMarker(Path file)
    {
        this.file = file;
    }

    @Override
    public void stop() throws IOException
    {
        Files.writeString(file, "stopped pid=" + ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
}
