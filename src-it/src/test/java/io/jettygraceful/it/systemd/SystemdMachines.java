package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.systemd.DebianRootfs.Suite;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Boots the containers of one test and always powers them off after it, passed or failed (a failed test first gets
 * the journal of the app units and the console's tail printed). Register per test:
 * {@code @RegisterExtension final SystemdMachines machines = new SystemdMachines();}
 *
 * <p>Each container gets a fresh application directory, {@code /opt/app} inside: {@code app.jar} (a copy of the
 * example jar, so a test can deploy over it) and {@code jetty-graceful-reload} (the connector's ExecReload script,
 * system property {@code it.systemd.reloadScript}).</p>
 */
public final class SystemdMachines implements AfterEachCallback
{
    private static final Path WORK = Path.of("target", "systemd-it");

    private final List<SystemdContainer> booted = new ArrayList<>();
    private final List<Path> appDirs = new ArrayList<>();

    /** Boots {@code suite} with JDK {@code jdk} as /usr/bin/java and a fresh /opt/app. */
    public SystemdContainer boot(Suite suite, int jdk)
    {
        Path java = Jdks.java(jdk);
        Path appDir = newAppDir();
        SystemdContainer container = SystemdContainer.boot(suite, java, appDir, WORK.toAbsolutePath());
        synchronized (this)
        {
            booted.add(container);
            appDirs.add(appDir);
        }
        return container;
    }

    /** @return the host directory that {@code container} sees as /opt/app */
    public synchronized Path appDir(SystemdContainer container)
    {
        return appDirs.get(booted.indexOf(container));
    }

    private static Path newAppDir()
    {
        try
        {
            Files.createDirectories(WORK);
            Path dir = Files.createTempDirectory(WORK.toAbsolutePath(), "app-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.copy(Jdks.exampleJar(), dir.resolve("app.jar"), StandardCopyOption.REPLACE_EXISTING);
            Path script = reloadScript();
            Path copy = dir.resolve("jetty-graceful-reload");
            Files.copy(script, copy, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot prepare an application directory under " + WORK.toAbsolutePath(), x);
        }
    }

    private static Path reloadScript()
    {
        Path script = Path.of(System.getProperty("it.systemd.reloadScript", "../jetty-graceful-connector/src/main/systemd/jetty-graceful-reload"));
        if (!Files.isRegularFile(script))
            fail("the ExecReload script " + script.toAbsolutePath().normalize() + " does not exist: the unit files in docs/systemd run it " +
                "as /opt/app/jetty-graceful-reload (system property it.systemd.reloadScript points elsewhere)");
        return script;
    }

    @Override
    public void afterEach(ExtensionContext context)
    {
        List<SystemdContainer> containers;
        synchronized (this)
        {
            containers = List.copyOf(booted);
            booted.clear();
            appDirs.clear();
        }
        for (SystemdContainer container : containers)
        {
            try
            {
                if (context.getExecutionException().isPresent() && !container.isClosed())
                    System.err.println("[systemd] " + context.getDisplayName() + " failed; " + container + " journal of app*:\n" +
                        container.journal(UnitFiles.PREFIX + "*") + "\n[systemd] console tail:\n" + container.consoleTail(20));
            }
            finally
            {
                container.close();
            }
        }
    }
}
