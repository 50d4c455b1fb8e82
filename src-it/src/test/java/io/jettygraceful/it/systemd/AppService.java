package io.jettygraceful.it.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.ExampleStatus;
import io.jettygraceful.it.Http;
import io.jettygraceful.it.Restarts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * app.service of one {@link UnitFiles} variant installed in a {@link SystemdContainer}: systemctl verbs, the unit's
 * properties, its journal, and the example's /status on the unit's port (pids are the container's).
 */
public final class AppService
{
    /** Journal lines that mean systemd does not supervise the serving JVM as its own (issue 10). */
    /**
     * The one thing the harness adds to the README's unit, as a drop-in beside it: {@link ExampleProcess#TEST_JVM_ARGS}
     * through {@code JAVA_TOOL_OPTIONS}, which every generation inherits. The unit file itself stays the README's.
     */
    static final String HARNESS_DROP_IN = UnitFiles.SERVICE + ".d/harness-jvm.conf";
    public static final List<String> FORBIDDEN = List.of("not our child", "reception only permitted", "SIGKILL");
    private static final Duration JOURNAL_LAG = Duration.ofSeconds(10);

    private final SystemdContainer container;
    private final UnitFiles units;
    private final int port;
    private final int adminPort;

    private AppService(SystemdContainer container, UnitFiles units, int port, int adminPort)
    {
        this.container = container;
        this.units = units;
        this.port = port;
        this.adminPort = adminPort;
    }

    /** Installs {@code units} with {@code port} (and {@code adminPort}) into {@code container}; starts nothing. */
    public static AppService install(SystemdContainer container, UnitFiles units, int port, int adminPort)
    {
        if (!units.runsOn(container.suite()))
            fail(units + " needs systemd " + units.minimumSystemd + "+, " + container.suite() + " has " + container.suite().systemd);
        Map<String, String> files = new LinkedHashMap<>(units.withPorts(port, adminPort));
        files.put(HARNESS_DROP_IN, "[Service]\nEnvironment=\"JAVA_TOOL_OPTIONS=" + String.join(" ", ExampleProcess.TEST_JVM_ARGS) + "\"\n");
        container.install(files);
        return new AppService(container, units, port, adminPort);
    }

    public SystemdContainer container()
    {
        return container;
    }

    public int port()
    {
        return port;
    }

    public int adminPort()
    {
        return adminPort;
    }

    /** The unit a test starts: app.service, or the socket unit(s) of a socket variant. */
    public String[] startUnits()
    {
        return switch (units)
        {
            case SOCKET -> new String[]{"app.socket"};
            case TWO_SOCKETS -> new String[]{"app-http.socket", "app-admin.socket"};
            default -> new String[]{UnitFiles.SERVICE};
        };
    }

    /** {@code systemctl start} of {@link #startUnits()}, then waits until /status answers and MainPID is the pid that answered. */
    public ExampleStatus start() throws IOException
    {
        String[] args = new String[startUnits().length + 1];
        args[0] = "start";
        System.arraycopy(startUnits(), 0, args, 1, startUnits().length);
        container.systemctlOk(args);
        return awaitServing();
    }

    /** Waits until app.service is active, /status answers and MainPID is the pid that answered. */
    public ExampleStatus awaitServing() throws IOException
    {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String problem = "";
        while (System.nanoTime() < deadline)
        {
            try
            {
                ExampleStatus status = status();
                long mainPid = mainPid();
                if (status.pid() == mainPid && "active".equals(activeState()))
                    return status;
                problem = "MainPID " + mainPid + ", /status pid " + status.pid() + ", ActiveState " + activeState();
            }
            catch (IOException x)
            {
                problem = "/status: " + x;
            }
            Restarts.pause(Duration.ofMillis(100));
        }
        fail(UnitFiles.SERVICE + " did not serve within 60 s: " + problem + "\n" + journal());
        return null;
    }

    /** GET /status on a fresh connection to 127.0.0.1:port. */
    public ExampleStatus status() throws IOException
    {
        Http.Response response = Http.get(Http.IPV4, port, "/status", Http.DEFAULT_TIMEOUT);
        assertEquals(200, response.status(), "GET /status: " + response);
        return ExampleStatus.parse(response.body());
    }

    /** {@code systemctl reload app.service}; @return its outcome */
    public Tools.Result reload()
    {
        return container.systemctl("reload", UnitFiles.SERVICE);
    }

    public long mainPid()
    {
        return Long.parseLong(property("MainPID"));
    }

    public String activeState()
    {
        return property("ActiveState");
    }

    public String property(String name)
    {
        return container.property(UnitFiles.SERVICE, name);
    }

    /** Polls until MainPID is {@code pid}. */
    public void awaitMainPid(long pid, Duration timeout)
    {
        Restarts.await(() -> mainPid() == pid, timeout, "MainPID of " + UnitFiles.SERVICE + " to become " + pid + " (it is " + mainPid() + ")");
    }

    /** @return this boot's journal of app.service and its sockets */
    public String journal()
    {
        return container.journal(UnitFiles.PREFIX + "*");
    }

    /** Polls the journal (it lags) until it matches {@code regex}; @return the journal */
    public String awaitJournal(String regex)
    {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + JOURNAL_LAG.toNanos();
        String journal = journal();
        while (!pattern.matcher(journal).find())
        {
            if (System.nanoTime() > deadline)
                fail("the journal of " + UnitFiles.PREFIX + "* never matched /" + regex + "/ within " + JOURNAL_LAG.toSeconds() + " s:\n" + journal);
            Restarts.pause(Duration.ofMillis(200));
            journal = journal();
        }
        return journal;
    }

    /**
     * Asserts the journal has none of the {@link #FORBIDDEN} lines, after waiting until it shows {@code lastEvent}
     * (a regex: the last thing the scenario did), so that lagging lines are in.
     */
    public void assertCleanJournal(String lastEvent)
    {
        String journal = awaitJournal(lastEvent);
        List<String> bad = journal.lines().filter(line -> FORBIDDEN.stream().anyMatch(line::contains)).toList();
        if (!bad.isEmpty())
            fail("the journal of " + UnitFiles.PREFIX + "* has lines that mean systemd does not supervise the JVM as its own:\n" +
                String.join("\n", bad));
    }
}
