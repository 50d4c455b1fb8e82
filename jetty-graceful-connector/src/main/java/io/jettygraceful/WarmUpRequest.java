package io.jettygraceful;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One request of a {@link WarmUpReadinessCheck}'s mix, written as {@code [METHOD ]target[ | Name: value]...}:
 * {@code /uuid}, {@code GET /status}, {@code POST /cache/refresh | Authorization: Bearer abc | X-Warm-Up: 1}. The
 * method defaults to {@code GET}; the target is an origin-form path and query ({@code /search?q=x}) or {@code *}.
 * The request is sent as HTTP/1.1 with {@code Host: localhost} (unless a {@code Host} header is given) and no body
 * ({@code Content-Length: 0} for methods other than GET, HEAD, OPTIONS, DELETE and TRACE, unless given).
 */
public final class WarmUpRequest
{
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final List<String> WITHOUT_BODY = List.of("GET", "HEAD", "OPTIONS", "DELETE", "TRACE");

    private final String method;
    private final String target;
    private final Map<String, String> headers;

    private WarmUpRequest(String method, String target, Map<String, String> headers)
    {
        this.method = method;
        this.target = target;
        this.headers = headers;
    }

    /**
     * @param text one request, e.g. {@code GET /status | Accept: application/json}
     * @throws IllegalArgumentException naming the request, what is wrong and the form expected
     */
    public static WarmUpRequest parse(String text)
    {
        if (text == null || text.isBlank())
            throw invalid(text, "it is empty");
        String[] parts = text.split("\\|");
        String[] line = parts[0].trim().split("\\s+");
        if (line.length > 2)
            throw invalid(text, "there is more than a method and a target before the first |");
        String method = line.length == 2 ? line[0] : "GET";
        String target = line.length == 2 ? line[1] : line[0];
        if (!TOKEN.matcher(method).matches())
            throw invalid(text, "'" + method + "' is not an HTTP method");
        if (!target.equals("*") && !target.startsWith("/"))
            throw invalid(text, "the target '" + target + "' does not start with /");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++)
        {
            String header = parts[i].trim();
            int colon = header.indexOf(':');
            String name = colon < 0 ? header : header.substring(0, colon).trim();
            if (colon < 0 || !TOKEN.matcher(name).matches())
                throw invalid(text, "'" + header + "' is not a header (Name: value)");
            String value = header.substring(colon + 1).trim();
            if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f))
                throw invalid(text, "the value of header " + name + " has a control character");
            headers.put(name, value);
        }
        return new WarmUpRequest(method, target, Collections.unmodifiableMap(headers));
    }

    /**
     * @param mix requests separated by commas or line breaks (blank entries are skipped), e.g.
     *            {@code /uuid, GET /status | Accept: application/json}; a header value cannot hold a comma in this
     *            form: use {@link #parseAll(List)} then
     * @return the requests in order; empty when {@code mix} is null or blank
     * @throws IllegalArgumentException for the first request that does not parse
     */
    public static List<WarmUpRequest> parseMix(String mix)
    {
        List<String> entries = new ArrayList<>();
        if (mix != null)
        {
            for (String entry : mix.split("[,\\r\\n]"))
            {
                if (!entry.isBlank())
                    entries.add(entry);
            }
        }
        return parseAll(entries);
    }

    /** @return every entry parsed with {@link #parse(String)}, in order */
    public static List<WarmUpRequest> parseAll(List<String> entries)
    {
        List<WarmUpRequest> requests = new ArrayList<>();
        for (String entry : entries)
            requests.add(parse(entry));
        return List.copyOf(requests);
    }

    private static IllegalArgumentException invalid(String text, String problem)
    {
        return new IllegalArgumentException("warm-up request '" + (text == null ? "" : text.strip()) + "': " + problem +
            ". Write it as [METHOD ]target[ | Name: value]..., e.g. '/uuid' or 'GET /status | Accept: application/json'");
    }

    public String getMethod()
    {
        return method;
    }

    public String getTarget()
    {
        return target;
    }

    /** @return the headers given, in order (without the {@code Host} and {@code Content-Length} added on sending) */
    public Map<String, String> getHeaders()
    {
        return headers;
    }

    boolean isHead()
    {
        return method.equals("HEAD");
    }

    /** @return the request as sent on the wire, ending with the blank line */
    String toHttp()
    {
        StringBuilder http = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        if (headers.keySet().stream().noneMatch("Host"::equalsIgnoreCase))
            http.append("Host: localhost\r\n");
        headers.forEach((name, value) -> http.append(name).append(": ").append(value).append("\r\n"));
        if (!WITHOUT_BODY.contains(method) && headers.keySet().stream().noneMatch("Content-Length"::equalsIgnoreCase))
            http.append("Content-Length: 0\r\n");
        return http.append("\r\n").toString();
    }

    /** @return the request in the form {@link #parse(String)} reads */
    @Override
    public String toString()
    {
        StringBuilder text = new StringBuilder(method).append(' ').append(target);
        headers.forEach((name, value) -> text.append(" | ").append(name).append(": ").append(value));
        return text.toString();
    }
}
