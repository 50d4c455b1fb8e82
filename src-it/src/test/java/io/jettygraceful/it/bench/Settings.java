package io.jettygraceful.it.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * What one benchmark run does. From system properties (all optional):
 * <ul>
 *   <li>{@code bench.quick=true}: 2 restarts per strategy and 2 short overhead rounds (under a minute in all);</li>
 *   <li>{@code bench.restarts=N}: restarts per strategy (default 10, quick 2);</li>
 *   <li>{@code bench.strategies=stop-start,reuseport,handoff}: which strategies, in that order;</li>
 *   <li>{@code bench.overhead=false}: skip the connector overhead comparison;</li>
 *   <li>{@code bench.overhead.rounds=N}, {@code bench.overhead.ms=M}: its rounds and their length (default 10 x 2000 ms: short rounds, often swapped, so that the load of other processes hits both alike);</li>
 *   <li>{@code bench.out=DIR}: where results.md and the PNG go (default target/benchmark).</li>
 * </ul>
 */
record Settings(boolean quick, int restarts, List<Strategy> strategies, Duration warmup, Duration settle, Duration tail,
                boolean overhead, int overheadRounds, Duration overheadRound, Duration overheadWarmup, Path out)
{
    static Settings fromSystemProperties()
    {
        boolean quick = Boolean.getBoolean("bench.quick");
        int restarts = Integer.getInteger("bench.restarts", quick ? 2 : 10);
        List<Strategy> strategies = Arrays.stream(System.getProperty("bench.strategies", "stop-start,reuseport,handoff").split(","))
            .filter(s -> !s.isBlank()).map(Strategy::of).toList();
        boolean overhead = Boolean.parseBoolean(System.getProperty("bench.overhead", "true"));
        Path out = Path.of(System.getProperty("bench.out", "target/benchmark"));
        return quick
            ? new Settings(true, restarts, strategies, Duration.ofMillis(1000), Duration.ofMillis(1000), Duration.ofMillis(1000),
                overhead, 2, Duration.ofMillis(1000), Duration.ofMillis(500), out)
            : new Settings(false, restarts, strategies, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofSeconds(2),
                overhead, Integer.getInteger("bench.overhead.rounds", 10), Duration.ofMillis(Integer.getInteger("bench.overhead.ms", 2000)),
                Duration.ofSeconds(3), out);
    }

    /** The quick settings for just {@code strategies}, {@code restarts} each, no overhead comparison. */
    static Settings quick(int restarts, Path out, Strategy... strategies)
    {
        return new Settings(true, restarts, List.of(strategies), Duration.ofMillis(1000), Duration.ofMillis(1000), Duration.ofMillis(1000),
            false, 0, Duration.ZERO, Duration.ZERO, out);
    }
}
