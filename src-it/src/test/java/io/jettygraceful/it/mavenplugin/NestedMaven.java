package io.jettygraceful.it.mavenplugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.it.Jdks;
import io.jettygraceful.it.Procs;
import io.jettygraceful.it.Restarts;
import io.jettygraceful.it.Subreaper;

/**
 * One {@code mvn} run as a user runs it in a terminal: in a process group (and session) of its own, as the shell's
 * foreground job would be, so that a SIGINT to the group is Ctrl-C. Output goes to a log file. Every process the run
 * starts (a forked Jetty JVM, replacements, the holder) stays in that group: {@link #close()} ends what is left of
 * it, member by member, and reaps them (the test JVM is a child subreaper).
 */
final class NestedMaven implements AutoCloseable
{
    /** Maven's own JVM starts faster with C1 only; an EMBED replacement is such a JVM. */
    private static final String MAVEN_OPTS = "-XX:TieredStopAtLevel=1 -Xshare:auto";

    private final Process process;
    private final Path log;

    private NestedMaven(Process process, Path log)
    {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code mvn -B -s SETTINGS [-o] ARGS} in {@code project}, in a new session (setsid). */
    static NestedMaven start(Path project, PluginRepository repository, boolean offline, Path log, List<String> args) throws IOException
    {
        Subreaper.enable();
        List<String> command = new ArrayList<>(List.of("setsid", "mvn", "-B", "-s", repository.settings().toString()));
        if (offline)
            command.add("-o");
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().put("MAVEN_OPTS", MAVEN_OPTS);
        // -Dit.mavenplugin.jdk=25: Maven, and every JVM the plugin starts, on that JDK (Jdks finds it)
        String jdk = System.getProperty("it.mavenplugin.jdk");
        if (jdk != null && !jdk.isBlank())
            builder.environment().put("JAVA_HOME", Jdks.java(Integer.parseInt(jdk.trim())).getParent().getParent().toString());
        Files.writeString(log.resolveSibling(log.getFileName() + ".command"), String.join(" ", command));
        return new NestedMaven(builder.start(), log);
    }

    /** Runs {@code mvn} to its end (a compile, jetty:stop): fails with the log's tail when it does not succeed. */
    static void run(Path project, PluginRepository repository, boolean offline, Path log, Duration timeout, List<String> args) throws Exception
    {
        try (NestedMaven maven = start(project, repository, offline, log, args))
        {
            if (!maven.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                throw new AssertionError("mvn " + args + " did not end within " + timeout + ": " + maven.tail(40));
            if (maven.process.exitValue() != 0)
                throw new AssertionError("mvn " + args + " exited with " + maven.process.exitValue() + ": " + maven.tail(40));
        }
    }

    long pid()
    {
        return process.pid();
    }

    /** setsid made the mvn process the leader of its own group. */
    long processGroup()
    {
        return process.pid();
    }

    Process process()
    {
        return process;
    }

    Path log()
    {
        return log;
    }

    String output()
    {
        try
        {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
        catch (IOException x)
        {
            return "(no log: " + x + ")";
        }
    }

    /** @return the last {@code lines} lines of the output, for failure messages */
    String tail(int lines)
    {
        List<String> all = output().lines().toList();
        return "\n[" + log + "]\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** @return the group's processes that have not exited */
    List<Long> members()
    {
        return Procs.processGroupMembers(processGroup());
    }

    /** Waits until every process of the group has exited and is reaped, at most {@code timeout}; @return what is left */
    List<Long> awaitAllGone(Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Long> left = members();
        while (!left.isEmpty() && System.nanoTime() < deadline)
        {
            left.forEach(Subreaper::reap);
            Restarts.pause(Duration.ofMillis(100));
            left = members();
        }
        try
        {
            process.waitFor(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
        return left;
    }

    /** Ends what is left of the group: SIGTERM, then SIGKILL to each member by pid, and reaps them. */
    @Override
    public void close()
    {
        List<Long> left = members();
        left.forEach(pid -> Subreaper.signal(pid, 15));
        left = awaitAllGone(Duration.ofSeconds(20));
        left.forEach(pid -> Subreaper.signal(pid, 9));
        awaitAllGone(Duration.ofSeconds(10));
        process.destroyForcibly();
    }
}
