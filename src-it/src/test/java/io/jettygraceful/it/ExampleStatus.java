package io.jettygraceful.it;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The example's {@code GET /status}, parsed from its (flat, known) JSON with patterns: no JSON library needed.
 *
 * @param parentPid 0 when the JSON says null
 */
public record ExampleStatus(long pid, String uuid, int generation, long parentPid, int inherited, List<Listener> listeners, String json)
{
    public record Listener(String address, boolean inherited)
    {
    }

    private static final Pattern LISTENER = Pattern.compile("\\{\"address\":\"([^\"]*)\",\"inherited\":(true|false)}");

    public static ExampleStatus parse(String json)
    {
        List<Listener> listeners = new ArrayList<>();
        Matcher m = LISTENER.matcher(json);
        while (m.find())
            listeners.add(new Listener(m.group(1), Boolean.parseBoolean(m.group(2))));
        String parent = field(json, "parentPid", "null|\\d+");
        return new ExampleStatus(Long.parseLong(field(json, "pid", "\\d+")), field(json, "uuid", "\"[0-9a-f-]+\"").replace("\"", ""),
            Integer.parseInt(field(json, "generation", "\\d+")), parent.equals("null") ? 0 : Long.parseLong(parent),
            Integer.parseInt(field(json, "inherited", "\\d+")), List.copyOf(listeners), json);
    }

    private static String field(String json, String name, String valuePattern)
    {
        Matcher m = Pattern.compile("\"" + name + "\":(" + valuePattern + ")").matcher(json);
        if (!m.find())
            throw new IllegalArgumentException("no \"" + name + "\" in /status: " + json);
        return m.group(1);
    }
}
