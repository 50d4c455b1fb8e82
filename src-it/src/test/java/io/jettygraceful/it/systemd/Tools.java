package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Host commands the systemd fixture runs: their presence (with the package to install) and bounded runs. */
final class Tools
{
    private Tools()
    {
    }

    /** The outcome of a command: exit code and output. */
    record Result(List<String> command, int exit, String stdout, String stderr)
    {
        boolean ok()
        {
            return exit == 0;
        }

        @Override
        public String toString()
        {
            return String.join(" ", command) + " -> exit " + exit + (stdout.isBlank() ? "" : "\n  stdout: " + stdout.strip()) +
                (stderr.isBlank() ? "" : "\n  stderr: " + stderr.strip());
        }
    }

    /** Fails the test, naming the Debian package to install, when {@code command} is not on this machine. */
    static void require(String command, String debianPackage)
    {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"))
        {
            if (Files.isExecutable(Path.of(dir, command)))
                return;
        }
        fail(command + " is needed to boot a real systemd for the systemd tests, and it is not installed. Fix (as root): " +
            "apt-get install -y --no-install-recommends " + debianPackage + " (.ci/run does this)");
    }

    /** Runs {@code command}, appending its output to {@code log}; fails (with the log's tail) unless it exits 0. */
    static void run(Duration timeout, Path log, String... command) throws IOException
    {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        int exit = await(process, timeout);
        if (exit != 0)
        {
            List<String> lines = Files.readAllLines(log);
            fail(String.join(" ", command) + " exited " + exit + "; last lines of " + log + ":\n" +
                String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
    }

    /** Runs {@code command} and captures its output; a command still running after {@code timeout} is killed and fails. */
    static Result capture(Duration timeout, List<String> command)
    {
        try
        {
            Path out = Files.createTempFile("systemd-it", ".out");
            Path err = Files.createTempFile("systemd-it", ".err");
            try
            {
                Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                int exit = await(process, timeout);
                return new Result(command, exit, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            }
            finally
            {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
        catch (IOException x)
        {
            throw new UncheckedIOException("cannot run " + command, x);
        }
    }

    private static int await(Process process, Duration timeout)
    {
        try
        {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                fail(process.info().commandLine().orElse("a command") + " did not finish within " + timeout.toSeconds() + " s");
            }
            return process.exitValue();
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for " + process.info().commandLine().orElse("a command"), x);
        }
    }
}
