package io.jettygraceful;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every class of this library while the jar it came from is still the one the JVM opened. The JDK reads a jar's
 * directory once, when it opens it, and each class's bytes only when the class is first used; a jar overwritten in
 * place afterwards ({@code cp new.jar app.jar}, the most common deploy) then fails those reads, and a restart, whose
 * classes are used for the first time when the restart is triggered, would die of a {@link NoClassDefFoundError}.
 * With every class loaded up front, the restart path no longer reads the jar (the application's own lazily loaded
 * classes still do: deploy by rename).
 */
final class ClassPreloader
{
    private static final Logger LOG = LoggerFactory.getLogger(ClassPreloader.class);
    private static final String PACKAGE_PATH = "io/jettygraceful/";

    private ClassPreloader()
    {
    }

    /**
     * @return the names of the classes loaded (all of this library found beside {@code anchor}); empty when the code
     * source cannot be listed, which is logged and otherwise harmless
     */
    static List<String> preload(Class<?> anchor)
    {
        List<String> names = new ArrayList<>();
        try
        {
            URL self = anchor.getResource(anchor.getSimpleName() + ".class");
            if (self == null)
                return names;
            if ("jar".equals(self.getProtocol()))
            {
                // plain jars and nested ones (Spring Boot's executable jars) alike, through the loader's own handler
                JarURLConnection connection = (JarURLConnection)self.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile())
                {
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements())
                        addIfClass(entries.nextElement().getName(), names);
                }
            }
            else if ("file".equals(self.getProtocol()))
            {
                Path classFile = Path.of(self.toURI());
                Path root = classFile;
                for (int i = 0; i <= anchor.getName().chars().filter(c -> c == '.').count(); i++)
                    root = root.getParent();
                listDirectory(root, names);
            }
        }
        catch (IOException | URISyntaxException | RuntimeException x)
        {
            LOG.debug("Cannot list this library's classes to preload them: {}", x.toString());
            return names;
        }
        ClassLoader loader = anchor.getClassLoader();
        List<String> loaded = new ArrayList<>(names.size());
        for (String name : names)
        {
            try
            {
                Class.forName(name, false, loader);
                loaded.add(name);
            }
            catch (Throwable x)
            {
                LOG.debug("Preloading {} failed: {}", name, x.toString());
            }
        }
        return loaded;
    }

    private static void listDirectory(Path root, List<String> names) throws IOException
    {
        Path packageDir = root.resolve(PACKAGE_PATH);
        if (!Files.isDirectory(packageDir))
            return;
        try (Stream<Path> files = Files.walk(packageDir))
        {
            files.forEach(file -> addIfClass(root.relativize(file).toString().replace(java.io.File.separatorChar, '/'), names));
        }
    }

    private static void addIfClass(String entry, List<String> names)
    {
        if (entry.startsWith(PACKAGE_PATH) && entry.endsWith(".class") && !entry.endsWith("module-info.class"))
            names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
    }
}
