package io.jettygraceful.it.config;

import io.jettygraceful.it.Subreaper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * For tests that run a {@link JettyBase}: makes the test JVM a subreaper (replacements whose parent exited become its
 * children) and stops and reaps every process of {@link #base} after each test, also when it failed.
 */
abstract class JettyBaseProcesses
{
    /** Set by the test; closed after it. */
    JettyBase base;

    @BeforeAll
    static void subreaper()
    {
        Subreaper.enable();
    }

    @AfterEach
    void stopBase() throws Exception
    {
        if (base != null)
            base.close();
    }
}
