package io.jettygraceful.internal.inherit;

import java.lang.reflect.Field;
import java.util.Map;

import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the socket-passing variables ({@code LISTEN_*}, {@code JETTY_GRACEFUL_*}) and {@code NOTIFY_SOCKET} away from
 * processes the application starts with {@link ProcessBuilder} or {@link Runtime#exec}.
 *
 * <p>A child process gets its environment from one of two places: a {@code ProcessBuilder} whose {@code environment()}
 * was never called (and {@link Runtime#exec(String)}) passes on this process's native environment; one whose
 * {@code environment()} was called passes on a copy of the JVM's own map ({@code java.lang.ProcessEnvironment}). This
 * class removes the variables from both: natively with {@code unsetenv} (no flag needed), and from the JVM's map by
 * reflection, which needs {@code --add-opens java.base/java.lang=ALL-UNNAMED} (or {@code Add-Opens: java.base/java.lang}
 * in an executable jar's manifest). Without the flag the JVM's map keeps them and one log line says so; they are
 * harmless anyway:
 * {@link io.jettygraceful.InheritedSockets} in such a process ignores them, and systemd drops notifications from processes other
 * than the main one (the default {@code NotifyAccess=main}). The replacement's environment is built from
 * {@link #original()}, so it still gets what it needs.</p>
 */
public final class InheritedEnvironment
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
    public static Map<String, String> original()
    {
        return ORIGINAL;
    }

    /**
     * Removes the variables from what child processes inherit, in both places a child's environment comes from:
     * <ul>
     *   <li>the native environment of this process, which a {@link ProcessBuilder} whose {@code environment()} was never
     *       called (and {@link Runtime#exec(String)}) passes on unchanged: removed with {@code unsetenv} through the OS
     *       seam, no JVM flag needed;</li>
     *   <li>the JVM's copy ({@code java.lang.ProcessEnvironment}), which {@link ProcessBuilder#environment()} starts
     *       from: removed by reflection, which needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}.
     *       {@link System#getenv()} is a view of the same map, so it no longer shows them either.</li>
     * </ul>
     * {@link #original()} still has them.
     *
     * @param os the OS seam, or {@code null} on an unsupported platform (then only the JVM's copy is changed)
     * @return true when they are gone from both (or were never there)
     */
    public static boolean hideFromChildProcesses(Os os)
    {
        boolean present = ORIGINAL.keySet().stream().anyMatch(InheritedEnvironment::isPassingVariable);
        if (!present)
            return true;
        boolean nativeHidden = os != null;
        if (os != null)
        {
            for (String name : ORIGINAL.keySet())
            {
                if (!isPassingVariable(name))
                    continue;
                try
                {
                    os.unsetEnvironmentVariable(name);
                }
                catch (OsException x)
                {
                    nativeHidden = false;
                    LOG.info("Cannot remove {} from the native environment: {}", name, x.getMessage());
                }
            }
        }
        if (System.getenv().keySet().stream().noneMatch(InheritedEnvironment::isPassingVariable))
            return nativeHidden;
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
            return nativeHidden;
        }
        catch (ReflectiveOperationException | RuntimeException x)
        {
            LOG.info("Processes this application starts from a copy of ProcessBuilder.environment() will inherit NOTIFY_SOCKET and the " +
                "LISTEN_*/JETTY_GRACEFUL_* variables (harmless: they ignore them). To remove them, run with --add-opens java.base/java.lang=ALL-UNNAMED ({})",
                x.getClass().getSimpleName());
            return false;
        }
    }

    static boolean isPassingVariable(String name)
    {
        return name.equals(HandoffProtocol.NOTIFY_SOCKET) || name.equals(HandoffProtocol.LISTEN_PID) || name.equals(HandoffProtocol.LISTEN_FDS) ||
            name.equals(HandoffProtocol.LISTEN_FDNAMES) || name.startsWith(HandoffProtocol.PREFIX);
    }
}
