package io.jettygraceful.it.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every request a {@link BenchClient} made: start and end (ns from the run's origin), outcome, kind. All statistics
 * are computed exactly from these arrays (no sampling, no histogram buckets).
 *
 * @param stoppedAt when the clients were told to stop (ns from the origin)
 */
record Recording(long[] start, long[] end, byte[] outcome, byte[] kind, long stoppedAt, long idleCloses, long idleResets,
                 Map<String, Long> reasons, long keepAliveConnects)
{
    /** Without a count of keep-alive connects (0). */
    Recording(long[] start, long[] end, byte[] outcome, byte[] kind, long stoppedAt, long idleCloses, long idleResets, Map<String, Long> reasons)
    {
        this(start, end, outcome, kind, stoppedAt, idleCloses, idleResets, reasons, 0);
    }

    static final long MS = 1_000_000L;

    /** A time span, ns from the origin. */
    record Window(long from, long to)
    {
        boolean overlaps(long s, long e)
        {
            return s <= to && e >= from;
        }
    }

    /**
     * Recordings one after another on one timeline: each shifted by the {@link #stoppedAt} of those before it (the
     * times between them, when nothing was recorded, are left out).
     */
    static Recording concat(List<Recording> parts)
    {
        int total = parts.stream().mapToInt(Recording::size).sum();
        long[] start = new long[total];
        long[] end = new long[total];
        byte[] outcome = new byte[total];
        byte[] kind = new byte[total];
        Map<String, Long> reasons = new TreeMap<>();
        long offset = 0;
        long idleCloses = 0;
        long idleResets = 0;
        long keepAliveConnects = 0;
        int at = 0;
        for (Recording part : parts)
        {
            for (int i = 0; i < part.size(); i++)
            {
                start[at + i] = offset + part.start[i];
                end[at + i] = offset + part.end[i];
            }
            System.arraycopy(part.outcome, 0, outcome, at, part.size());
            System.arraycopy(part.kind, 0, kind, at, part.size());
            at += part.size();
            offset += part.stoppedAt;
            idleCloses += part.idleCloses;
            idleResets += part.idleResets;
            keepAliveConnects += part.keepAliveConnects;
            part.reasons.forEach((k, v) -> reasons.merge(k, v, Long::sum));
        }
        return new Recording(start, end, outcome, kind, offset, idleCloses, idleResets, reasons, keepAliveConnects);
    }

    /** Ends of successful requests, sorted: for counting successes in intervals with {@link #countIn}. */
    long[] okEnds()
    {
        long[] ends = new long[size()];
        int n = 0;
        for (int i = 0; i < size(); i++)
            if (ok(i))
                ends[n++] = end[i];
        ends = Arrays.copyOf(ends, n);
        Arrays.sort(ends);
        return ends;
    }

    /** How many of {@code sorted} lie in [from, to). */
    static int countIn(long[] sorted, long from, long to)
    {
        return to <= from ? 0 : lowerBound(sorted, to) - lowerBound(sorted, from);
    }

    private static int lowerBound(long[] sorted, long value)
    {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    int size()
    {
        return start.length;
    }

    boolean ok(int i)
    {
        return outcome[i] == BenchClient.Outcome.OK.ordinal();
    }

    boolean slow(int i)
    {
        return (kind[i] & BenchClient.SLOW) != 0;
    }

    long count(BenchClient.Outcome o)
    {
        long n = 0;
        for (byte b : outcome)
            if (b == o.ordinal())
                n++;
        return n;
    }

    long failed()
    {
        return size() - count(BenchClient.Outcome.OK);
    }

    /** Failures of requests that overlap no window: should be zero for every strategy. */
    long failedOutside(List<Window> windows)
    {
        long n = 0;
        for (int i = 0; i < size(); i++)
            if (!ok(i) && !inAny(windows, i))
                n++;
        return n;
    }

    private boolean inAny(List<Window> windows, int i)
    {
        for (Window w : windows)
            if (w.overlaps(start[i], end[i]))
                return true;
        return false;
    }

    /**
     * Latencies (ns, sorted) of successful requests, fast or slow, that overlap one of {@code windows} (all when null).
     */
    long[] okLatencies(boolean slow, List<Window> windows)
    {
        long[] values = new long[size()];
        int n = 0;
        for (int i = 0; i < size(); i++)
        {
            if (ok(i) && slow(i) == slow && (windows == null || inAny(windows, i)))
                values[n++] = end[i] - start[i];
        }
        long[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        return sorted;
    }

    /** Failed requests made by keep-alive clients (the rest were made by close clients). */
    long failedKeepAlive()
    {
        long n = 0;
        for (int i = 0; i < size(); i++)
            if (!ok(i) && (kind[i] & BenchClient.KEEP_ALIVE) != 0)
                n++;
        return n;
    }

    long countKind(boolean slow, boolean okOnly)
    {
        long n = 0;
        for (int i = 0; i < size(); i++)
            if (slow(i) == slow && (!okOnly || ok(i)))
                n++;
        return n;
    }

    /** @return the {@code q} quantile (0..1) of sorted values, -1 when empty */
    static long quantile(long[] sorted, double q)
    {
        if (sorted.length == 0)
            return -1;
        int index = (int)Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** Requests ending in each bucket of {@code bucketNs}, from 0 to {@link #stoppedAt}: [0] successes, [1] failures. */
    int[][] perBucket(long bucketNs)
    {
        int buckets = (int)(stoppedAt / bucketNs) + 1;
        int[][] counts = new int[2][buckets];
        for (int i = 0; i < size(); i++)
        {
            int b = (int)Math.min(buckets - 1, Math.max(0, end[i] / bucketNs));
            counts[ok(i) ? 0 : 1][b]++;
        }
        return counts;
    }

    /**
     * The longest time between two successful responses (or between {@code from} and the first / the last and
     * {@code to}), ns.
     */
    long longestGapWithoutSuccess(long from, long to)
    {
        long[] ends = new long[size()];
        int n = 0;
        for (int i = 0; i < size(); i++)
            if (ok(i) && end[i] >= from && end[i] <= to)
                ends[n++] = end[i];
        ends = Arrays.copyOf(ends, n);
        Arrays.sort(ends);
        long previous = from;
        long longest = 0;
        for (long e : ends)
        {
            longest = Math.max(longest, e - previous);
            previous = e;
        }
        return Math.max(longest, to - previous);
    }
}
