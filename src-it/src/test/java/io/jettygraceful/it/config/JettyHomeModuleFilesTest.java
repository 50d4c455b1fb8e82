package io.jettygraceful.it.config;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jetty-home module files as shipped in the config artifact: sections a start.jar needs, no [exec] (it would fork
 * a JVM that inherits no socket), not named like jetty-home's own {@code graceful} module, [files] naming exactly
 * the jars this build resolved, and an [ini-template] that documents every property the XML reads, with the XML's
 * defaults.
 */
class JettyHomeModuleFilesTest
{
    private static final Pattern FILES_LINE = Pattern.compile("maven://([^/|]+)/([^/|]+)/([^/|]+)(?:/([^/|]+)/([^/|]+))?\\|lib/graceful/([^/|]+)");
    private static final Pattern XML_PROPERTY = Pattern.compile("<Property name=\"([^\"]+)\"(?: default=\"([^\"]*)\")?\\s*/>|property=\"([^\"]+)\"");

    private static Path module(String name)
    {
        return ConfigTesting.configDir().resolve("modules").resolve(name + ".mod");
    }

    @Test
    void modulesHaveTheSectionsStartJarNeedsAndNoExec() throws Exception
    {
        for (String name : List.of("graceful-http", "graceful-unix", "graceful-restart"))
        {
            Map<String, List<String>> mod = ConfigTesting.readModule(module(name));
            assertFalse(mod.containsKey("exec"), name + ": [exec] makes start.jar fork a JVM that inherits no socket");
            for (String section : List.of("description", "tags", "depend", "xml", "ini-template"))
                assertTrue(mod.containsKey(section), name + " lacks [" + section + "]");
            assertTrue(mod.get("depend").contains("server"), name + " must depend on server");
            for (String xml : mod.get("xml"))
                assertTrue(Files.isRegularFile(ConfigTesting.configDir().resolve(xml)), name + ": " + xml + " is not in the config artifact");
        }
        assertFalse(Files.exists(module("graceful")), "jetty-home already has a module named graceful");
        assertTrue(ConfigTesting.readModule(module("graceful-restart")).get("depend").contains("graceful-http"));
        assertEquals(List.of("lib/graceful/*.jar"), ConfigTesting.readModule(module("graceful-http")).get("lib"));
        // graceful-unix serves without graceful-http's TCP connector, so it brings the same jars itself.
        assertEquals(ConfigTesting.readModule(module("graceful-http")).get("lib"), ConfigTesting.readModule(module("graceful-unix")).get("lib"));
        assertEquals(ConfigTesting.readModule(module("graceful-http")).get("files"), ConfigTesting.readModule(module("graceful-unix")).get("files"),
            "graceful-unix must list the same [files] as graceful-http");
    }

    @Test
    void filesNameExactlyTheJarsThisBuildResolved() throws Exception
    {
        Set<String> classpathJars = new TreeSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator))
            classpathJars.add(Path.of(entry).getFileName().toString());

        Set<String> listed = new TreeSet<>();
        for (String line : ConfigTesting.readModule(module("graceful-http")).get("files"))
        {
            Matcher m = FILES_LINE.matcher(line);
            assertTrue(m.matches(), "not maven://group/artifact/version[/type/classifier]|lib/graceful/name: " + line);
            String expected = m.group(2) + "-" + m.group(3) + (m.group(5) != null ? "-" + m.group(5) : "") + ".jar";
            assertEquals(expected, m.group(6), line);
            assertFalse(m.group(3).contains("@"), "unfiltered version in " + line);
            listed.add(expected);
            if (!m.group(2).equals("jetty-graceful-connector"))
                assertTrue(classpathJars.contains(expected), expected + " is not the version this build resolved: " + classpathJars);
        }
        // Every native-access jar the connector brings in at runtime is listed (the server module provides Jetty and slf4j-api).
        for (String jar : classpathJars)
        {
            if (jar.matches("(jnr-|jffi-|asm-).*\\.jar"))
                assertTrue(listed.contains(jar), jar + " is on the connector's runtime classpath but not in graceful-http's [files]");
        }
    }

    @Test
    void iniTemplatesDocumentEveryPropertyWithTheXmlDefault() throws Exception
    {
        for (String name : List.of("graceful-http", "graceful-unix", "graceful-restart"))
        {
            Map<String, String> documented = ConfigTesting.iniTemplateDefaults(module(name));
            Map<String, String> xmlDefaults = new LinkedHashMap<>();
            for (String xml : ConfigTesting.readModule(module(name)).get("xml"))
            {
                Matcher m = XML_PROPERTY.matcher(Files.readString(ConfigTesting.configDir().resolve(xml)));
                while (m.find())
                {
                    if (m.group(1) != null)
                        xmlDefaults.put(m.group(1), m.group(2));
                    else
                        xmlDefaults.put(m.group(3), null);
                }
            }
            assertEquals(new TreeSet<>(xmlDefaults.keySet()), new TreeSet<>(documented.keySet()), name + ": properties read by the XML vs documented in [ini-template]");
            List<String> mismatches = new ArrayList<>();
            xmlDefaults.forEach((property, value) ->
            {
                if (value != null && !value.equals(documented.get(property)))
                    mismatches.add(property + ": XML default " + value + ", documented " + documented.get(property));
            });
            assertTrue(mismatches.isEmpty(), name + ": " + mismatches);
        }
    }

    @Test
    void configJarHoldsTheModulesAndXmlWhenPackaged() throws Exception
    {
        Path target = ConfigTesting.configDir().getParent();
        Path jar;
        try (var files = Files.list(target))
        {
            jar = files.filter(p -> p.getFileName().toString().endsWith("-config.jar")).findFirst().orElse(null);
        }
        // In a `test` run the package phase has not run yet: the directory it is made from was checked above.
        org.junit.jupiter.api.Assumptions.assumeTrue(jar != null, "no config jar yet (run through package or verify)");
        try (JarFile config = new JarFile(jar.toFile()))
        {
            for (String entry : List.of("modules/graceful-http.mod", "modules/graceful-unix.mod", "modules/graceful-restart.mod",
                "etc/jetty-graceful-http.xml", "etc/jetty-graceful-unix.xml", "etc/jetty-graceful-restart.xml"))
                assertNotNull(config.getEntry(entry), jar + " lacks " + entry);
        }
    }
}
