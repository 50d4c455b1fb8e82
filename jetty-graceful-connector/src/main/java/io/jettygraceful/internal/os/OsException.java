package io.jettygraceful.internal.os;

import java.io.IOException;

/** A native call failed; the message names the call, the fd or pid, and the OS error. */
public class OsException extends IOException
{
    private final int errno;

    public OsException(String message, int errno)
    {
        super(message);
        this.errno = errno;
    }

    /** @return the OS error number, 0 when none applies */
    public int errno()
    {
        return errno;
    }
}
