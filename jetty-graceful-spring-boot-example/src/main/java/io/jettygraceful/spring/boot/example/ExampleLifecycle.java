package io.jettygraceful.spring.boot.example;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import io.jettygraceful.RestartListener;
import io.jettygraceful.spring.boot.SpringGracefulRestart;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

/**
 * What the tests watch: the {@code Serving pid=... generation=... uuid=...} line once this process serves (a
 * {@link RestartListener} bean, added to the restart by the starter), and a marker file written by
 * {@code @PreDestroy} when the application context closes (property {@code example.shutdown-marker}, a path in which
 * {@code {pid}} stands for this pid; none by default).
 */
@Component
public class ExampleLifecycle implements RestartListener
{
    private static final Logger LOG = LoggerFactory.getLogger(ExampleLifecycle.class);

    private final String marker;
    private final SpringGracefulRestart restart;

    public ExampleLifecycle(@Value("${example.shutdown-marker:}") String marker, @Lazy SpringGracefulRestart restart)
    {
        this.marker = marker;
        this.restart = restart;
    }

    @Override
    public void serving()
    {
        String listeners = restart.getConnectors().stream()
            .map(c -> c.getInheritedSocket() != null ? "inherited " + c.getInheritedSocket().describe() : "bound " + ExampleController.address(c))
            .collect(Collectors.joining(", "));
        LOG.info("Serving pid={} generation={} uuid={} listeners=[{}]", ProcessHandle.current().pid(), restart.getGracefulRestart().getGeneration(),
            ExampleController.PROCESS_UUID, listeners);
    }

    @PreDestroy
    public void writeMarker() throws IOException
    {
        if (marker.isBlank())
            return;
        Path path = Path.of(marker.replace("{pid}", Long.toString(ProcessHandle.current().pid())));
        Files.writeString(path, "closed " + ProcessHandle.current().pid() + " " + ExampleController.PROCESS_UUID + "\n");
        LOG.info("@PreDestroy: wrote {}", path);
    }
}
