package io.jettygraceful.example;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;
import io.jettygraceful.InvalidSettingException;

/**
 * Command-line options of the example server. Every option has a default; a bad value is an
 * {@link IllegalArgumentException} whose message names the option and the expected form. Besides the example's own
 * options, every setting of {@link GracefulRestartConfiguration} is an option, its name in kebab case
 * ({@code --ready-timeout 60s}, {@code --warm-up-threads 2}; see {@link #settingOption}).
 */
final class ExampleOptions
{
    String host = null;
    /** The port to bind; {@code null} when not given (8081 then, unless sockets are inherited). */
    Integer port = null;
    int acceptors = -1;
    Duration readyDelay = Duration.ZERO;
    boolean reusePort = false;
    boolean plainConnector = false;
    boolean failReadiness = false;
    String tlsKeystore = null;
    String tlsPassword = null;
    /** A Unix-domain socket path to serve on (bound when not inherited), or {@code null}. */
    java.nio.file.Path unixSocket = null;
    /** Every setting of the restart: {@code --<setting>} for each one of {@link GracefulRestartSettings#all()}. */
    final GracefulRestartConfiguration restart = new GracefulRestartConfiguration();

    /** The nine {@code /uuid} to one {@code /status} mix (the shape of the benchmark's traffic) that {@code --warm-up N} replays without {@code --warm-up-requests}. */
    static final List<String> WARM_UP_MIX = List.of("GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /uuid", "GET /status");

    static final String USAGE = String.join("\n",
        "usage: java -jar jetty-graceful-example.jar [options]",
        "  --host HOST            address to bind when no socket is inherited (default: all addresses)",
        "  --port PORT            port to bind when no socket is inherited (default: 8081; 0 = any free port);\n" +
        "                         with an inherited socket, a different PORT is warned about",
        "  --acceptors N          acceptor threads; 0 accepts in the selector (default: Jetty's choice)",
        "  --warm-up N            a replacement serves N requests to itself (9 GET /uuid to 1 GET /status unless",
        "                         --warm-up-requests is given) before reporting ready (--warm-up-count with that mix)",
        "  --fd-store             --systemd-fd-store true (flag)",
        "  --ws-close-spread DUR  --web-socket-close-spread DUR",
        "  --warm-up-allow LIST   --warm-up-allowed-statuses LIST",
        "  --ready-delay DUR      a replacement waits this long before reporting ready, serving nothing meanwhile (tests of the ready timeout; default: 0)",
        "  --fail-readiness       a replacement's readiness check fails, so it reports FAILED and exits 1 (tests; flag)",
        "  --tls-keystore PATH    serve TLS, ALPN choosing h2 or HTTP/1.1, with the key and certificate in this PKCS12 file",
        "                         (default: plain HTTP); needs --tls-password",
        "  --tls-password PW      password of the --tls-keystore file",
        "  --unix-socket PATH     also serve on this Unix-domain socket, bound when not inherited (a stale socket file is",
        "                         replaced; removed on a real stop); without --port, serve on it alone",
        "  --reuse-port           bind with SO_REUSEPORT, for comparing with overlapping restarts (flag)",
        "  --plain-connector      use Jetty's ServerConnector instead of InheritedServerConnector, for comparison (flag;",
        "                         no socket is inherited or handed over)",
        "Every setting of the restart (README, \"Settings\"), with its default:",
        GracefulRestartSettings.all().stream()
            .map(setting -> String.format("  %-32s default: %s", settingOption(setting) + " " + setting.kind().name(),
                setting.defaultValue() == null ? "none" : "'" + GracefulRestartSettings.Setting.textOf(setting.defaultValue()) + "'"))
            .collect(Collectors.joining("\n")),
        "Durations: 500ms, 30s, 2m (a bare number is seconds); lists separated by commas. SIGHUP restarts with zero downtime.");

    /** @return the command-line option of a setting: its kebab name with dots as dashes, {@code --warm-up-count} */
    static String settingOption(GracefulRestartSettings.Setting setting)
    {
        return "--" + setting.kebabName().replace('.', '-');
    }

    static ExampleOptions parse(String[] args)
    {
        ExampleOptions options = new ExampleOptions();
        Integer warmUpCount = null;
        for (int i = 0; i < args.length; i++)
        {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h"))
                throw new IllegalArgumentException(USAGE);
            if (arg.equals("--reuse-port"))
            {
                options.reusePort = true;
                continue;
            }
            if (arg.equals("--plain-connector"))
            {
                options.plainConnector = true;
                continue;
            }
            if (arg.equals("--fail-readiness"))
            {
                options.failReadiness = true;
                continue;
            }
            if (arg.equals("--fd-store"))
            {
                options.restart.setSystemdFdStore(true);
                continue;
            }
            if (i + 1 >= args.length)
                throw new IllegalArgumentException("option " + arg + " needs a value\n" + USAGE);
            String value = args[++i];
            switch (arg)
            {
                case "--host" -> options.host = value;
                case "--port" -> options.port = parsePort(value);
                case "--ready-delay" -> options.readyDelay = parseDuration(arg, value);
                case "--warm-up" -> warmUpCount = parseInt(arg, value, 0, 1_000_000);
                case "--acceptors" -> options.acceptors = parseInt(arg, value, -1, 64);
                case "--tls-keystore" -> options.tlsKeystore = value;
                case "--tls-password" -> options.tlsPassword = value;
                case "--unix-socket" -> options.unixSocket = parseUnixSocket(value);
                case "--ws-close-spread" -> options.set("webSocketCloseSpread", arg, value);
                case "--warm-up-allow" -> options.set("warmUp.allowedStatuses", arg, value);
                default ->
                {
                    Optional<GracefulRestartSettings.Setting> setting = GracefulRestartSettings.all().stream()
                        .filter(candidate -> settingOption(candidate).equals(arg)).findFirst();
                    if (setting.isEmpty())
                        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
                    options.set(setting.get().name(), arg, value);
                }
            }
        }
        // --warm-up N: N requests of the configured mix, or of the example's own; 0 turns the warm-up off.
        if (warmUpCount != null)
        {
            if (warmUpCount == 0)
                options.restart.getWarmUp().setRequests(List.of());
            else if (options.restart.getWarmUp().getRequests().isEmpty())
                options.restart.getWarmUp().setRequests(WARM_UP_MIX);
            options.restart.getWarmUp().setCount(warmUpCount);
        }
        if ((options.tlsKeystore == null) != (options.tlsPassword == null))
            throw new IllegalArgumentException("--tls-keystore and --tls-password go together: give both to serve HTTPS, or neither\n" + USAGE);
        return options;
    }

    /** Sets a restart setting from its option; a duration may also be a bare number of seconds, as elsewhere here. */
    private void set(String name, String option, String value)
    {
        GracefulRestartSettings.Setting setting = GracefulRestartSettings.named(name).orElseThrow();
        String text = setting.kind() == GracefulRestartSettings.Kind.DURATION ? parseDuration(option, value).toMillis() + "ms" : value;
        try
        {
            setting.set(restart, text);
        }
        catch (InvalidSettingException x)
        {
            throw new IllegalArgumentException(option + " " + value + ": " + x.problem() + ". Fix: " + x.fix(), x);
        }
    }

    private static java.nio.file.Path parseUnixSocket(String value)
    {
        if (value.isBlank() || value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > io.jettygraceful.InheritedUnixDomainConnector.MAX_PATH_BYTES)
            throw new IllegalArgumentException("--unix-socket " + value + ": expected a path of 1 to " + io.jettygraceful.InheritedUnixDomainConnector.MAX_PATH_BYTES +
                " bytes (the size of a Unix-domain socket address)");
        return java.nio.file.Path.of(value);
    }

    private static int parsePort(String value)
    {
        return parseInt("--port", value, 0, 65535);
    }

    private static int parseInt(String option, String value, int min, int max)
    {
        try
        {
            int number = Integer.parseInt(value);
            if (number >= min && number <= max)
                return number;
        }
        catch (NumberFormatException ignored)
        {
            // reported below
        }
        throw new IllegalArgumentException(option + " " + value + ": expected a whole number from " + min + " to " + max);
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, or a bare number of seconds. */
    static Duration parseDuration(String option, String value)
    {
        String text = value.trim().toLowerCase(Locale.ROOT);
        try
        {
            if (text.endsWith("ms"))
                return nonNegative(option, value, Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))));
            if (text.endsWith("s"))
                return nonNegative(option, value, Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1))));
            if (text.endsWith("m"))
                return nonNegative(option, value, Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1))));
            return nonNegative(option, value, Duration.ofSeconds(Long.parseLong(text)));
        }
        catch (NumberFormatException x)
        {
            throw new IllegalArgumentException(option + " " + value + ": expected a duration such as 500ms, 30s or 2m");
        }
    }

    private static Duration nonNegative(String option, String value, Duration duration)
    {
        if (duration.isNegative())
            throw new IllegalArgumentException(option + " " + value + ": a duration cannot be negative");
        return duration;
    }
}
