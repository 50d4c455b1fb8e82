package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The unit files users copy, read from {@code docs/systemd/VARIANT/} (system property {@code it.systemd.units} names
 * {@code docs/systemd}) and installed by the tests as they are, except for the ports: {@value #HTTP_PORT} becomes the
 * test's HTTP port and {@value #ADMIN_PORT} its admin port (docs/systemd/README.md says so to users).
 */
public enum UnitFiles
{
    /** Type=notify with the blocking ExecReload script: systemd 252+. */
    NOTIFY("notify", 252),
    /** Type=notify-reload: systemd 253+. */
    NOTIFY_RELOAD("notify-reload", 253),
    /** app.socket (FileDescriptorName=http) and its Type=notify service. */
    SOCKET("socket", 252),
    /** app-http.socket and app-admin.socket for one Type=notify service. */
    TWO_SOCKETS("two-sockets", 252),
    /** Type=notify with FileDescriptorStoreMax=4 and --fd-store. */
    FD_STORE("fd-store", 252);

    /** Every installed unit's name starts with this; a container deletes such units left in the tree before it boots. */
    public static final String PREFIX = "app";
    public static final String SERVICE = "app.service";
    static final String HTTP_PORT = "8080";
    static final String ADMIN_PORT = "8081";
    /** Either port as a whole number (not inside a longer one). */
    private static final java.util.regex.Pattern PORTS = java.util.regex.Pattern.compile("(?<!\\d)(" + HTTP_PORT + "|" + ADMIN_PORT + ")(?!\\d)");

    public final String directory;
    public final int minimumSystemd;

    UnitFiles(String directory, int minimumSystemd)
    {
        this.directory = directory;
        this.minimumSystemd = minimumSystemd;
    }

    /** @return the docs directory of the unit files */
    public static Path docs()
    {
        Path dir = Path.of(System.getProperty("it.systemd.units", "../docs/systemd"));
        if (!Files.isDirectory(dir))
            fail("unit files directory " + dir.toAbsolutePath().normalize() + " does not exist (system property it.systemd.units)");
        return dir;
    }

    /** @return the files of this variant, name to content, with the ports replaced; fails if a port token is missing */
    public Map<String, String> withPorts(int httpPort, int adminPort)
    {
        Map<String, String> files = new LinkedHashMap<>();
        boolean http = false;
        boolean admin = false;
        try (Stream<Path> list = Files.list(docs().resolve(directory)))
        {
            for (Path file : list.sorted().toList())
            {
                String text = Files.readString(file);
                http |= text.contains(HTTP_PORT);
                admin |= text.contains(ADMIN_PORT);
                // In one pass: replacing one port after the other turned a test port like 38081 into 3 + the admin port.
                files.put(file.getFileName().toString(), PORTS.matcher(text).replaceAll(m ->
                    String.valueOf(m.group().equals(HTTP_PORT) ? httpPort : adminPort)));
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot read the unit files of " + directory, x);
        }
        if (!http)
            fail("docs/systemd/" + directory + " has no port " + HTTP_PORT + " to replace with the test's port");
        if (this == TWO_SOCKETS && !admin)
            fail("docs/systemd/" + directory + " has no admin port " + ADMIN_PORT + " to replace with the test's port");
        return files;
    }

    public boolean runsOn(DebianRootfs.Suite suite)
    {
        return suite.systemd >= minimumSystemd;
    }

    @Override
    public String toString()
    {
        return directory;
    }
}
