package io.jettygraceful.internal.mavenplugin;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The token files a replacement deletes: the ones jetty-maven-plugin names on a forked JVM's command line, and no other. */
class PluginTokenFileTest
{
    @Test
    void findsTheForkedChildsTokenOption()
    {
        List<String> argv = List.of("/usr/bin/java", "-cp", "a.jar:b.jar", "org.eclipse.jetty.ee10.maven.plugin.JettyForkedChild",
            "--stop-port", "9966", "--stop-key", "k", "--jetty-xml", "a.xml,b.xml", "--webprops", "target/webApp.props",
            "--token", "/p/target/1UCWU8G8YB0NP.txt", "jetty.graceful.http.port=8080");
        assertEquals(List.of(Path.of("/p/target/1UCWU8G8YB0NP.txt")), PluginTokenFile.tokenFiles(argv));
    }

    @Test
    void findsStartJarsTokenProperty()
    {
        List<String> argv = List.of("/usr/bin/java", "-jar", "/p/target/jetty-home-12.1.5/start.jar", "-DSTOP.PORT=9966",
            "--module=server,http,ee10-webapp,ee10-deploy,graceful-restart,ext,ee10-maven", "jetty.token.file=/p/target/-67H5VSRSJXDR.txt");
        assertEquals(List.of(Path.of("/p/target/-67H5VSRSJXDR.txt")), PluginTokenFile.tokenFiles(argv));
    }

    @Test
    void namesNothingElse()
    {
        assertEquals(List.of(), PluginTokenFile.tokenFiles(List.of("java", "-jar", "app.jar", "--token")));
        assertEquals(List.of(), PluginTokenFile.tokenFiles(List.of("java", "-jar", "app.jar", "--tokens", "x", "jetty.token.file=")));
    }
}
