package io.jettygraceful.it.faults;

import java.nio.charset.StandardCharsets;

import io.jettygraceful.GracefulRestart;
import io.jettygraceful.InheritedServerConnector;
import org.eclipse.jetty.server.Server;

/**
 * Run as its own JVM by {@link FaultSecurityTest}: starts a real Jetty with a real {@link GracefulRestart} (so its
 * start hides the socket-passing variables), then starts {@code /usr/bin/env} with {@link ProcessBuilder} and prints
 * what that process got, one {@code CHILD-ENV name=value} line per variable. Not a test itself (no JUnit here).
 */
public final class EnvProbe
{
    private EnvProbe()
    {
    }

    public static void main(String[] args) throws Exception
    {
        Server server = new Server();
        InheritedServerConnector connector = new InheritedServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        GracefulRestart restart = new GracefulRestart(server);
        restart.getConfiguration().setSignal("none");
        restart.getConfiguration().setSystemdNotify(false);
        server.addBean(restart);
        server.start();
        try
        {
            Process env = new ProcessBuilder("/usr/bin/env").redirectErrorStream(true).start();
            String output = new String(env.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            env.waitFor();
            for (String line : output.split("\n"))
                System.out.println("CHILD-ENV " + line);
            Process exec = Runtime.getRuntime().exec(new String[] {"/usr/bin/env"});
            String execOutput = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            exec.waitFor();
            for (String line : execOutput.split("\n"))
                System.out.println("EXEC-ENV " + line);
            ProcessBuilder touched = new ProcessBuilder("/usr/bin/env").redirectErrorStream(true);
            touched.environment().put("PROBE_TOUCHED", "yes");
            Process withCopy = touched.start();
            String copyOutput = new String(withCopy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            withCopy.waitFor();
            for (String line : copyOutput.split("\n"))
                System.out.println("COPY-ENV " + line);
            System.out.println("PROBE-DONE");
        }
        finally
        {
            server.stop();
        }
    }
}
