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

import org.junit.jupiter.api.Assumptions;
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
            Map<String, ConfigTesting.XmlProperty> read = xmlProperties(name);
            assertEquals(new TreeSet<>(read.keySet()), new TreeSet<>(documented.keySet()), name + ": properties read by the XML vs documented in [ini-template]");
            List<String> mismatches = new ArrayList<>();
            read.forEach((property, xml) ->
            {
                if (xml.defaultValue() != null && !xml.defaultValue().equals(documented.get(property)))
                    mismatches.add(property + ": XML default " + xml.defaultValue() + ", documented " + documented.get(property));
            });
            assertTrue(mismatches.isEmpty(), name + ": " + mismatches);
        }
    }

    /** The properties of Jetty 12.1's http module (its etc/jetty-http.xml and [ini-template]) with its defaults. */
    private static final Map<String, String> JETTY_HTTP_PROPERTIES = jettyHttpProperties();

    private static Map<String, String> jettyHttpProperties()
    {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("host", null);
        properties.put("port", "8080");
        properties.put("idleTimeout", "30000");
        properties.put("acceptors", "1");
        properties.put("selectors", "-1");
        properties.put("acceptQueueSize", "0");
        properties.put("acceptorPriorityDelta", "0");
        properties.put("reuseAddress", "true");
        properties.put("reusePort", "false");
        properties.put("acceptedTcpNoDelay", "true");
        properties.put("acceptedReceiveBufferSize", "-1");
        properties.put("acceptedSendBufferSize", "-1");
        return properties;
    }

    @Test
    void gracefulHttpProvidesHttpAndNamesItsConnectorAsJettysHttpModuleDoes() throws Exception
    {
        Map<String, List<String>> mod = ConfigTesting.readModule(module("graceful-http"));
        // [provides] http: modules that [depend] on http (http-forwarded, proxy-protocol, http2c) use graceful-http, and
        // start.jar refuses to enable Jetty's http module beside it.
        assertEquals(List.of("http"), mod.get("provides"), "graceful-http must provide http");
        assertFalse(mod.get("depend").contains("http"), "graceful-http cannot depend on what it provides");
        // graceful-restart needs our connector: it must not accept any provider of http.
        assertEquals(List.of("server", "graceful-http"), ConfigTesting.readModule(module("graceful-restart")).get("depend"));

        // The connector has Jetty's id: proxy-protocol's and http2c's XML start <Configure id="httpConnector" class="...ServerConnector">.
        Path xml = ConfigTesting.configDir().resolve("etc/jetty-graceful-http.xml");
        javax.xml.parsers.DocumentBuilderFactory factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        org.w3c.dom.Element root = factory.newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        assertEquals("Server", root.getAttribute("id"));
        org.w3c.dom.NodeList news = root.getElementsByTagName("New");
        List<String> connectors = new ArrayList<>();
        for (int i = 0; i < news.getLength(); i++)
        {
            org.w3c.dom.Element element = (org.w3c.dom.Element)news.item(i);
            if (element.getAttribute("class").equals("io.jettygraceful.InheritedServerConnector"))
            {
                connectors.add(element.getAttribute("id"));
                org.w3c.dom.Element call = (org.w3c.dom.Element)element.getParentNode().getParentNode();
                assertEquals("addConnector", call.getAttribute("name"), "the connector is added to the Server");
            }
        }
        assertEquals(List.of("httpConnector"), connectors, xml + ": one InheritedServerConnector, with the http module's id");
    }

    @Test
    void gracefulHttpReadsEveryPropertyOfJettysHttpModuleWithItsDefault() throws Exception
    {
        Map<String, ConfigTesting.XmlProperty> read = xmlProperties("graceful-http");
        Map<String, String> fallbacks = new LinkedHashMap<>();
        read.values().forEach(p ->
        {
            if (p.fallback() != null)
            {
                assertEquals("jetty.http." + p.name().substring("jetty.graceful.http.".length()), p.fallback(), p.name() + " falls back to the http module's property of the same name");
                fallbacks.put(p.fallback().substring("jetty.http.".length()), p.defaultValue());
            }
        });
        assertEquals(JETTY_HTTP_PROPERTIES, fallbacks, "the http module's properties (jetty.http.*) and defaults vs graceful-http's fallbacks");
        // Everything else is ours: the inherited-socket settings.
        List<String> own = read.values().stream().filter(p -> p.fallback() == null).map(ConfigTesting.XmlProperty::name).toList();
        assertEquals(List.of("jetty.graceful.http.socketName", "jetty.graceful.http.inheritRequired"), own);
    }

    @Test
    void docsDocumentEveryModuleProperty() throws Exception
    {
        Path docs = Path.of(System.getProperty("jetty.graceful.docs", "../docs/jetty-configuration.md"));
        Assumptions.assumeTrue(Files.isRegularFile(docs), "no " + docs);
        String text = Files.readString(docs);
        for (String name : List.of("graceful-http", "graceful-restart"))
        {
            for (String property : ConfigTesting.iniTemplateDefaults(module(name)).keySet())
                assertTrue(text.contains("`" + property + "`"), docs + " does not document " + property + " (of " + name + ".mod)");
        }
        for (String property : JETTY_HTTP_PROPERTIES.keySet())
            assertTrue(text.contains("`jetty.graceful.http." + property + "`"), docs + " does not document jetty.graceful.http." + property);
    }

    private static Map<String, ConfigTesting.XmlProperty> xmlProperties(String moduleName) throws Exception
    {
        Map<String, ConfigTesting.XmlProperty> properties = new LinkedHashMap<>();
        for (String xml : ConfigTesting.readModule(module(moduleName)).get("xml"))
        {
            for (ConfigTesting.XmlProperty property : ConfigTesting.xmlProperties(ConfigTesting.configDir().resolve(xml)))
                properties.put(property.name(), property);
        }
        return properties;
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
