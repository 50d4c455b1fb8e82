package io.jettygraceful.javalin.example;

import java.time.Duration;
import java.util.Locale;

/**
 * The sample's command line. Each restart setting is handed to the plugin as given, so a value that cannot work is
 * refused by the plugin itself, naming the setting and the fix.
 */
final class ExampleOptions
{
    static final String USAGE = "usage: java -jar jetty-graceful-javalin-example.jar [options]\n" +
        "  --host HOST              address to bind when no socket is inherited (default 127.0.0.1)\n" +
        "  --port PORT              port to bind when no socket is inherited (default 8083; 0 = any free port)\n" +
        "  --drain-timeout D        e.g. 30s, 500ms (default 30s)\n" +
        "  --ready-timeout D        (default 60s)\n" +
        "  --handover-spread D      (default 1s)\n" +
        "  --replacement-nice N     (default 5)\n" +
        "  --signal NAME            HUP (default), USR1, or none\n" +
        "  --pid-file FILE          keep the serving pid in FILE\n" +
        "  --holder MODE            auto (default), always, never\n" +
        "  --inherit-required       fail unless the socket is inherited (systemd socket activation)\n" +
        "  --readiness-gate FILE    a replacement reports ready only once FILE exists (for tests)\n" +
        "  --stop-marker FILE       append Javalin's stop events to FILE (for tests)";

    String host = "127.0.0.1";
    int port = 8083;
    String drainTimeout;
    String readyTimeout;
    String handoverSpread;
    String replacementNice;
    String signal;
    String pidFile;
    String holder;
    boolean inheritRequired;
    String readinessGate;
    String stopMarker;

    static ExampleOptions parse(String[] args)
    {
        ExampleOptions options = new ExampleOptions();
        for (int i = 0; i < args.length; i++)
        {
            String arg = args[i];
            if (arg.equals("--inherit-required"))
            {
                options.inheritRequired = true;
                continue;
            }
            if (arg.equals("--help") || arg.equals("-h"))
                throw new IllegalArgumentException(USAGE);
            if (i + 1 >= args.length)
                throw new IllegalArgumentException(arg + " needs a value\n" + USAGE);
            String value = args[++i];
            switch (arg)
            {
                case "--host" -> options.host = value;
                case "--port" -> options.port = port(value);
                case "--drain-timeout" -> options.drainTimeout = value;
                case "--ready-timeout" -> options.readyTimeout = value;
                case "--handover-spread" -> options.handoverSpread = value;
                case "--replacement-nice" -> options.replacementNice = value;
                case "--signal" -> options.signal = value;
                case "--pid-file" -> options.pidFile = value;
                case "--holder" -> options.holder = value;
                case "--readiness-gate" -> options.readinessGate = value;
                case "--stop-marker" -> options.stopMarker = value;
                default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
        }
        return options;
    }

    private static int port(String value)
    {
        try
        {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535)
                return port;
        }
        catch (NumberFormatException x)
        {
            // below
        }
        throw new IllegalArgumentException("--port " + value + ": expected 0 to 65535\n" + USAGE);
    }

    /** @return {@code 30s}, {@code 500ms}, {@code 2m} or a plain number of milliseconds as a Duration (negative ones too: the plugin judges them) */
    static Duration duration(String option, String value)
    {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try
        {
            if (v.endsWith("ms"))
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s"))
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            if (v.endsWith("m"))
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            return Duration.ofMillis(Long.parseLong(v));
        }
        catch (NumberFormatException x)
        {
            throw new IllegalArgumentException(option + " " + value + ": expected a duration such as 30s or 500ms\n" + USAGE);
        }
    }
}
