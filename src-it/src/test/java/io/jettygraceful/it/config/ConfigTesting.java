package io.jettygraceful.it.config;

import io.jettygraceful.it.Subreaper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/** Shared by the configuration tests: where the shipped files are, module files, free ports, reaping. */
final class ConfigTesting
{
    private ConfigTesting()
    {
    }

    /** @return the connector's jetty-home files as the config jar holds them (target/config, versions filled in) */
    static Path configDir()
    {
        String dir = System.getProperty("jetty.graceful.config");
        Path path = dir != null ? Path.of(dir) : Path.of("../jetty-graceful-connector/target/config");
        if (!Files.isDirectory(path.resolve("modules")))
            throw new IllegalStateException(path + " has no modules/: build jetty-graceful-connector first (process-resources)");
        return path;
    }

    /** @return the stand-in for jetty-home's etc/jetty.xml */
    static Path testServerXml()
    {
        try
        {
            return Path.of(ConfigTesting.class.getResource("jetty-test-server.xml").toURI());
        }
        catch (URISyntaxException x)
        {
            throw new IllegalStateException(x);
        }
    }

    /**
     * @return the directory with jetty-home's etc/ files of the modules that depend on http (http-forwarded,
     * proxy-protocol, http2c): the system property {@code jetty.home.etc} (e.g. a real $JETTY_HOME/etc), else the
     * stand-ins in the test resources' {@code jetty-home/etc/}
     */
    static Path jettyHomeEtc()
    {
        String dir = System.getProperty("jetty.home.etc");
        if (dir != null && !dir.isBlank())
            return Path.of(dir);
        try
        {
            return Path.of(ConfigTesting.class.getResource("jetty-home/etc").toURI());
        }
        catch (URISyntaxException x)
        {
            throw new IllegalStateException(x);
        }
    }

    /**
     * A property a Jetty XML file reads: {@code <Property name="N" default="D"/>}, or one with a nested
     * {@code <Default><Property name="F" default="D"/></Default>} (then {@code fallback} is F and D its default), or
     * {@code <Set property="N"/>} (no default).
     */
    record XmlProperty(String name, String fallback, String defaultValue)
    {
    }

    /** @return the properties {@code xml} reads, outermost only (a fallback is part of its property), in file order */
    static List<XmlProperty> xmlProperties(Path xml) throws Exception
    {
        javax.xml.parsers.DocumentBuilderFactory factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        org.w3c.dom.Document document = factory.newDocumentBuilder().parse(xml.toFile());
        List<XmlProperty> properties = new ArrayList<>();
        org.w3c.dom.NodeList all = document.getElementsByTagName("*");
        for (int i = 0; i < all.getLength(); i++)
        {
            org.w3c.dom.Element element = (org.w3c.dom.Element)all.item(i);
            if (element.getTagName().equals("Property") && !((org.w3c.dom.Element)element.getParentNode()).getTagName().equals("Default"))
            {
                String fallback = null;
                String defaultValue = element.hasAttribute("default") ? element.getAttribute("default") : null;
                org.w3c.dom.NodeList defaults = element.getElementsByTagName("Default");
                if (defaults.getLength() > 0)
                {
                    org.w3c.dom.Element inner = (org.w3c.dom.Element)((org.w3c.dom.Element)defaults.item(0)).getElementsByTagName("Property").item(0);
                    fallback = inner.getAttribute("name");
                    defaultValue = inner.hasAttribute("default") ? inner.getAttribute("default") : null;
                }
                properties.add(new XmlProperty(element.getAttribute("name"), fallback, defaultValue));
            }
            else if (element.hasAttribute("property"))
            {
                properties.add(new XmlProperty(element.getAttribute("property"), null, null));
            }
        }
        return properties;
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /** A jetty-home module file: section name to its lines, comments and blank lines dropped (as start.jar reads them). */
    static Map<String, List<String>> readModule(Path mod) throws IOException
    {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String raw : Files.readAllLines(mod))
        {
            String line = raw.trim();
            if (line.startsWith("[") && line.endsWith("]"))
            {
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1).toLowerCase(), k -> new ArrayList<>());
                continue;
            }
            if (current == null || line.isEmpty() || line.startsWith("#"))
                continue;
            current.add(line);
        }
        return sections;
    }

    /** The ini-template's documented properties, from its commented-out {@code # name=value} lines. */
    static Map<String, String> iniTemplateDefaults(Path mod) throws IOException
    {
        Map<String, String> defaults = new LinkedHashMap<>();
        boolean inTemplate = false;
        for (String raw : Files.readAllLines(mod))
        {
            String line = raw.trim();
            if (line.startsWith("[") && line.endsWith("]"))
            {
                inTemplate = line.equalsIgnoreCase("[ini-template]");
                continue;
            }
            if (inTemplate && line.matches("# [a-zA-Z.]+=.*"))
            {
                int eq = line.indexOf('=');
                defaults.put(line.substring(2, eq), line.substring(eq + 1));
            }
        }
        return defaults;
    }

    // ---- processes: subreaper and reaping by pid -----------------------------------------------------------------

    /**
     * Stops a descendant that is not a {@link Process} of ours (a replacement spawned by our child) and reaps it:
     * SIGTERM, up to {@code graceMillis} for it to exit, then SIGKILL. Only this pid is ever waited for.
     */
    static void stopAndReap(int pid, long graceMillis)
    {
        if (pid <= 0)
            return;
        if (!Subreaper.signal(pid, 15))
        {
            Subreaper.reap(pid);
            return;
        }
        long deadline = System.nanoTime() + graceMillis * 1_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (Subreaper.reap(pid) != Subreaper.Reaped.RUNNING)
                return;
            sleep(50);
        }
        Subreaper.signal(pid, 9);
        long hardDeadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < hardDeadline && Subreaper.reap(pid) == Subreaper.Reaped.RUNNING)
            sleep(20);
    }

    static void sleep(long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(x);
        }
    }
}
