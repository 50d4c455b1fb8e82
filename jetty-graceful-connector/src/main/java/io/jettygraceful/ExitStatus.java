package io.jettygraceful;

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

    /**
     * @return the status a shell reports for this ending, which a process that stands in for this one exits with: the
     * exit code, or 128 + the signal number when a signal ended it (137 for SIGKILL)
     */
    public int shellStatus()
    {
        return signal == 0 ? code : 128 + signal;
    }

    @Override
    public String toString()
    {
        return signal == 0 ? "exit code " + code : "killed by signal " + signal;
    }
}
