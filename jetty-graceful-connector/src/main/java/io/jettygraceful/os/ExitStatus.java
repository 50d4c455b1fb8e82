package io.jettygraceful.os;

/**
 * How a child process ended.
 *
 * @param code   its exit code, or -1 when a signal ended it
 * @param signal the signal that ended it, or 0 when it exited
 */
public record ExitStatus(int code, int signal)
{
    /** Decodes a raw {@code waitpid} status. */
    public static ExitStatus fromWaitStatus(int status)
    {
        int termSig = status & 0x7f;
        if (termSig == 0)
            return new ExitStatus((status >> 8) & 0xff, 0);
        return new ExitStatus(-1, termSig);
    }

    @Override
    public String toString()
    {
        return signal == 0 ? "exit code " + code : "killed by signal " + signal;
    }
}
