package io.jettygraceful;

import java.util.Objects;

/**
 * A setting of {@link GracefulRestartConfiguration} that cannot work: thrown by its setters and by
 * {@link GracefulRestartConfiguration#validate()}, with the same message in every way of configuring the library.
 *
 * <p>The {@linkplain #setting() setting} is the configuration's own name ({@code readyTimeout},
 * {@code warmUp.threads}); a binding that spells its properties otherwise ({@code jetty.graceful.ready-timeout} in
 * Spring Boot, {@code jetty.graceful.restart.readyTimeout} in jetty.xml, {@code gracefulRestart.readyTimeout} in
 * Dropwizard) reports its own name with {@link #problem()} and {@link #fix()}.</p>
 */
public class InvalidSettingException extends IllegalArgumentException
{
    private final String setting;
    private final transient Object value;
    private final String problem;
    private final String fix;

    /**
     * @param setting the setting's name in {@link GracefulRestartConfiguration}
     * @param value   the value that was given (may be null)
     * @param problem why it cannot work, e.g. "it must be a positive duration"
     * @param fix     what to set instead, e.g. "a duration such as 30s"
     */
    public InvalidSettingException(String setting, Object value, String problem, String fix)
    {
        super("Invalid jetty-graceful setting " + setting + " = " + value + ": " + problem + ". Fix: " + fix);
        this.setting = Objects.requireNonNull(setting, "setting");
        this.value = value;
        this.problem = Objects.requireNonNull(problem, "problem");
        this.fix = Objects.requireNonNull(fix, "fix");
    }

    /** @return the setting's name in {@link GracefulRestartConfiguration}, e.g. {@code readyTimeout} or {@code warmUp.count} */
    public String setting()
    {
        return setting;
    }

    /** @return the value that was refused */
    public Object value()
    {
        return value;
    }

    /** @return why the value cannot work */
    public String problem()
    {
        return problem;
    }

    /** @return what to set instead */
    public String fix()
    {
        return fix;
    }
}
