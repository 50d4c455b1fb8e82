package io.jettygraceful.internal.handoff;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.ReadinessCheck;
import io.jettygraceful.internal.inherit.HandedOverConnector;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.ControlChannel;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replacement's side of {@link HandoffProtocol}: once the server has started (connectors open but paused), run
 * the readiness check, report {@code READY}, on {@code GO} resume accepting and confirm {@code SERVING}, then wait
 * for {@code DONE}. The parent's death at any point means: accept and serve alone. Owns the control socket and closes
 * it when done.
 */
final class TakeoverHandshake
{
    private static final Logger LOG = LoggerFactory.getLogger(TakeoverHandshake.class);

    private final Os os;
    private final ControlChannel control;
    private final int parentPid;
    private final String nice;

    TakeoverHandshake(Os os, int controlFd, int parentPid)
    {
        this(os, controlFd, parentPid, null);
    }

    /**
     * @param nice the parent's {@value HandoffProtocol#NICE}, or null: on GO this process's threads go back to the
     *             parent's priority before it accepts ({@link ReplacementPriority#restore})
     */
    TakeoverHandshake(Os os, int controlFd, int parentPid, String nice)
    {
        this.os = os;
        this.control = new ControlChannel(os, controlFd);
        this.parentPid = parentPid;
        this.nice = nice;
    }

    Os os()
    {
        return os;
    }

    /**
     * Reports readiness and waits for the parent's answer.
     *
     * @return true when the parent handed over ({@code DONE}), false when it went away first (either way this process
     * now accepts and serves)
     */
    boolean reportReady(Server server, ReadinessCheck check, List<? extends HandedOverConnector> connectors) throws Exception
    {
        try
        {
            if (check != null)
                check.awaitReady(server);
        }
        catch (Exception x)
        {
            reportFailure("readiness check failed: " + x);
            throw x;
        }
        boolean accepting = false;
        try
        {
            control.writeLine(HandoffProtocol.READY + " " + os.pid());
            ControlChannel.Received answer = control.readLine(farFuture());
            if (!isLine(answer, HandoffProtocol.GO))
            {
                LOG.warn("Takeover: parent {} went away before telling this process to accept ({}): serving alone", parentPid, answer);
                return false;
            }
            ReplacementPriority.restore(os, nice);
            resume(connectors);
            accepting = true;
            control.writeLine(HandoffProtocol.SERVING);
            answer = control.readLine(farFuture());
            if (!isLine(answer, HandoffProtocol.DONE))
            {
                LOG.warn("Takeover: parent {} went away while handing over ({}): serving alone", parentPid, answer);
                return false;
            }
            return true;
        }
        catch (OsException x)
        {
            LOG.warn("Takeover: control socket to parent {} failed ({}): serving alone", parentPid, x.getMessage());
            return false;
        }
        finally
        {
            control.close();
            if (!accepting)
                resume(connectors);
        }
    }

    private static void resume(List<? extends HandedOverConnector> connectors)
    {
        for (HandedOverConnector connector : connectors)
            connector.resumeAccepting();
    }

    private static boolean isLine(ControlChannel.Received received, String text)
    {
        return received instanceof ControlChannel.Line line && line.text().equals(text);
    }

    /** The parent decides how long a takeover may take; this side only needs a bound that never overflows. */
    private static long farFuture()
    {
        return System.nanoTime() + TimeUnit.DAYS.toNanos(1);
    }

    /** Tells the parent this process cannot take over, and closes the control socket. */
    void reportFailure(String reason)
    {
        try
        {
            control.writeLine(HandoffProtocol.FAILED + " " + reason);
        }
        catch (OsException x)
        {
            LOG.debug("cannot report failure to parent {}", parentPid, x);
        }
        finally
        {
            control.close();
        }
    }
}
