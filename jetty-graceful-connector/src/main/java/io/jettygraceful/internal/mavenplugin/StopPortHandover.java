package io.jettygraceful.internal.mavenplugin;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.jettygraceful.InheritedSocketException;
import io.jettygraceful.InheritedSockets;
import io.jettygraceful.RestartListener;
import io.jettygraceful.RestartOutcome;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ShutdownService;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves Jetty's stop port ({@link ShutdownService}: what jetty-maven-plugin's {@code jetty:stop} and jetty-home's
 * {@code STOP.PORT} talk to) from generation to generation, so that the generation that serves is the one a stop
 * command stops.
 * <ul>
 *   <li>In a replacement, before its server starts, the server's {@link ShutdownService} beans are taken out, and
 *       jetty-home's {@code STOP.PORT} system property is cleared (so that the server makes no {@code ShutdownMonitor}
 *       yet): the replaced JVM still listens on the port, and the bind would only fail (logged as
 *       {@code Address already in use}).</li>
 *   <li>In the replaced JVM, once it handed over, a stop command that still reaches it (until it exits and frees the
 *       port) is passed on: instead of its own server, which drains anyway, it stops the serving generation with
 *       SIGTERM, which drains it as a real stop.</li>
 *   <li>Once the replacement serves, it waits for the port to be free (the replaced JVM exits, or execs its small
 *       holder JVM) and starts the services it took out: from then on they answer on the port.</li>
 * </ul>
 * Between the replaced JVM freeing the port and the replacement listening (polled every 50 ms) a stop command finds
 * nothing listening. The ServerSocket of each service stays the service's own; this class opens only short-lived
 * probes.
 */
public final class StopPortHandover extends AbstractLifeCycle.AbstractLifeCycleListener implements RestartListener
{
    private static final Logger LOG = LoggerFactory.getLogger(StopPortHandover.class);
    private static final long POLL_MILLIS = 50;
    /** How long a replacement waits for the replaced JVM to free the port: beyond any drain. */
    private static final long WAIT_MILLIS = TimeUnit.MINUTES.toMillis(10);

    private final Server server;
    private static final String STOP_PORT = "STOP.PORT";

    private final List<ShutdownService> held = new CopyOnWriteArrayList<>();
    /** jetty-home's STOP.PORT, taken out of the system properties until the replaced JVM frees the port. */
    private volatile String monitorPort;

    public StopPortHandover(Server server)
    {
        this.server = server;
    }

    @Override
    public void lifeCycleStarting(LifeCycle event)
    {
        if (event != server || !isReplacement())
            return;
        for (ShutdownService service : server.getBeans(ShutdownService.class))
        {
            server.removeBean(service);
            held.add(service);
        }
        // jetty-home's STOP.PORT: Server.doStart makes a ShutdownMonitor of the system properties and adds it as a bean,
        // too late to be taken out; without STOP.PORT it makes none, and takeOver() makes it once the port is free.
        String port = System.getProperty(STOP_PORT);
        if (port != null && !port.isBlank())
        {
            monitorPort = port;
            System.clearProperty(STOP_PORT);
        }
        if (!held.isEmpty() || monitorPort != null)
            LOG.info("Stop port {}: the replaced JVM listens on it; this replacement takes it over once the replaced JVM frees it", ports());
    }

    @Override
    public void serving()
    {
        if (held.isEmpty() && monitorPort == null)
            return;
        Thread thread = new Thread(this::takeOver, "graceful-stop-port");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void restartSucceeded(RestartOutcome outcome)
    {
        List<ShutdownService> services = List.copyOf(server.getBeans(ShutdownService.class));
        if (services.isEmpty())
            return;
        ForwardStop forward = new ForwardStop(outcome.childPid());
        try
        {
            forward.start();
        }
        catch (Exception x)
        {
            throw new IllegalStateException(x);
        }
        for (ShutdownService service : services)
        {
            service.removeComponent(server);
            service.addComponent(forward);
        }
        LOG.info("Stop port {}: until this JVM exits, a stop command sent to it stops the serving generation (pid {})", ports(services), outcome.childPid());
    }

    private void takeOver()
    {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        List<ShutdownService> services = new ArrayList<>(held);
        String port = monitorPort;
        if (port != null)
        {
            monitorPort = null;
            System.setProperty(STOP_PORT, port);
            services.add(shutdownMonitor());
        }
        for (ShutdownService service : services)
        {
            try
            {
                while (service.getPort() > 0 && !free(service))
                {
                    if (System.nanoTime() - deadline >= 0)
                    {
                        LOG.warn("Stop port {}:{} is still in use after {} s: jetty:stop / STOP.PORT will not reach this generation (pid {})",
                            service.getHost(), service.getPort(), TimeUnit.MILLISECONDS.toSeconds(WAIT_MILLIS), ProcessHandle.current().pid());
                        return;
                    }
                    Thread.sleep(POLL_MILLIS);
                }
                if (!server.isRunning())
                    return;
                server.addBean(service);
                service.addComponent(server);
                service.start();
                held.remove(service);
                LOG.info("Stop port {}:{} taken over: stop commands reach this generation (pid {})", service.getHost(), service.getLocalPort(), ProcessHandle.current().pid());
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                return;
            }
            catch (Exception x)
            {
                LOG.warn("Cannot take over stop port {}:{}", service.getHost(), service.getPort(), x);
            }
        }
    }

    @SuppressWarnings("removal")
    private static ShutdownService shutdownMonitor()
    {
        return org.eclipse.jetty.server.ShutdownMonitor.getInstance();
    }

    private static boolean free(ShutdownService service)
    {
        try (ServerSocket probe = new ServerSocket())
        {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(service.getHost()), service.getPort()));
            return true;
        }
        catch (IOException x)
        {
            return false;
        }
    }

    private String ports()
    {
        String monitor = monitorPort == null ? "" : " STOP.PORT=" + monitorPort;
        return ports(held) + monitor;
    }

    private static String ports(List<ShutdownService> services)
    {
        return services.stream().map(s -> s.getHost() + ":" + s.getPort()).toList().toString();
    }

    /** Stands for the server in a replaced JVM's stop service: its stop sends SIGTERM to the serving generation. */
    private static final class ForwardStop extends AbstractLifeCycle
    {
        private final long servingPid;

        private ForwardStop(long servingPid)
        {
            this.servingPid = servingPid;
        }

        @Override
        protected void doStop()
        {
            boolean sent = ProcessHandle.of(servingPid).map(ProcessHandle::destroy).orElse(false);
            LOG.info("Stop command on the replaced JVM's stop port: SIGTERM to the serving generation (pid {}): {}", servingPid, sent ? "sent" : "it is gone");
        }

        @Override
        public String toString()
        {
            return "ForwardStop[to pid " + servingPid + "]";
        }
    }

    /** @return whether this JVM was started by a restart; a broken environment is GracefulRestart's to report */
    static boolean isReplacement()
    {
        try
        {
            return InheritedSockets.get().source() == InheritedSockets.Source.HANDOFF;
        }
        catch (InheritedSocketException x)
        {
            return false;
        }
    }
}
