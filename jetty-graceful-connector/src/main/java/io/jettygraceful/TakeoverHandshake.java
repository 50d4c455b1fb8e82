package io.jettygraceful;

import java.util.List;

import io.jettygraceful.os.Os;
import io.jettygraceful.os.OsException;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replacement's side of {@link HandoffProtocol}: once the server has started (connectors open but paused), run
 * the readiness check, report {@code READY}, wait for {@code GO} (or the parent's death), then resume accepting.
 * Owns the control socket and closes it when done.
 */
final class TakeoverHandshake
{
    private static final Logger LOG = LoggerFactory.getLogger(TakeoverHandshake.class);

    private final Os os;
    private final ControlChannel control;
    private final int parentPid;

    TakeoverHandshake(Os os, int controlFd, int parentPid)
    {
        this.os = os;
        this.control = new ControlChannel(os, controlFd);
        this.parentPid = parentPid;
    }

    /**
     * Reports readiness and waits for the parent's answer.
     *
     * @return true when the parent said GO, false when it went away first (either way this process now serves)
     */
    boolean reportReady(Server server, ReadinessCheck check, List<InheritedServerConnector> connectors) throws Exception
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
        try
        {
            control.writeLine(HandoffProtocol.READY + " " + os.pid());
            ControlChannel.Received answer = control.readLine(System.nanoTime() + java.util.concurrent.TimeUnit.DAYS.toNanos(1));
            boolean go = answer instanceof ControlChannel.Line line && line.text().equals(HandoffProtocol.GO);
            if (!go)
                LOG.warn("Takeover: parent {} went away before telling this process to take over ({}): serving anyway", parentPid, answer);
            return go;
        }
        catch (OsException x)
        {
            LOG.warn("Takeover: control socket to parent {} failed ({}): serving anyway", parentPid, x.getMessage());
            return false;
        }
        finally
        {
            control.close();
            for (InheritedServerConnector connector : connectors)
                connector.setAccepting(true);
        }
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
