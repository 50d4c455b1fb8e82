package io.jettygraceful.internal.inherit;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Waiting for a connector's selectors, for the connectors that accept in them. */
public final class SelectorUpdates
{
    private static final Logger LOG = LoggerFactory.getLogger(SelectorUpdates.class);

    private SelectorUpdates()
    {
    }

    /**
     * Waits (at most 5 s) until each selector of {@code manager} has run an update submitted now: every update
     * submitted before has run too, and, when called twice, a select has completed in between (which is what the JDK
     * needs before a channel whose key was cancelled can be registered again).
     */
    public static void await(SelectorManager manager, Object owner)
    {
        List<ManagedSelector> selectors = List.copyOf(manager.getBeans(ManagedSelector.class));
        CountDownLatch done = new CountDownLatch(selectors.size());
        for (ManagedSelector selector : selectors)
            selector.submit(s -> done.countDown());
        try
        {
            if (!done.await(5, TimeUnit.SECONDS))
                LOG.warn("{}: selectors did not run an update within 5 s", owner);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }
}
