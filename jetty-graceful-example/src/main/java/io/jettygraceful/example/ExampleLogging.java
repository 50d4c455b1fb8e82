package io.jettygraceful.example;

/**
 * The example's log format: slf4j-simple's ({@code simplelogger.properties}) with this process's pid in each line,
 * because during a restart two generations write to the same stdout. slf4j-simple has no pid field: the pid goes in
 * as a literal of the date format, which must be set before the first logger is created.
 */
final class ExampleLogging
{
    static final String DATE_TIME_FORMAT_KEY = "org.slf4j.simpleLogger.dateTimeFormat";

    private ExampleLogging()
    {
    }

    /**
     * Puts {@code pid=N} after the time of each line (the format of {@code simplelogger.properties}, then the pid),
     * unless {@value #DATE_TIME_FORMAT_KEY} was set on the command line.
     */
    static void putThePidInEachLine()
    {
        if (System.getProperty(DATE_TIME_FORMAT_KEY) == null)
            System.setProperty(DATE_TIME_FORMAT_KEY, withPid(configuredFormat(), ProcessHandle.current().pid()));
    }

    /** @return {@code format} followed by {@code pid=N} as a literal, e.g. {@code 2026-12-07T23:40:01.123+0000 pid=4273} */
    static String withPid(String format, long pid)
    {
        return format + "' pid=" + pid + "'";
    }

    /** @return the date format of {@code simplelogger.properties} */
    static String configuredFormat()
    {
        java.util.Properties settings = new java.util.Properties();
        try (java.io.InputStream in = ExampleLogging.class.getClassLoader().getResourceAsStream("simplelogger.properties"))
        {
            if (in != null)
                settings.load(in);
        }
        catch (java.io.IOException x)
        {
            // slf4j-simple would not read it either: its default format then
        }
        return settings.getProperty(DATE_TIME_FORMAT_KEY, "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    }
}
