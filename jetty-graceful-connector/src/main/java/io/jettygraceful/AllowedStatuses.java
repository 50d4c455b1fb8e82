package io.jettygraceful;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The response statuses a {@link WarmUpReadinessCheck} accepts, written as codes and classes separated by commas:
 * {@code 200, 204, 3xx, 401}. Unset (null or blank): every status below 500. A 5xx is never allowed: a server error
 * during the warm-up is what keeps a broken build from taking over.
 */
final class AllowedStatuses
{
    static final AllowedStatuses BELOW_500 = new AllowedStatuses(List.of("1xx", "2xx", "3xx", "4xx"), "below 500");

    private final List<String> entries;
    private final String text;

    private AllowedStatuses(List<String> entries, String text)
    {
        this.entries = entries;
        this.text = text;
    }

    /** @throws IllegalArgumentException naming the entry that is neither a status code nor a class such as 2xx */
    static AllowedStatuses parse(String text)
    {
        if (text == null || text.isBlank())
            return BELOW_500;
        List<String> entries = new ArrayList<>();
        for (String entry : text.split(","))
        {
            String normalized = entry.trim().toLowerCase(Locale.ROOT);
            if (normalized.isEmpty())
                continue;
            if (!normalized.matches("[1-4](xx|[0-9][0-9])"))
                throw new IllegalArgumentException("allowed warm-up status '" + entry.trim() + "' is neither a status code from 100 to 499 nor " +
                    "a class such as 2xx (a 5xx always fails the warm-up). Write them separated by commas, e.g. '2xx, 3xx, 401', or leave " +
                    "it unset to allow every status below 500");
            entries.add(normalized);
        }
        return entries.isEmpty() ? BELOW_500 : new AllowedStatuses(List.copyOf(entries), String.join(", ", entries));
    }

    boolean allows(int status)
    {
        String code = Integer.toString(status);
        return code.length() == 3 && entries.stream().anyMatch(e -> e.equals(code) || e.endsWith("xx") && e.charAt(0) == code.charAt(0));
    }

    @Override
    public String toString()
    {
        return text;
    }
}
