package io.jettygraceful.it.bench;

import java.util.Locale;

/** The ways to restart a server that the benchmark compares. */
enum Strategy
{
    /** SIGTERM the JVM (it drains and exits), then start a new JVM on the same port. */
    STOP_START("stop-start", "stop-then-start (TERM, wait for exit, start new JVM)"),
    /** Both JVMs bind with SO_REUSEPORT: start the new one, wait until it serves, then SIGTERM the old one. */
    REUSE_PORT("reuseport", "SO_REUSEPORT overlap (start new JVM, then TERM old)"),
    /** SIGHUP: the JVM hands its listening socket to a child it spawns (this project). */
    HANDOFF("handoff", "handoff (SIGHUP, jetty-graceful)");

    final String id;
    final String title;

    Strategy(String id, String title)
    {
        this.id = id;
        this.title = title;
    }

    static Strategy of(String id)
    {
        for (Strategy s : values())
            if (s.id.equals(id.trim().toLowerCase(Locale.ROOT)))
                return s;
        throw new IllegalArgumentException("unknown strategy '" + id + "': expected stop-start, reuseport or handoff");
    }
}
