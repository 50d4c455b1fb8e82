package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The JDKs the integration tests run the example on: 17 (this JVM, when it is a 17) and 25.
 *
 * <p>A test that needs a JDK which is missing fails, with a message saying how to point at one: a silent skip would let
 * a CI machine without JDK 25 report green for tests that never ran.</p>
 */
public final class Jdks
{
    /** Versions a parameterized test runs on: {@code @ValueSource(ints = {17, 25})} or {@code @MethodSource}. */
    public static final List<Integer> TESTED = List.of(17, 25);

    private Jdks()
    {
    }

    /** @return the {@code java} binary of JDK {@code feature}; fails the test when there is none */
    public static Path java(int feature)
    {
        return find(feature).orElseGet(() -> fail("JDK " + feature + " is needed by this test but was not found. " +
            "Fix: install it under /usr/lib/jvm (e.g. temurin-" + feature + "-jdk-amd64) or point at it with " +
            "-Dit.jdk" + feature + "=/path/to/jdk (the JDK home, or its bin/java)."));
    }

    /** @return the {@code java} binary of JDK {@code feature}, if there is one */
    public static Optional<Path> find(int feature)
    {
        String property = System.getProperty("it.jdk" + feature);
        if (property != null && !property.isBlank())
            return Optional.of(javaOf(Path.of(property))).filter(Files::isExecutable);
        if (Runtime.version().feature() == feature)
            return Optional.of(javaOf(Path.of(System.getProperty("java.home"))));
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms))
            return Optional.empty();
        try (Stream<Path> homes = Files.list(jvms))
        {
            return homes.sorted()
                .filter(home -> isFeature(home.getFileName().toString(), feature))
                .map(Jdks::javaOf)
                .filter(Files::isExecutable)
                .findFirst();
        }
        catch (IOException x)
        {
            return Optional.empty();
        }
    }

    /** Names such as temurin-25-jdk-amd64, java-17-openjdk-amd64, jdk-25.0.1. */
    private static boolean isFeature(String name, int feature)
    {
        return name.matches("(?:.*[^0-9.])?(?:1\\.)?" + feature + "(?:[^0-9].*)?") && !Files.isSymbolicLink(Path.of("/usr/lib/jvm", name));
    }

    private static Path javaOf(Path homeOrBinary)
    {
        if (Files.isRegularFile(homeOrBinary))
            return homeOrBinary;
        return homeOrBinary.resolve("bin").resolve("java");
    }

    /** @return the example jar built by the reactor (system property {@code example.jar}) */
    public static Path exampleJar()
    {
        return builtJar("example.jar", "../jetty-graceful-example/target/jetty-graceful-example.jar", "example jar");
    }

    /** @return the Dropwizard sample's executable jar built by the reactor (system property {@code dropwizard.example.jar}) */
    public static Path dropwizardExampleJar()
    {
        return builtJar("dropwizard.example.jar", "../jetty-graceful-dropwizard-example/target/jetty-graceful-dropwizard-example.jar", "Dropwizard sample jar");
    }

    /** @return the Javalin sample's executable jar built by the reactor (system property {@code javalin.example.jar}) */
    public static Path javalinExampleJar()
    {
        return builtJar("javalin.example.jar", "../jetty-graceful-javalin-example/target/jetty-graceful-javalin-example.jar", "Javalin sample jar");
    }

    /** @return the Spring Boot sample's executable jar built by the reactor (system property {@code boot.example.jar}) */
    public static Path bootExampleJar()
    {
        return builtJar("boot.example.jar", "../jetty-graceful-spring-boot-example/target/jetty-graceful-spring-boot-example.jar", "Spring Boot sample jar");
    }

    private static Path builtJar(String property, String defaultPath, String what)
    {
        String configured = System.getProperty(property);
        Path jar = configured == null ? Path.of(defaultPath) : Path.of(configured);
        if (!Files.isRegularFile(jar))
            fail(what + " " + jar.toAbsolutePath().normalize() + " does not exist. Fix: build it first (mvn -B -DskipTests package), " +
                "or run the tests with mvn -B verify, which packages it before the integration tests run.");
        return jar.toAbsolutePath().normalize();
    }
}
