package io.jettygraceful.internal.os;

import io.jettygraceful.ExitStatus;

/**
 * A child reaped by {@link Os#reapAnyChild()}.
 *
 * @param pid    the child's pid, 0 for {@link #NO_CHILDREN}
 * @param status how it ended, {@code null} for {@link #NO_CHILDREN}
 */
public record ChildExit(int pid, ExitStatus status)
{
    /** This process has no children left. */
    public static final ChildExit NO_CHILDREN = new ChildExit(0, null);
}
