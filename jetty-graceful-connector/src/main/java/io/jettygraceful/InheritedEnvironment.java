package io.jettygraceful;

import java.lang.reflect.Field;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the socket-passing variables ({@code LISTEN_*}, {@code JETTY_GRACEFUL_*}) and {@code NOTIFY_SOCKET} away from
 * processes the application starts with {@link ProcessBuilder} or {@link Runtime#exec}.
 *
 * <p>A JVM cannot unset its own environment, and {@code ProcessBuilder} copies the environment the JVM started with.
 * This class removes the variables from that copy's source ({@code java.lang.ProcessEnvironment}), which needs
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED} (or {@code Add-Opens: java.base/java.lang} in an executable
 * jar's manifest). Without it, nothing changes and one log line says so; the variables are then harmless anyway:
 * {@link InheritedSockets} in such a process ignores them, and systemd drops notifications from processes other
 * than the main one (the default {@code NotifyAccess=main}). The replacement's environment is built from
 * {@link #original()}, so it still gets what it needs.</p>
 */
final class InheritedEnvironment
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedEnvironment.class);
    /** The environment as this JVM started, taken before anything is hidden. */
    private static final Map<String, String> ORIGINAL = Map.copyOf(System.getenv());

    private InheritedEnvironment()
    {
    }

    /**
     * @return the environment this JVM started with, unchanged by {@link #hideFromChildProcesses()}: what the
     * registry reads and what a replacement's environment is built from
     */
    static Map<String, String> original()
    {
        return ORIGINAL;
    }

    /**
     * Removes the variables from what child processes inherit. {@link System#getenv()} is a view of the same map, so
     * it no longer shows them either; {@link #original()} still does.
     *
     * @return true when they are gone (or were never there)
     */
    static boolean hideFromChildProcesses()
    {
        boolean present = System.getenv().keySet().stream().anyMatch(InheritedEnvironment::isPassingVariable);
        if (!present)
            return true;
        try
        {
            Class<?> processEnvironment = Class.forName("java.lang.ProcessEnvironment");
            Field field = processEnvironment.getDeclaredField("theEnvironment");
            field.setAccessible(true);
            Map<?, ?> environment = (Map<?, ?>)field.get(null);
            synchronized (environment)
            {
                environment.keySet().removeIf(key -> isPassingVariable(key.toString()));
            }
            return true;
        }
        catch (ReflectiveOperationException | RuntimeException x)
        {
            LOG.info("Processes this application starts will inherit NOTIFY_SOCKET and the LISTEN_*/JETTY_GRACEFUL_* variables " +
                "(harmless: they ignore them). To remove them, run with --add-opens java.base/java.lang=ALL-UNNAMED ({})", x.getClass().getSimpleName());
            return false;
        }
    }

    static boolean isPassingVariable(String name)
    {
        return name.equals(SystemdNotifier.NOTIFY_SOCKET) || name.equals(HandoffProtocol.LISTEN_PID) || name.equals(HandoffProtocol.LISTEN_FDS) ||
            name.equals(HandoffProtocol.LISTEN_FDNAMES) || name.startsWith(HandoffProtocol.PREFIX);
    }
}
