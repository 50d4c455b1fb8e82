package io.jettygraceful;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout of the library, read from the sources (comments and strings left out, so a javadoc link is no
 * dependency): the API in {@code io.jettygraceful}, internals in {@code io.jettygraceful.internal.*} with no cycle
 * between them and no use of the API's beans, Jetty's own internals in one class only, and integrations that use the
 * API alone.
 */
class ArchitectureTest
{
    private static final Path MAIN = Path.of("src/main/java");
    private static final String INTERNAL = "io.jettygraceful.internal.";
    /** The beans users write; internals get what they need from them as arguments. */
    private static final Set<String> API_BEANS = Set.of("GracefulRestart", "InheritedServerConnector", "InheritedUnixDomainConnector", "WarmUpReadinessCheck");
    /** The one class that may import a Jetty {@code internal} package (see its javadoc and its test). */
    static final Set<String> JETTY_INTERNALS_HOLDERS = Set.of("EndPointTransfer");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+?)(?:\\.\\*)?;", Pattern.MULTILINE);

    @Test
    void internalPackagesFormNoCycle()
    {
        Map<String, Set<String>> graph = internalGraph();
        assertTrue(graph.size() >= 6, "internal packages found: " + graph.keySet());
        for (String start : graph.keySet())
        {
            List<String> cycle = cycleFrom(start, start, graph, new ArrayList<>(), new HashSet<>());
            assertTrue(cycle == null, "a cycle between internal packages: " + cycle + " (graph " + graph + ")");
        }
    }

    @Test
    void internalsUseNoBeanOfTheApi()
    {
        for (Source source : sources(MAIN))
        {
            if (!source.pkg.startsWith(INTERNAL))
                continue;
            for (String bean : API_BEANS)
                assertFalse(source.uses("io.jettygraceful", bean), source.path + " uses the API bean " + bean + ": pass what it needs instead");
        }
    }

    @Test
    void onlyOneClassImportsJettysInternals()
    {
        Set<String> holders = new TreeSet<>();
        for (Source source : sources(MAIN))
        {
            if (source.imports.stream().anyMatch(i -> i.startsWith("org.eclipse.jetty.") && i.contains(".internal.")))
                holders.add(source.name);
        }
        assertEquals(JETTY_INTERNALS_HOLDERS, holders, "classes importing org.eclipse.jetty.*.internal");
    }

    @Test
    void integrationsAndSamplesUseOnlyTheApi() throws IOException
    {
        List<Path> modules;
        try (Stream<Path> siblings = Files.list(Path.of("..")))
        {
            modules = siblings.filter(p -> p.getFileName().toString().startsWith("jetty-graceful-") && !p.getFileName().toString().equals("jetty-graceful-connector"))
                .filter(p -> Files.isDirectory(p.resolve("src/main/java"))).sorted().toList();
        }
        assertTrue(modules.size() >= 5, "integrations and samples found: " + modules);
        for (Path module : modules)
        {
            for (Source source : sources(module.resolve("src/main/java")))
                assertFalse(source.code.contains(INTERNAL), source.path + " reaches into " + INTERNAL + "*: only the API (io.jettygraceful) is for integrations");
        }
    }

    @Test
    void theApiIsTheDeliberateSet()
    {
        Set<String> api = new TreeSet<>();
        for (Source source : sources(MAIN))
        {
            if (source.pkg.equals("io.jettygraceful") && source.isPublic)
                api.add(source.name);
        }
        assertEquals(new TreeSet<>(Set.of("ExitStatus", "GracefulRestart", "GracefulRestartConfiguration", "GracefulRestartSettings",
            "InheritedServerConnector", "InheritedSocket", "InheritedSocketException", "InheritedSockets", "InheritedUnixDomainConnector",
            "InvalidSettingException", "ReadinessCheck", "RestartListener", "RestartOutcome", "WarmUpReadinessCheck", "WarmUpRequest")), api,
            "the public types of io.jettygraceful (the README lists them): a new one is a decision, not an accident");
    }

    private static Map<String, Set<String>> internalGraph()
    {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Source source : sources(MAIN))
        {
            if (!source.pkg.startsWith(INTERNAL))
                continue;
            Set<String> edges = graph.computeIfAbsent(source.pkg, k -> new TreeSet<>());
            for (String target : source.referencedPackages())
            {
                if (target.startsWith(INTERNAL) && !target.equals(source.pkg))
                    edges.add(target);
            }
        }
        return graph;
    }

    private static List<String> cycleFrom(String start, String at, Map<String, Set<String>> graph, List<String> path, Set<String> seen)
    {
        for (String next : graph.getOrDefault(at, Set.of()))
        {
            List<String> here = new ArrayList<>(path);
            here.add(at);
            if (next.equals(start))
            {
                here.add(next);
                return here;
            }
            if (seen.add(next))
            {
                List<String> found = cycleFrom(start, next, graph, here, seen);
                if (found != null)
                    return found;
            }
        }
        return null;
    }

    private static List<Source> sources(Path root)
    {
        try (Stream<Path> files = Files.walk(root))
        {
            return files.filter(p -> p.toString().endsWith(".java")).map(Source::read).toList();
        }
        catch (IOException x)
        {
            throw new UncheckedIOException(x);
        }
    }

    private static final class Source
    {
        final Path path;
        final String name;
        final String pkg;
        final List<String> imports = new ArrayList<>();
        /** The code without comments, strings and import lines. */
        final String code;
        final boolean isPublic;

        private Source(Path path, String text)
        {
            this.path = path;
            this.name = path.getFileName().toString().replace(".java", "");
            Matcher pkgMatcher = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(text);
            this.pkg = pkgMatcher.find() ? pkgMatcher.group(1) : "";
            String stripped = text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "").replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
            Matcher imports = IMPORT.matcher(stripped);
            while (imports.find())
                this.imports.add(imports.group(1));
            this.code = IMPORT.matcher(stripped).replaceAll("");
            this.isPublic = Pattern.compile("^public (?:final |abstract )?(?:class|interface|record|enum) " + name + "\\b", Pattern.MULTILINE).matcher(stripped).find();
        }

        static Source read(Path path)
        {
            try
            {
                return new Source(path, Files.readString(path));
            }
            catch (IOException x)
            {
                throw new UncheckedIOException(x);
            }
        }

        /** @return whether the code names {@code pkg.simple}: imported and used, or written out */
        boolean uses(String pkg, String simple)
        {
            boolean imported = imports.contains(pkg + "." + simple) && Pattern.compile("\\b" + simple + "\\b").matcher(code).find();
            return imported || code.contains(pkg + "." + simple + ".") || Pattern.compile("\\b" + Pattern.quote(pkg + "." + simple) + "\\b").matcher(code).find();
        }

        /** @return the packages of io.jettygraceful whose classes the code uses */
        Set<String> referencedPackages()
        {
            Set<String> packages = new TreeSet<>();
            for (String imported : imports)
            {
                int dot = imported.lastIndexOf('.');
                String simple = imported.substring(dot + 1);
                if (imported.startsWith("io.jettygraceful") && Pattern.compile("\\b" + simple + "\\b").matcher(code).find())
                    packages.add(packageOf(imported));
            }
            Matcher qualified = Pattern.compile("\\b(io\\.jettygraceful(?:\\.[a-z]\\w*)*)\\.[A-Z]").matcher(code);
            while (qualified.find())
                packages.add(qualified.group(1));
            return packages;
        }

        private static String packageOf(String fqn)
        {
            String[] parts = fqn.split("\\.");
            StringBuilder pkg = new StringBuilder();
            for (String part : parts)
            {
                if (Character.isUpperCase(part.charAt(0)))
                    break;
                if (!pkg.isEmpty())
                    pkg.append('.');
                pkg.append(part);
            }
            return pkg.toString();
        }
    }
}
