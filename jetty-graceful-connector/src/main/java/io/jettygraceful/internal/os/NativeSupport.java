package io.jettygraceful.internal.os;

import java.util.Locale;

/** Loads the native {@link Os} once per JVM and remembers why it could not, if it could not. */
final class NativeSupport
{
    static final Os OS;
    static final String REASON;

    static
    {
        Os os = null;
        String reason = null;
        String osName = System.getProperty("os.name", "unknown");
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux"))
        {
            reason = "jetty-graceful supports Linux only; this is " + osName;
        }
        else
        {
            try
            {
                os = new LinuxOs();
            }
            catch (Throwable x)
            {
                reason = "the native library (jnr-ffi) could not be loaded: " + x;
            }
        }
        OS = os;
        REASON = reason;
    }

    private NativeSupport()
    {
    }
}
