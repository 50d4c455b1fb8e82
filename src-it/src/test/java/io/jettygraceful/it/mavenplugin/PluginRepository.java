package io.jettygraceful.it.mavenplugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The Maven repository of the plugin tests' own: this build's SNAPSHOT artifacts (the parent POM, the connector with its
 * config jar, the connector bundle) are laid out in it as {@code mvn install} would, so that the nested {@code mvn}
 * resolves them from there and never from {@code ~/.m2}, which other builds share. Everything else the nested builds
 * need (the plugin, jetty-home, build plugins) comes from the user's local repository, declared to them as a
 * {@code file://} remote repository (read only: resolved artifacts are copied into this one), or else from Maven
 * Central; so the first nested build resolves, and the later ones run with {@code -o}.
 */
final class PluginRepository
{
    static final String VERSION = System.getProperty("jetty.graceful.version", "0.1.0-SNAPSHOT");

    private final Path directory;
    private final Path settings;

    private PluginRepository(Path directory, Path settings)
    {
        this.directory = directory;
        this.settings = settings;
    }

    /** Lays out the repository and a settings.xml under {@code root}; the artifacts are copied from the reactor's target directories. */
    static PluginRepository create(Path root) throws IOException
    {
        Path repo = root.resolve("repo");
        Path projectRoot = Path.of(System.getProperty("jetty.graceful.root", "..")).toAbsolutePath().normalize();
        install(repo, "jetty-graceful-parent", projectRoot.resolve("pom.xml"), null, "pom");
        Path connector = projectRoot.resolve("jetty-graceful-connector");
        install(repo, "jetty-graceful-connector", connector.resolve("pom.xml"), null, "pom");
        install(repo, "jetty-graceful-connector", artifact(connector, "jetty-graceful-connector-" + VERSION + ".jar"), null, "jar");
        install(repo, "jetty-graceful-connector", artifact(connector, "jetty-graceful-connector-" + VERSION + "-config.jar"), "config", "jar");
        Path bundle = projectRoot.resolve("jetty-graceful-connector-bundle");
        install(repo, "jetty-graceful-connector-bundle", artifact(bundle, "dependency-reduced-pom.xml"), null, "pom");
        install(repo, "jetty-graceful-connector-bundle", artifact(bundle, "jetty-graceful-connector-bundle-" + VERSION + ".jar"), null, "jar");

        Path userRepo = Path.of(System.getProperty("it.userRepository", Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
        Path settings = root.resolve("settings.xml");
        Files.writeString(settings, """
            <settings>
              <localRepository>%s</localRepository>
              <profiles>
                <profile>
                  <id>user-repository</id>
                  <repositories>
                    <repository><id>user-m2</id><url>%s</url><releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository>
                  </repositories>
                  <pluginRepositories>
                    <pluginRepository><id>user-m2</id><url>%s</url><releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository>
                  </pluginRepositories>
                </profile>
              </profiles>
              <activeProfiles><activeProfile>user-repository</activeProfile></activeProfiles>
            </settings>
            """.formatted(repo.toAbsolutePath(), userRepo.toUri(), userRepo.toUri()));
        return new PluginRepository(repo, settings);
    }

    Path directory()
    {
        return directory;
    }

    Path settings()
    {
        return settings;
    }

    private static Path artifact(Path module, String name)
    {
        Path file = module.resolve("target").resolve(name);
        if (!Files.isRegularFile(file))
            throw new IllegalStateException(file + " is missing: build the connector and the bundle first (mvn verify -pl src-it -am builds them)");
        return file;
    }

    private static void install(Path repo, String artifactId, Path file, String classifier, String extension) throws IOException
    {
        Path dir = repo.resolve("io/jettygraceful").resolve(artifactId).resolve(VERSION);
        Files.createDirectories(dir);
        String name = artifactId + "-" + VERSION + (classifier == null ? "" : "-" + classifier) + "." + extension;
        Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
