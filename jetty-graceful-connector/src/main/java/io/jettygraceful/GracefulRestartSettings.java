package io.jettygraceful;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catalogue of {@link GracefulRestartConfiguration}'s settings: each one's name, kind, default (read from a new
 * configuration, so there is one source of defaults) and a way to set it from text. Bindings that take settings as
 * text (command-line options, jetty-home properties) use {@link Setting#set(GracefulRestartConfiguration, String)};
 * every binding's tests check themselves against {@link #all()}, so a setting missing from a binding, or bound with
 * another default, fails a build.
 *
 * <p>Names are the configuration's bean names; a nested one is written {@code warmUp.count}. Each binding derives its
 * own spelling from it: {@link Setting#kebabName()} for Spring Boot and command-line options.</p>
 */
public final class GracefulRestartSettings
{
    /** What a setting holds, and so how its text is read. */
    public enum Kind
    {
        /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or a bare number of milliseconds. */
        DURATION,
        INTEGER,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        TEXT,
        /** Elements separated by commas. */
        LIST
    }

    private static final List<Setting> ALL = List.of(
        text("signal", GracefulRestartConfiguration::getSignal, GracefulRestartConfiguration::setSignal),
        duration("readyTimeout", GracefulRestartConfiguration::getReadyTimeout, GracefulRestartConfiguration::setReadyTimeout),
        duration("drainTimeout", GracefulRestartConfiguration::getDrainTimeout, GracefulRestartConfiguration::setDrainTimeout),
        duration("killGrace", GracefulRestartConfiguration::getKillGrace, GracefulRestartConfiguration::setKillGrace),
        list("command", GracefulRestartConfiguration::getCommand, GracefulRestartConfiguration::setCommand),
        bool("exitAfterDrain", GracefulRestartConfiguration::isExitAfterDrain, GracefulRestartConfiguration::setExitAfterDrain),
        text("pidFile", GracefulRestartConfiguration::getPidFile, GracefulRestartConfiguration::setPidFile),
        bool("systemdNotify", GracefulRestartConfiguration::isSystemdNotify, GracefulRestartConfiguration::setSystemdNotify),
        bool("systemdFdStore", GracefulRestartConfiguration::isSystemdFdStore, GracefulRestartConfiguration::setSystemdFdStore),
        bool("drainOnStop", GracefulRestartConfiguration::isDrainOnStop, GracefulRestartConfiguration::setDrainOnStop),
        duration("takeBackWindow", GracefulRestartConfiguration::getTakeBackWindow, GracefulRestartConfiguration::setTakeBackWindow),
        duration("handoverSpread", GracefulRestartConfiguration::getHandoverSpread, GracefulRestartConfiguration::setHandoverSpread),
        integer("replacementNice", GracefulRestartConfiguration::getReplacementNice, GracefulRestartConfiguration::setReplacementNice),
        bool("moveConnections", GracefulRestartConfiguration::isMoveConnections, GracefulRestartConfiguration::setMoveConnections),
        text("holder", GracefulRestartConfiguration::getHolder, GracefulRestartConfiguration::setHolder),
        duration("webSocketCloseSpread", GracefulRestartConfiguration::getWebSocketCloseSpread, GracefulRestartConfiguration::setWebSocketCloseSpread),
        list("warmUp.requests", c -> c.getWarmUp().getRequests(), (c, v) -> c.getWarmUp().setRequests(v)),
        integer("warmUp.count", c -> c.getWarmUp().getCount(), (c, v) -> c.getWarmUp().setCount(v)),
        integer("warmUp.threads", c -> c.getWarmUp().getThreads(), (c, v) -> c.getWarmUp().setThreads(v)),
        duration("warmUp.duration", c -> c.getWarmUp().getDuration(), (c, v) -> c.getWarmUp().setDuration(v)),
        text("warmUp.allowedStatuses", c -> c.getWarmUp().getAllowedStatuses(), (c, v) -> c.getWarmUp().setAllowedStatuses(v)));

    private static final Pattern DURATION_TEXT = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private GracefulRestartSettings()
    {
    }

    /** @return every setting, in the order of the README's table */
    public static List<Setting> all()
    {
        return ALL;
    }

    /** @return the setting of that name ({@code readyTimeout}, {@code warmUp.count}), if there is one */
    public static Optional<Setting> named(String name)
    {
        return ALL.stream().filter(setting -> setting.name().equals(name)).findFirst();
    }

    /**
     * @return the duration {@code text} names: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or a bare number of
     * milliseconds
     * @throws IllegalArgumentException for anything else
     */
    public static Duration parseDuration(String text)
    {
        Matcher matcher = DURATION_TEXT.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches())
            throw new IllegalArgumentException("'" + text + "' is not a duration: write it as 500ms, 30s, 2m or 1h (a bare number is milliseconds)");
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
        return switch (unit)
        {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofMillis(amount);
        };
    }

    /** One setting of {@link GracefulRestartConfiguration}. */
    public static final class Setting
    {
        private final String name;
        private final Kind kind;
        private final Function<GracefulRestartConfiguration, Object> getter;
        private final BiConsumer<GracefulRestartConfiguration, String> textSetter;

        private Setting(String name, Kind kind, Function<GracefulRestartConfiguration, Object> getter, BiConsumer<GracefulRestartConfiguration, String> textSetter)
        {
            this.name = name;
            this.kind = kind;
            this.getter = getter;
            this.textSetter = textSetter;
        }

        /** @return the configuration's name for it: {@code readyTimeout}, {@code warmUp.count} */
        public String name()
        {
            return name;
        }

        /** @return the name in kebab case, as Spring Boot and the command line write it: {@code ready-timeout}, {@code warm-up.count} */
        public String kebabName()
        {
            return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
        }

        public Kind kind()
        {
            return kind;
        }

        /** @return its value in a new configuration ({@code null} for none): a {@link Duration}, Integer, Boolean, String or List */
        public Object defaultValue()
        {
            return get(new GracefulRestartConfiguration());
        }

        /** @return its value in {@code configuration} */
        public Object get(GracefulRestartConfiguration configuration)
        {
            return getter.apply(configuration);
        }

        /**
         * Sets it from text, read according to its {@link #kind()}.
         *
         * @throws InvalidSettingException for text that does not read as its kind, or a value the setting refuses
         */
        public void set(GracefulRestartConfiguration configuration, String text)
        {
            Objects.requireNonNull(configuration, "configuration");
            textSetter.accept(configuration, text);
        }

        /** @return its value in {@code configuration} as text that {@link #set} reads back */
        public String text(GracefulRestartConfiguration configuration)
        {
            return textOf(get(configuration));
        }

        /** @return {@code value} as text that {@link #set} reads back: durations in whole seconds, else milliseconds */
        public static String textOf(Object value)
        {
            if (value == null)
                return "";
            if (value instanceof Duration duration)
            {
                long millis = duration.toMillis();
                if (millis % 1000 == 0)
                    return millis / 1000 + "s";
                return millis + "ms";
            }
            if (value instanceof List<?> list)
                return String.join(",", list.stream().map(String::valueOf).toList());
            return String.valueOf(value);
        }

        @Override
        public String toString()
        {
            return name + " (" + kind.name().toLowerCase(Locale.ROOT) + ", default " + (defaultValue() == null ? "none" : textOf(defaultValue())) + ")";
        }
    }

    private static Setting text(String name, Function<GracefulRestartConfiguration, String> getter, BiConsumer<GracefulRestartConfiguration, String> setter)
    {
        return new Setting(name, Kind.TEXT, getter::apply, setter);
    }

    private static Setting duration(String name, Function<GracefulRestartConfiguration, Duration> getter, BiConsumer<GracefulRestartConfiguration, Duration> setter)
    {
        return new Setting(name, Kind.DURATION, getter::apply, (config, text) -> setter.accept(config, read(name, text, GracefulRestartSettings::parseDuration)));
    }

    private static Setting integer(String name, Function<GracefulRestartConfiguration, Integer> getter, BiConsumer<GracefulRestartConfiguration, Integer> setter)
    {
        return new Setting(name, Kind.INTEGER, getter::apply, (config, text) -> setter.accept(config, read(name, text, value ->
        {
            try
            {
                return Integer.valueOf(value.trim());
            }
            catch (NumberFormatException x)
            {
                throw new IllegalArgumentException("'" + value + "' is not a whole number");
            }
        })));
    }

    private static Setting bool(String name, Function<GracefulRestartConfiguration, Boolean> getter, BiConsumer<GracefulRestartConfiguration, Boolean> setter)
    {
        return new Setting(name, Kind.BOOLEAN, getter::apply, (config, text) -> setter.accept(config, read(name, text, value ->
        {
            String lower = value.trim().toLowerCase(Locale.ROOT);
            if (!lower.equals("true") && !lower.equals("false"))
                throw new IllegalArgumentException("'" + value + "' is neither true nor false");
            return Boolean.valueOf(lower);
        })));
    }

    private static Setting list(String name, Function<GracefulRestartConfiguration, List<String>> getter, BiConsumer<GracefulRestartConfiguration, List<String>> setter)
    {
        return new Setting(name, Kind.LIST, getter::apply, (config, text) -> setter.accept(config,
            text == null || text.isBlank() ? List.of() : Arrays.stream(text.split(",")).map(String::trim).toList()));
    }

    private static <T> T read(String name, String text, Function<String, T> parse)
    {
        if (text == null)
            throw new InvalidSettingException(name, null, "it has no value", "give a value, or leave the setting out for its default");
        try
        {
            return parse.apply(text);
        }
        catch (IllegalArgumentException x)
        {
            throw new InvalidSettingException(name, text, x.getMessage(), "see the settings table in the README for its form");
        }
    }
}
