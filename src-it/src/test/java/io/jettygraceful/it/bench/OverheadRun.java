package io.jettygraceful.it.bench;

import io.jettygraceful.it.Restarts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.jettygraceful.it.ExampleProcess;
import io.jettygraceful.it.FreePorts;
import io.jettygraceful.it.ProcessTracker;

/**
 * Steady-state cost of {@code InheritedServerConnector} against Jetty's plain {@code ServerConnector}: two example
 * JVMs side by side (one with {@code --plain-connector}), never restarted, driven one at a time with the same fast-only
 * load in interleaved rounds (I P, P I, I P, ...: drift of the machine's load hits both alike). The idle one costs
 * next to nothing while the other is measured.
 */
final class OverheadRun
{
    /** One round of one server. */
    record Round(int index, boolean plain, long ok, long failed, long durationNs, long p50, long p99)
    {
        double rps()
        {
            return ok * 1e9 / durationNs;
        }
    }

    record Result(List<Round> rounds, long[] inheritedLatencies, long[] plainLatencies)
    {
        double rps(boolean plain)
        {
            long ok = 0;
            long ns = 0;
            for (Round r : rounds)
            {
                if (r.plain() == plain)
                {
                    ok += r.ok();
                    ns += r.durationNs();
                }
            }
            return ns == 0 ? 0 : ok * 1e9 / ns;
        }

        long failed()
        {
            return rounds.stream().mapToLong(Round::failed).sum();
        }

        long p(boolean plain, double q)
        {
            return Recording.quantile(plain ? plainLatencies : inheritedLatencies, q);
        }

        /** Median over rounds of (inherited rps / plain rps) within the same round. */
        double medianRoundRatio()
        {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i + 1 < rounds.size(); i += 2)
            {
                Round a = rounds.get(i);
                Round b = rounds.get(i + 1);
                Round inherited = a.plain() ? b : a;
                Round plain = a.plain() ? a : b;
                ratios.add(inherited.rps() / plain.rps());
            }
            double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            if (sorted.length == 0)
                return Double.NaN;
            return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        }
    }

    private OverheadRun()
    {
    }

    static Result run(Settings settings, ProcessTracker processes)
    {
        int inheritedPort = FreePorts.ipv4();
        int plainPort = FreePorts.ipv4();
        ExampleProcess inherited = processes.start(ExampleProcess.builder().asUsersRunIt().name("bench-overhead-inherited")
            .args("--host", "127.0.0.1", "--port", String.valueOf(inheritedPort)));
        ExampleProcess plain = processes.start(ExampleProcess.builder().asUsersRunIt().name("bench-overhead-plain")
            .args("--host", "127.0.0.1", "--port", String.valueOf(plainPort), "--plain-connector"));
        inherited.servingPid(Duration.ofSeconds(60));
        plain.servingPid(Duration.ofSeconds(60));
        RestartRun.progress("overhead: warming up both JVMs, " + settings.overheadWarmup().toMillis() + " ms each, twice");
        for (int i = 0; i < 2; i++)
        {
            drive(inheritedPort, settings.load(), settings.overheadWarmup());
            drive(plainPort, settings.load(), settings.overheadWarmup());
        }
        List<Round> rounds = new ArrayList<>();
        List<long[]> inheritedLatencies = new ArrayList<>();
        List<long[]> plainLatencies = new ArrayList<>();
        for (int r = 0; r < settings.overheadRounds(); r++)
        {
            boolean plainFirst = r % 2 == 1;
            for (int k = 0; k < 2; k++)
            {
                boolean isPlain = plainFirst == (k == 0);
                Recording recording = drive(isPlain ? plainPort : inheritedPort, settings.load(), settings.overheadRound());
                long[] latencies = recording.okLatencies(false, null);
                (isPlain ? plainLatencies : inheritedLatencies).add(latencies);
                Round round = new Round(r + 1, isPlain, recording.count(BenchClient.Outcome.OK), recording.failed(), recording.stoppedAt(),
                    Recording.quantile(latencies, 0.5), Recording.quantile(latencies, 0.99));
                rounds.add(round);
                RestartRun.progress(String.format("overhead: round %d/%d %s: %.0f req/s, p99 %.2f ms, %d failed", r + 1, settings.overheadRounds(),
                    isPlain ? "plain    " : "inherited", round.rps(), round.p99() / 1e6, round.failed()));
            }
        }
        return new Result(rounds, merge(inheritedLatencies), merge(plainLatencies));
    }

    private static Recording drive(int port, LoadShape load, Duration duration)
    {
        BenchClient client = BenchClient.start(BenchClient.Config.of(port, load.fastClosedLoop()), System.nanoTime());
        Restarts.pause(duration);
        return client.stop();
    }

    private static long[] merge(List<long[]> parts)
    {
        long[] all = parts.stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }
}
