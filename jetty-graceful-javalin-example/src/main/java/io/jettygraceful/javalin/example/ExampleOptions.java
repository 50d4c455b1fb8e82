package io.jettygraceful.javalin.example;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.jettygraceful.GracefulRestartConfiguration;
import io.jettygraceful.GracefulRestartSettings;

/**
 * The sample's command line: where to listen, two test hooks, and every setting of the restart as
 * {@code --<setting>} (its kebab name, {@code --drain-timeout 20s}, {@code --warm-up-count 500}), as the plain example
 * has them. The settings are only collected here: they are set on the plugin's configuration inside
 * {@code Javalin.create} ({@link #applyTo}), so a value that cannot work is refused by the plugin's configuration
 * itself, naming the setting and the fix, and stops the start.
 */
final class ExampleOptions
{
    static final String USAGE = String.join("\n",
        "usage: java -jar jetty-graceful-javalin-example.jar [options]",
        "  --host HOST              address to bind when no socket is inherited (default 127.0.0.1)",
        "  --port PORT              port to bind when no socket is inherited (default 8083; 0 = any free port)",
        "  --inherit-required       fail unless the socket is inherited (systemd socket activation) (flag)",
        "  --readiness-gate FILE    a replacement reports ready only once FILE exists (for tests)",
        "  --stop-marker FILE       append Javalin's serverStopping/serverStopped events to FILE (for tests)",
        "Every setting of the restart (README, \"Settings\"), with its default:",
        GracefulRestartSettings.all().stream()
            .map(setting -> String.format("  %-32s default: %s", option(setting) + " " + setting.kind().name(),
                setting.defaultValue() == null ? "none" : "'" + GracefulRestartSettings.Setting.textOf(setting.defaultValue()) + "'"))
            .collect(Collectors.joining("\n")),
        "Durations: 500ms, 30s, 2m; lists separated by commas. SIGHUP restarts with zero downtime.");

    String host = "127.0.0.1";
    int port = 8083;
    boolean inheritRequired;
    String readinessGate;
    String stopMarker;
    /** Restart settings by name ({@code drainTimeout}), as given. */
    final Map<String, String> settings = new LinkedHashMap<>();

    /** @return the option of a setting: its kebab name with dots as dashes, {@code --warm-up-count} */
    static String option(GracefulRestartSettings.Setting setting)
    {
        return "--" + setting.kebabName().replace('.', '-');
    }

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
                case "--readiness-gate" -> options.readinessGate = value;
                case "--stop-marker" -> options.stopMarker = value;
                default ->
                {
                    Optional<GracefulRestartSettings.Setting> setting = GracefulRestartSettings.all().stream()
                        .filter(candidate -> option(candidate).equals(arg)).findFirst();
                    if (setting.isEmpty())
                        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
                    options.settings.put(setting.get().name(), value);
                }
            }
        }
        return options;
    }

    /**
     * Sets the restart settings given on the command line on {@code configuration}, in order.
     *
     * @throws io.jettygraceful.InvalidSettingException from the configuration, for a value that cannot work
     */
    void applyTo(GracefulRestartConfiguration configuration)
    {
        settings.forEach((name, text) -> GracefulRestartSettings.named(name).orElseThrow().set(configuration, text));
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
}
