package io.jettygraceful.internal.handoff;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import io.jettygraceful.internal.os.Os;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the classes a restart needs while the jars they come from are still the ones the JVM opened. The JDK reads a
 * jar's directory once, when it opens it, and each class's bytes only when the class is first used; a jar overwritten
 * in place afterwards ({@code cp new.jar app.jar}, the most common deploy) then fails those reads. A restart uses many
 * classes for the first time (this library's handoff, and Jetty's code that closes connections and stops the server),
 * so without this it would die of a {@link NoClassDefFoundError} half way, in the old process.
 *
 * <p>What is loaded: every class of this library, and every Jetty class ({@code org.eclipse.jetty.*}) in the jars
 * (or class directories) that hold Jetty's server, io, util and http classes, and every class of jnr-ffi and jffi:
 * about 2,000 classes when all of them are in one shaded application jar. Classes are loaded, not initialized: no static initializer runs. The application's
 * own lazily loaded classes are not covered: deploy by rename.</p>
 */
public final class ClassPreloader
{
    private static final Logger LOG = LoggerFactory.getLogger(ClassPreloader.class);

    /** A class whose jar (or class directory) is listed, and the package prefix ({@code a/b/}) of what to load from it. */
    record Source(Class<?> anchor, String packagePath)
    {
    }

    private ClassPreloader()
    {
    }

    /**
     * The restart path loaded in the background: first the native calls ({@link Os#warmUp}, which loads and
     * initializes the binding's classes for each kind of call), then every class of {@link #restartPath()}. A thread at
     * the lowest priority, a daemon, so that it neither delays a start nor holds a stopping JVM.
     */
    public static final class Background
    {
        private final Thread thread;
        private volatile boolean done;

        private Background(Os os)
        {
            thread = new Thread(() ->
            {
                long start = System.nanoTime();
                if (os != null)
                    os.warmUp();
                int classes = preload(restartPath()).size();
                done = true;
                LOG.debug("Restart path preloaded: {} classes and the native calls in {} ms", classes, (System.nanoTime() - start) / 1_000_000L);
            }, "graceful-preload");
            thread.setDaemon(true);
            thread.setPriority(Thread.MIN_PRIORITY);
        }

        /** @return true once everything is loaded: from then on the jars may be overwritten in place */
        public boolean isDone()
        {
            return done;
        }

        /** Waits until everything is loaded, at most {@code millis} (a restart goes on after that, and may then fail). */
        public void await(long millis) throws InterruptedException
        {
            thread.join(millis);
        }
    }

    /** @param os the native binding to warm up, or null on an unsupported platform */
    public static Background startInBackground(Os os)
    {
        Background background = new Background(os);
        background.thread.start();
        return background;
    }

    /**
     * This library, the Jetty modules a restart's handoff and drain run through, and the native binding (jnr-ffi and
     * jffi: the classes that marshal a call's arguments are loaded on the first call of their kind, which for some
     * calls is the first restart).
     */
    static List<Source> restartPath()
    {
        return List.of(
            new Source(ClassPreloader.class, "io/jettygraceful/"),
            new Source(jnr.ffi.Pointer.class, "jnr/ffi/"),
            new Source(com.kenai.jffi.Invoker.class, "com/kenai/jffi/"),
            new Source(org.eclipse.jetty.server.Server.class, "org/eclipse/jetty/"),
            new Source(org.eclipse.jetty.io.ManagedSelector.class, "org/eclipse/jetty/"),
            new Source(org.eclipse.jetty.util.component.Graceful.class, "org/eclipse/jetty/"),
            new Source(org.eclipse.jetty.http.HttpField.class, "org/eclipse/jetty/"));
    }

    /**
     * @return the names of the classes loaded; a source that cannot be listed is logged (debug) and skipped, a class
     * that cannot be loaded (a missing optional dependency) likewise
     */
    static List<String> preload(List<Source> sources)
    {
        Set<String> names = new LinkedHashSet<>();
        Set<String> listed = new LinkedHashSet<>();
        List<String> loaded = new ArrayList<>();
        for (Source source : sources)
        {
            URL self = source.anchor().getResource(source.anchor().getSimpleName() + ".class");
            if (self == null)
                continue;
            String container = self.toString().substring(0, self.toString().length() - source.anchor().getName().length() - ".class".length());
            if (!listed.add(container + "|" + source.packagePath()))
                continue;
            List<String> found = new ArrayList<>();
            try
            {
                list(source, self, found);
            }
            catch (IOException | URISyntaxException | RuntimeException x)
            {
                LOG.debug("Cannot list {} to preload its classes: {}", container, x.toString());
            }
            for (String name : found)
            {
                if (!names.add(name))
                    continue;
                try
                {
                    Class.forName(name, false, source.anchor().getClassLoader());
                    loaded.add(name);
                }
                catch (Throwable x)
                {
                    LOG.debug("Preloading {} failed: {}", name, x.toString());
                }
            }
        }
        return loaded;
    }

    private static void list(Source source, URL self, List<String> names) throws IOException, URISyntaxException
    {
        if ("jar".equals(self.getProtocol()))
        {
            // plain jars and nested ones (Spring Boot's executable jars) alike, through the loader's own handler
            JarURLConnection connection = (JarURLConnection)self.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile())
            {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements())
                    addIfClass(entries.nextElement().getName(), source.packagePath(), names);
            }
        }
        else if ("file".equals(self.getProtocol()))
        {
            Path root = Path.of(self.toURI());
            for (long i = 0, dots = source.anchor().getName().chars().filter(c -> c == '.').count(); i <= dots; i++)
                root = root.getParent();
            Path packageDir = root.resolve(source.packagePath());
            if (!Files.isDirectory(packageDir))
                return;
            Path base = root;
            try (Stream<Path> files = Files.walk(packageDir))
            {
                files.forEach(file -> addIfClass(base.relativize(file).toString().replace(java.io.File.separatorChar, '/'), source.packagePath(), names));
            }
        }
    }

    private static void addIfClass(String entry, String packagePath, List<String> names)
    {
        if (entry.startsWith(packagePath) && entry.endsWith(".class") && !entry.endsWith("module-info.class") && !entry.startsWith("META-INF/"))
            names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
    }
}
