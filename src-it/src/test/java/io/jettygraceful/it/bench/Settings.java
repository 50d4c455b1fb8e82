package io.jettygraceful.it.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * What one benchmark run does. From system properties (all optional):
 * <ul>
 *   <li>{@code bench.quick=true}: 2 restarts per lane, shorter warm-up and settle times, and 2 short overhead rounds;</li>
 *   <li>{@code bench.restarts=N}: restarts per lane (default 10, quick 2);</li>
 *   <li>{@code bench.strategies=stop-start,reuseport,handoff}: which strategies, in that order;</li>
 *   <li>{@code bench.load=K+C} or {@code K+C+SK+SC}: the clients, see {@link LoadShape} (default {@value LoadShape#DEFAULT}, issue 13's shape {@code 32+16});</li>
 *   <li>{@code bench.rate=N}: an open loop of N fast requests per second in all (default 0: closed loop);</li>
 *   <li>{@code bench.handoff.args=ARGS}: extra example options for every handoff JVM;</li>
 *   <li>{@code bench.handoff.variants=name:ARGS;name:ARGS}: the handoff as one lane per variant, see {@link Lane};</li>
 *   <li>{@code bench.overhead=false}: skip the connector overhead comparison;</li>
 *   <li>{@code bench.overhead.rounds=N}, {@code bench.overhead.ms=M}: its rounds and their length (default 10 x 2000 ms: short rounds, often swapped, so that the load of other processes hits both alike);</li>
 *   <li>{@code bench.out=DIR}: where results.md and the PNG go (default target/benchmark).</li>
 * </ul>
 * Lanes run interleaved: restart 1 of every lane, then restart 2 of every lane (in reverse order), and so on; only the
 * lane being restarted carries load.
 *
 * @param warmup unrecorded load on each lane's first JVM before its first segment (its JIT warms up)
 * @param settle load on a lane before each later restart (at least 1 s: the second before a trigger is the steady reference)
 * @param tail   load after the old process exited (at least the 1.25 s after serving that the phases look at)
 */
record Settings(boolean quick, int restarts, List<Lane> lanes, LoadShape load, Duration warmup, Duration settle, Duration tail,
                boolean overhead, int overheadRounds, Duration overheadRound, Duration overheadWarmup, Path out)
{
    private static final Duration QUICK_LOAD_STEP = Duration.ofMillis(1500);
    private static final Duration QUICK_WARMUP = Duration.ofSeconds(4);

    static Settings fromSystemProperties()
    {
        boolean quick = Boolean.getBoolean("bench.quick");
        int restarts = Integer.getInteger("bench.restarts", quick ? 2 : 10);
        if (restarts < 1)
            throw new IllegalArgumentException("bench.restarts=" + restarts + ": expected at least 1");
        List<Strategy> strategies = Arrays.stream(System.getProperty("bench.strategies", "stop-start,reuseport,handoff").split(","))
            .filter(s -> !s.isBlank()).map(Strategy::of).toList();
        List<Lane> lanes = Lane.of(strategies, System.getProperty("bench.handoff.args", ""), System.getProperty("bench.handoff.variants", ""));
        String shape = System.getProperty("bench.load", "");
        LoadShape load = LoadShape.parse(shape.isBlank() ? LoadShape.DEFAULT : shape, Integer.getInteger("bench.rate", 0));
        boolean overhead = Boolean.parseBoolean(System.getProperty("bench.overhead", "true"));
        Path out = Path.of(System.getProperty("bench.out", "target/benchmark"));
        return quick
            ? new Settings(true, restarts, lanes, load, QUICK_WARMUP, QUICK_LOAD_STEP, QUICK_LOAD_STEP,
                overhead, 2, Duration.ofMillis(1000), Duration.ofMillis(500), out)
            : new Settings(false, restarts, lanes, load, Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(2),
                overhead, Integer.getInteger("bench.overhead.rounds", 10), Duration.ofMillis(Integer.getInteger("bench.overhead.ms", 2000)),
                Duration.ofSeconds(3), out);
    }

    /** The quick settings for just {@code lanes}, {@code restarts} each, under {@code load}, no overhead comparison. */
    static Settings quick(int restarts, Path out, LoadShape load, Lane... lanes)
    {
        return new Settings(true, restarts, List.of(lanes), load, QUICK_WARMUP, QUICK_LOAD_STEP, QUICK_LOAD_STEP,
            false, 0, Duration.ZERO, Duration.ZERO, out);
    }
}
