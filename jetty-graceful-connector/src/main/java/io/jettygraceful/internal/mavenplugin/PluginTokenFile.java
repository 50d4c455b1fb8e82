package io.jettygraceful.internal.mavenplugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.internal.handoff.ReplacementCommand;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jetty-maven-plugin's "started" token file, which each generation creates anew. The plugin starts its forked JVMs
 * with a token file that the JVM creates with {@code Files.createFile} once Jetty started: {@code --token FILE} for
 * {@code JettyForkedChild} (deployMode FORK), {@code jetty.token.file=FILE} for jetty-home's start.jar (deployMode
 * EXTERNAL, through the {@code ee10-maven}/{@code ee11-maven} module's {@code ServerListener}). A replacement runs the
 * same command line, so it would fail on the file its predecessor created ({@code FileAlreadyExistsException}).
 * In a replacement, before its server starts, this deletes the token file named on the JVM's command line; the plugin
 * only looks at the file while its first JVM starts. Does nothing in a first generation, or when no token file is named.
 */
public final class PluginTokenFile extends AbstractLifeCycle.AbstractLifeCycleListener
{
    private static final Logger LOG = LoggerFactory.getLogger(PluginTokenFile.class);
    static final String FORKED_CHILD_OPTION = "--token";
    static final String HOME_PROPERTY = "jetty.token.file=";

    private final Server server;

    public PluginTokenFile(Server server)
    {
        this.server = server;
    }

    @Override
    public void lifeCycleStarting(LifeCycle event)
    {
        if (event != server || !isReplacement())
            return;
        List<String> arguments;
        try
        {
            arguments = ReplacementCommand.currentCommandLine();
        }
        catch (IOException x)
        {
            LOG.warn("Cannot read this JVM's command line for a jetty-maven-plugin token file: {}", x.toString());
            return;
        }
        for (Path token : tokenFiles(arguments))
        {
            try
            {
                if (Files.deleteIfExists(token))
                    LOG.info("jetty-maven-plugin token file {}: deleted the replaced JVM's, for this generation to create its own", token);
            }
            catch (IOException x)
            {
                LOG.warn("jetty-maven-plugin token file {} cannot be deleted ({}): creating it will fail in this generation", token, x.toString());
            }
        }
    }

    /** @return the token files named in these command-line arguments, relative to the working directory */
    static List<Path> tokenFiles(List<String> arguments)
    {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < arguments.size(); i++)
        {
            String argument = arguments.get(i);
            String name = null;
            if (FORKED_CHILD_OPTION.equals(argument) && i + 1 < arguments.size())
                name = arguments.get(++i).trim();
            else if (argument.startsWith(HOME_PROPERTY))
                name = argument.substring(HOME_PROPERTY.length()).trim();
            if (name == null || name.isEmpty())
                continue;
            try
            {
                files.add(Path.of(name));
            }
            catch (InvalidPathException x)
            {
                LOG.debug("Not a path: {}", name, x);
            }
        }
        return files;
    }

    /** @return whether this JVM was started by a restart; a broken environment is GracefulRestart's to report */
    static boolean isReplacement()
    {
        try
        {
            return InheritedSockets.get().source() == InheritedSockets.Source.HANDOFF;
        }
        catch (InheritedSocketException x)
        {
            return false;
        }
    }
}
