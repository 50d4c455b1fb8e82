package io.jettygraceful;

/**
 * The protocol between a running Jetty (the <em>parent</em>) and the replacement JVM it starts (the <em>child</em>).
 * This class is the one place it is written down (the README links here).
 *
 * <h2>File descriptors in the child</h2>
 * <ul>
 *   <li>0, 1, 2: inherited from the parent unchanged (logs stay attached to the same stdout/stderr).</li>
 *   <li>3 … 3+n-1: the n listening sockets (TCP or Unix-domain), in the order of the parent's
 *       {@link HandedOverConnector}s ({@code InheritedServerConnector}, {@code InheritedUnixDomainConnector})
 *       (systemd's {@code SD_LISTEN_FDS_START} layout). Each is a dup of the parent's listener: the same socket,
 *       so connections waiting in its accept queue are served by whichever process accepts them.</li>
 *   <li>3+n: the <em>control socket</em>, one end of a Unix stream socket pair the parent created.</li>
 *   <li>nothing else: the spawn closes every other fd (posix_spawn with closefrom), so no file, pipe or client
 *       connection of the parent reaches the child.</li>
 * </ul>
 *
 * <h2>Environment of the child</h2>
 * The parent's environment, minus {@code LISTEN_PID}, {@code LISTEN_FDS}, {@code LISTEN_FDNAMES} and every
 * {@code JETTY_GRACEFUL_*} variable, plus:
 * <ul>
 *   <li>{@value #LISTEN_FDS} = n, {@value #LISTEN_FDNAMES} = the n names joined with {@code :} (systemd's format);</li>
 *   <li>{@value #PARENT_PID} = the parent's pid;</li>
 *   <li>{@value #CONTROL_FD} = 3+n;</li>
 *   <li>{@value #GENERATION} = the parent's generation + 1 (a process started by hand is generation 1);</li>
 *   <li>{@value #SOCKET_FILES} = one entry per listening socket, joined with {@code :}: empty, or
 *       {@code <device>,<inode>} of a Unix-domain socket's file that this service bound itself (not systemd). The
 *       child then owns that file: it removes it when it is stopped for real, if the path still names that file.
 *       A process that hands over never removes it.</li>
 * </ul>
 * {@code LISTEN_PID} is not set: posix_spawn cannot know the child's pid before exec. Instead the child accepts the
 * handoff only when the fd named by {@value #CONTROL_FD} is a Unix socket whose peer (SO_PEERCRED, fixed when the
 * pair was created) is the process named by {@value #PARENT_PID}. A process the child later starts itself may inherit
 * these variables (GracefulRestart removes them, see InheritedEnvironment, but without --add-opens a copy of
 * ProcessBuilder.environment() keeps them) but never that fd, so it ignores them; this stays true even
 * after the parent has died, unlike a check of {@code getppid()}. When {@code LISTEN_PID} is set the variables follow
 * systemd's rules instead, and the JETTY_GRACEFUL variables are ignored.
 *
 * <h2>Messages on the control socket</h2>
 * ASCII lines ending in {@code \n}, in this order:
 * <ol>
 *   <li>child to parent: {@value #READY} {@code <pid>} once its {@code Server} has started and its readiness check
 *       (if any) has passed; or {@value #FAILED} {@code <reason>} when it cannot start, after which it exits.
 *       Until then the child's connectors do not accept: the parent alone serves.</li>
 *   <li>parent to child: {@value #GO}: start accepting. Both processes now accept from the same sockets.</li>
 *   <li>child to parent: {@value #SERVING}, once its connectors accept. Only now does the parent commit: a child
 *       that dies before this line leaves the parent serving as before.</li>
 *   <li>parent to child: {@value #DONE}, after the parent has pointed supervisors at the child (PID file, then
 *       systemd {@code MAINPID}). The parent then stops accepting, drains and exits; the child announces itself
 *       (systemd {@code READY=1}) and may restart in turn.</li>
 * </ol>
 * End of stream at any point means the other side died. A child that sees it starts (or keeps) accepting and
 * serves alone; a parent that sees it before {@value #SERVING} stops and reaps the child and keeps serving. A child
 * that dies after {@value #SERVING}, while the parent still drains (at least the take-back window, default 2 s), is
 * reaped by the parent, which re-adopts the listeners it kept and accepts again.
 *
 * <h2>Timeouts and failure</h2>
 * The parent waits for {@value #READY} at most the ready timeout (default 60 s), then for {@value #SERVING} at most
 * the kill grace period (default 5 s). On timeout, or when the control socket reaches end of stream first (the child
 * died), the parent sends SIGTERM to the child (its JVM then drains what it accepted), waits up to the kill grace
 * period (default 5 s) for it to exit, then SIGKILL, and always reaps it. On {@value #FAILED} it first gives the child
 * the kill grace period to exit by itself (status 1), and only then goes on the same way. The parent keeps
 * serving and may try again. A parent whose server is stopped for real before it has sent {@value #DONE} (SIGTERM,
 * {@code server.stop()}) ends the handoff the same way, within 200 ms, and only then lets its JVM exit: a stop stops
 * the service, and the child never finds its parent gone. (A stop that comes after {@value #DONE} finds a process
 * that has already handed over: it drains, and the child serves on as the main process.)
 *
 * <h2>Who closes what</h2>
 * The parent closes its copies of the child's fds right after the spawn, and its end of the control socket when the
 * handoff ends (either way). Its own listeners it closes only when it stops, which never shuts the shared socket
 * down. The child owns fds 3 … 3+n: the registry sets FD_CLOEXEC on them and keeps them open for the life of the
 * JVM; each connector start gets its own dup of its socket and closes only that.
 */
public final class HandoffProtocol
{
    /** systemd's first passed fd. */
    public static final int LISTEN_FDS_START = 3;
    public static final String LISTEN_PID = "LISTEN_PID";
    public static final String LISTEN_FDS = "LISTEN_FDS";
    public static final String LISTEN_FDNAMES = "LISTEN_FDNAMES";
    public static final String PARENT_PID = "JETTY_GRACEFUL_PARENT_PID";
    public static final String CONTROL_FD = "JETTY_GRACEFUL_CONTROL_FD";
    public static final String GENERATION = "JETTY_GRACEFUL_GENERATION";
    /** Per listening socket, the identity of the Unix-domain socket file this service owns, or empty. */
    public static final String SOCKET_FILES = "JETTY_GRACEFUL_SOCKET_FILES";
    /** Prefix of every variable of this protocol: all are removed before new ones are set. */
    public static final String PREFIX = "JETTY_GRACEFUL_";
    public static final String READY = "READY";
    public static final String FAILED = "FAILED";
    public static final String GO = "GO";
    public static final String SERVING = "SERVING";
    public static final String DONE = "DONE";

    private HandoffProtocol()
    {
    }
}
