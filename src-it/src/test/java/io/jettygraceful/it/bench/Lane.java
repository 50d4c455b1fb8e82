package io.jettygraceful.it.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One column of the report: a strategy, and for the handoff a named variant with its own extra example options
 * ({@code bench.handoff.variants=legacy:--handover-spread 0s;gradual:}), so that variants run side by side in one run.
 *
 * @param variant     null for a strategy without variants
 * @param exampleArgs extra options for every example JVM of this lane (the handoff's: {@code bench.handoff.args}, then the variant's)
 */
record Lane(Strategy strategy, String variant, List<String> exampleArgs)
{
    String id()
    {
        return variant == null ? strategy.id : strategy.id + ":" + variant;
    }

    String title()
    {
        if (variant == null)
            return strategy.title + (exampleArgs.isEmpty() ? "" : " `" + String.join(" ", exampleArgs) + "`");
        return "handoff **" + variant + "** (" + (exampleArgs.isEmpty() ? "no extra options" : "`" + String.join(" ", exampleArgs) + "`") + ")";
    }

    /** {@link #title()} without Markdown, for the plot. */
    String plainTitle()
    {
        return title().replace("**", "").replace("`", "");
    }

    static Lane of(Strategy strategy)
    {
        return new Lane(strategy, null, List.of());
    }

    /**
     * The lanes of a run: one per strategy, in order, except that the handoff becomes one lane per variant when
     * {@code variants} is not blank.
     *
     * @param handoffArgs extra example options of every handoff lane (options split at spaces, '=' between an option and its value)
     * @param variants    {@code name:ARGS;name:ARGS}, names of letters, digits and '-', ARGS as {@code handoffArgs}
     */
    static List<Lane> of(List<Strategy> strategies, String handoffArgs, String variants)
    {
        List<String> common = args(handoffArgs);
        List<Lane> variantLanes = variants(variants, common);
        if (!variantLanes.isEmpty() && !strategies.contains(Strategy.HANDOFF))
            throw new IllegalArgumentException("bench.handoff.variants is set but bench.strategies=" + strategies.stream().map(s -> s.id).toList() +
                " has no handoff: add handoff to bench.strategies or leave bench.handoff.variants empty");
        List<Lane> lanes = new ArrayList<>();
        for (Strategy strategy : strategies)
        {
            if (strategy == Strategy.HANDOFF && !variantLanes.isEmpty())
                lanes.addAll(variantLanes);
            else
                lanes.add(new Lane(strategy, null, strategy == Strategy.HANDOFF ? common : List.of()));
        }
        return List.copyOf(lanes);
    }

    private static List<Lane> variants(String spec, List<String> common)
    {
        List<Lane> lanes = new ArrayList<>();
        if (spec == null || spec.isBlank())
            return lanes;
        Set<String> names = new LinkedHashSet<>();
        for (String part : spec.split(";"))
        {
            if (part.isBlank())
                continue;
            int colon = part.indexOf(':');
            String name = (colon < 0 ? part : part.substring(0, colon)).trim();
            if (colon < 0 || !name.matches("[A-Za-z0-9-]+"))
                throw new IllegalArgumentException("bench.handoff.variants: '" + part.trim() + "' is not NAME:ARGS (NAME of letters, digits and '-'; " +
                    "ARGS extra example options, may be empty), e.g. legacy:--handover-spread 0s;gradual:");
            if (!names.add(name))
                throw new IllegalArgumentException("bench.handoff.variants: the name '" + name + "' appears twice; every variant needs its own name");
            List<String> args = new ArrayList<>(common);
            args.addAll(args(part.substring(colon + 1)));
            lanes.add(new Lane(Strategy.HANDOFF, name, List.copyOf(args)));
        }
        return lanes;
    }

    private static List<String> args(String options)
    {
        return options == null ? List.of() : Arrays.stream(options.trim().split("[ =]+")).filter(a -> !a.isEmpty()).toList();
    }
}
