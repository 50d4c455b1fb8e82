package io.jettygraceful.example;

import java.time.Duration;
import java.util.Locale;

/**
 * Command-line options of the example server. Every option has a default; a bad value is an
 * {@link IllegalArgumentException} whose message names the option and the expected form.
 */
final class ExampleOptions
{
    String host = null;
    /** The port to bind; {@code null} when not given (8081 then, unless sockets are inherited). */
    Integer port = null;
    Duration drainTimeout = Duration.ofSeconds(30);
    Duration readyTimeout = Duration.ofSeconds(60);
    String pidFile = null;
    int acceptors = -1;
    Duration readyDelay = Duration.ZERO;
    int warmUp = 0;
    int warmUpThreads = 1;
    /** {@code --warm-up-requests}: the warm-up's mix, or {@code null} for the default 9 {@code /uuid} to 1 {@code /status}. */
    String warmUpRequests = null;
    String warmUpAllow = null;
    boolean reusePort = false;
    boolean plainConnector = false;
    boolean failReadiness = false;
    boolean fdStore = false;
    boolean moveConnections = true;
    String tlsKeystore = null;
    String tlsPassword = null;
    String holder = "auto";
    /** A Unix-domain socket path to serve on (bound when not inherited), or {@code null}. */
    java.nio.file.Path unixSocket = null;
    Duration webSocketCloseSpread = Duration.ofSeconds(5);
    Duration handoverSpread = Duration.ofSeconds(1);
    int replacementNice = 5;

    static final String USAGE = String.join("\n",
        "usage: java -jar jetty-graceful-example.jar [options]",
        "  --host HOST            address to bind when no socket is inherited (default: all addresses)",
        "  --port PORT            port to bind when no socket is inherited (default: 8081; 0 = any free port);\n" +
        "                         with an inherited socket, a different PORT is warned about",
        "  --drain-timeout DUR    how long a replaced process finishes in-flight requests (default: 30s)",
        "  --ready-timeout DUR    how long a replacement may take to become ready (default: 60s)",
        "  --pid-file PATH        keep the serving process's pid in PATH (default: none)",
        "  --fd-store             under systemd, keep the listening socket in the unit's fd store (needs\n" +
        "                         FileDescriptorStoreMax=; on by itself with systemd 254+), so that it stays open across\n" +
        "                         systemctl restart and crashes (flag)",
        "  --acceptors N          acceptor threads; 0 accepts in the selector (default: Jetty's choice)",
        "  --warm-up N            a replacement serves N requests to itself (9 GET /uuid to 1 GET /status, through an",
        "                         in-process LocalConnector: io.jettygraceful.WarmUpReadinessCheck) before reporting ready,",
        "                         so the JIT has compiled the request path; a 5xx fails its readiness (default: 0)",
        "  --warm-up-threads N    threads that send the --warm-up requests at once (default: 1)",
        "  --warm-up-requests MIX the --warm-up requests instead, e.g. '/uuid, GET /status | Accept: application/json'",
        "  --warm-up-allow LIST   statuses a --warm-up response may have, e.g. '2xx, 304' (default: any below 500)",
        "  --ready-delay DUR      a replacement waits this long before reporting ready, serving nothing meanwhile (tests of the ready timeout; default: 0)",
        "  --fail-readiness       a replacement's readiness check fails, so it reports FAILED and exits 1 (tests; flag)",
        "  --tls-keystore PATH    serve TLS, ALPN choosing h2 or HTTP/1.1, with the key and certificate in this PKCS12 file",
        "                         (default: plain HTTP); needs --tls-password",
        "  --tls-password PW      password of the --tls-keystore file",
        "  --holder MODE          after a handoff the first process stays as the container's holder: auto (when it is",
        "                         PID 1, default), always (the child of tini, dumb-init, docker run --init), never",
        "  --ws-close-spread DUR  a replaced process closes its /ws sessions with 1012 spread over this window (default: 5s)",
        "  --handover-spread DUR  after a handoff both processes accept this long while the old one moves its connections",
        "                         over one by one (default: 1s; 0 moves them all at once)",
"  --no-move-connections  a replaced process closes its idle HTTP/1.1 connections instead of moving them, sockets",
        "                         open, to the replacement (flag; moving is the default)",
        "  --replacement-nice N   a replacement runs N nicer until it is told to accept (0 to 19, default: 5)",
        "  --unix-socket PATH     also serve on this Unix-domain socket, bound when not inherited (a stale socket file is",
        "                         replaced; removed on a real stop); without --port, serve on it alone",
        "  --reuse-port           bind with SO_REUSEPORT, for comparing with overlapping restarts (flag)",
        "  --plain-connector      use Jetty's ServerConnector instead of InheritedServerConnector, for comparison (flag;",
        "                         no socket is inherited or handed over)",
        "Durations: 500ms, 30s, 2m. Send SIGHUP to restart with zero downtime.");

    static ExampleOptions parse(String[] args)
    {
        ExampleOptions options = new ExampleOptions();
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
            if (arg.equals("--no-move-connections"))
            {
                options.moveConnections = false;
                continue;
            }
            if (arg.equals("--fd-store"))
            {
                options.fdStore = true;
                continue;
            }
            if (i + 1 >= args.length)
                throw new IllegalArgumentException("option " + arg + " needs a value\n" + USAGE);
            String value = args[++i];
            switch (arg)
            {
                case "--host" -> options.host = value;
                case "--port" -> options.port = parsePort(value);
                case "--drain-timeout" -> options.drainTimeout = parseDuration(arg, value);
                case "--ready-timeout" -> options.readyTimeout = parseDuration(arg, value);
                case "--pid-file" -> options.pidFile = value;
                case "--ready-delay" -> options.readyDelay = parseDuration(arg, value);
                case "--warm-up" -> options.warmUp = parseInt(arg, value, 0, 1_000_000);
                case "--warm-up-threads" -> options.warmUpThreads = parseInt(arg, value, 1, 64);
                case "--warm-up-requests" -> options.warmUpRequests = value;
                case "--warm-up-allow" -> options.warmUpAllow = value;
                case "--acceptors" -> options.acceptors = parseInt(arg, value, -1, 64);
                case "--tls-keystore" -> options.tlsKeystore = value;
                case "--tls-password" -> options.tlsPassword = value;
                case "--holder" -> options.holder = value;
                case "--unix-socket" -> options.unixSocket = parseUnixSocket(value);
                case "--ws-close-spread" -> options.webSocketCloseSpread = parseDuration(arg, value);
                case "--handover-spread" -> options.handoverSpread = parseDuration(arg, value);
                case "--replacement-nice" -> options.replacementNice = parseInt(arg, value, 0, 19);
                default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
        }
        if ((options.tlsKeystore == null) != (options.tlsPassword == null))
            throw new IllegalArgumentException("--tls-keystore and --tls-password go together: give both to serve HTTPS, or neither\n" + USAGE);
        return options;
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
