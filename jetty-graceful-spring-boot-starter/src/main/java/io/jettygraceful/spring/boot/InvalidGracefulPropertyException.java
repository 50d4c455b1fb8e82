package io.jettygraceful.spring.boot;

/**
 * A {@code jetty.graceful.*} value that cannot work. {@link GracefulPropertiesFailureAnalyzer} turns it into Boot's
 * "APPLICATION FAILED TO START" report with the property, the value, the problem and the fix.
 */
public class InvalidGracefulPropertyException extends RuntimeException
{
    private final String property;
    private final Object value;
    private final String problem;
    private final String fix;

    /**
     * @param property the property's name below {@code jetty.graceful.}, e.g. {@code ready-timeout}
     */
    public InvalidGracefulPropertyException(String property, Object value, String problem, String fix)
    {
        this(property, value, problem, fix, null);
    }

    public InvalidGracefulPropertyException(String property, Object value, String problem, String fix, Throwable cause)
    {
        super(JettyGracefulProperties.PREFIX + "." + property + " = " + shown(value) + ": " + problem + ". Fix: " + fix + ".", cause);
        this.property = JettyGracefulProperties.PREFIX + "." + property;
        this.value = shown(value);
        this.problem = problem;
        this.fix = fix;
    }

    /** @return the library's refusal of a setting, named as the Boot property that carries it */
    public static InvalidGracefulPropertyException of(io.jettygraceful.InvalidSettingException refused)
    {
        String property = refused.setting().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
        return new InvalidGracefulPropertyException(property, refused.value(), refused.problem(), refused.fix(), refused);
    }

    /** Durations as Boot users write them (500ms), not as ISO-8601 (PT0.5S). */
    private static Object shown(Object value)
    {
        return value instanceof java.time.Duration duration ? duration.toMillis() + "ms" : value;
    }

    /** @return the full property name, e.g. {@code jetty.graceful.ready-timeout} */
    public String getProperty()
    {
        return property;
    }

    public Object getValue()
    {
        return value;
    }

    public String getProblem()
    {
        return problem;
    }

    public String getFix()
    {
        return fix;
    }
}
