package io.jettygraceful.it.bench;

/**
 * How many client connections of each kind drive the server, and whether they run a closed loop (each as fast as the
 * server answers) or an open loop at a fixed total rate.
 *
 * <p>Written {@code K+C} or {@code K+C+SK+SC} ({@code bench.load}): K keep-alive and C {@code Connection: close}
 * clients on the fast path ({@code GET /uuid}), then SK keep-alive and SC close clients on the slow path
 * ({@code GET /delayed?ms=200}, 0 when left out). The default {@code 3+3+2+2} is the shape of every earlier run in
 * docs/benchmark.md; {@code 32+16} is issue 13's wrk shape (32 keep-alive + 16 {@code Connection: close}).</p>
 *
 * @param rate 0 for a closed loop; else the fast clients' total requests per second, spread evenly over them (open
 *             loop, {@code bench.rate}); slow clients always run a closed loop
 */
record LoadShape(int keepAlive, int close, int slowKeepAlive, int slowClose, int rate)
{
    static final String DEFAULT = "3+3+2+2";

    LoadShape
    {
        if (keepAlive < 0 || close < 0 || slowKeepAlive < 0 || slowClose < 0 || keepAlive + close == 0)
            throw new IllegalArgumentException("load shape " + keepAlive + "+" + close + "+" + slowKeepAlive + "+" + slowClose +
                ": counts must be >= 0, with at least one fast client");
        if (rate < 0)
            throw new IllegalArgumentException("bench.rate=" + rate + ": expected requests per second > 0, or 0 for a closed loop");
    }

    /** Parses {@code K+C} or {@code K+C+SK+SC}; the error names the expected form. */
    static LoadShape parse(String shape, int rate)
    {
        String[] parts = shape.trim().split("\\+");
        if (parts.length != 2 && parts.length != 4)
            throw badShape(shape);
        int[] n = new int[4];
        try
        {
            for (int i = 0; i < parts.length; i++)
                n[i] = Integer.parseInt(parts[i].trim());
        }
        catch (NumberFormatException x)
        {
            throw badShape(shape);
        }
        return new LoadShape(n[0], n[1], n[2], n[3], rate);
    }

    private static IllegalArgumentException badShape(String shape)
    {
        return new IllegalArgumentException("bench.load='" + shape + "': expected K+C (keep-alive + Connection: close clients on /uuid, e.g. 32+16) " +
            "or K+C+SK+SC (the same, then slow clients on /delayed?ms=200, e.g. the default " + DEFAULT + ")");
    }

    /** The fast clients only, in a closed loop (the overhead comparison measures the most each server gives). */
    LoadShape fastClosedLoop()
    {
        return new LoadShape(keepAlive, close, 0, 0, 0);
    }

    boolean openLoop()
    {
        return rate > 0;
    }

    int fastClients()
    {
        return keepAlive + close;
    }

    /** For the report: e.g. "32 keep-alive + 16 Connection: close clients GET /uuid, closed loop". */
    String describe(String fastPath, String slowPath)
    {
        String s = keepAlive + " keep-alive + " + close + " `Connection: close` clients GET " + fastPath;
        if (slowKeepAlive + slowClose > 0)
            s += ", " + slowKeepAlive + " + " + slowClose + " GET " + slowPath + " (always closed loop)";
        return s + (openLoop()
            ? "; **open loop at " + rate + " requests/s** over the fast clients (each on its own even schedule; latency measured from each request's intended start, so a stall counts for every request it delayed)"
            : "; closed loop (each client sends its next request when the previous one ended)");
    }

    @Override
    public String toString()
    {
        return keepAlive + "+" + close + (slowKeepAlive + slowClose > 0 ? "+" + slowKeepAlive + "+" + slowClose : "") +
            (openLoop() ? " at " + rate + "/s" : "");
    }
}
