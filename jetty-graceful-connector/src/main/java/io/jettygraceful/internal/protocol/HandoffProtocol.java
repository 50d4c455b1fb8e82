package io.jettygraceful.internal.protocol;


/**
 * The protocol between a running Jetty (the <em>parent</em>) and the replacement JVM it starts (the <em>child</em>).
 * This class is the one place it is written down (the README links here).
 *
 * <h2>File descriptors in the child</h2>
 * <ul>
 *   <li>0, 1, 2: inherited from the parent unchanged (logs stay attached to the same stdout/stderr).</li>
 *   <li>3 … 3+n-1: the n listening sockets (TCP or Unix-domain), in the order of the parent's
 *       {@link io.jettygraceful.internal.inherit.HandedOverConnector}s ({@code InheritedServerConnector}, {@code InheritedUnixDomainConnector})
 *       (systemd's {@code SD_LISTEN_FDS_START} layout). Each is a dup of the parent's listener: the same socket,
 *       so connections waiting in its accept queue are served by whichever process accepts them.</li>
 *   <li>3+n: the <em>control socket</em>, one end of a Unix stream socket pair the parent created.</li>
 *   <li>3+n+1, only under a container holder (see below): the <em>holder channel</em>.</li>
 *   <li>3+n+2, only when connections are moved (the default; see "Moving connections"): the <em>connections
 *       channel</em>, one end of a Unix {@code SOCK_SEQPACKET} socket pair the parent created.</li>
 *   <li>nothing else: the spawn closes every other fd (posix_spawn with closefrom), so no file, pipe or client
 *       connection of the parent reaches the child.</li>
 * </ul>
 *
 * <h2>Signals of the child</h2>
 * An empty signal mask; every signal that was ignored when the first generation started ({@code SigIgn}, e.g.
 * SIGHUP under nohup, SIGINT in a background job; see {@code Os.ignoredAtStart()}) ignored, every other one at its
 * default. A restart trigger that was ignored at start is taken anyway in each generation (see SignalTrigger).
 *
 * <h2>Environment of the child</h2>
 * The parent's environment, minus {@code LISTEN_PID}, {@code LISTEN_FDS}, {@code LISTEN_FDNAMES} and every
 * {@code JETTY_GRACEFUL_*} variable, plus:
 * <ul>
 *   <li>{@value #LISTEN_FDS} = n, {@value #LISTEN_FDNAMES} = the n names joined with {@code :} (systemd's format);</li>
 *   <li>{@value #PARENT_PID} = the parent's pid;</li>
 *   <li>{@value #CONTROL_FD} = 3+n;</li>
 *   <li>{@value #GENERATION} = the parent's generation + 1 (a process started by hand is generation 1);</li>
 *   <li>{@value #HOLDER_FD} = 3+n+1, only when the holder channel is passed.</li>
 *   <li>{@value #CONNECTIONS_FD} = 3+n+2, only when the connections channel is passed.</li>
 *   <li>{@value #NICE} = {@code <starting> <serving>}, only when the child starts at a lower CPU priority (see
 *       "Priority of the child").</li>
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
 *   <li>parent to child: {@value #DONE}, after the parent has pointed supervisors at the child (the PID file). The
 *       parent then overlaps (below), stops accepting, tells systemd the reload is done ({@code READY=1}), drains and
 *       exits; the child may restart in turn.</li>
 * </ol>
 *
 * <h2>Priority of the child</h2>
 * With a replacement nice increment (default 5), the child starts that much nicer than its parent (it inherits the
 * nice value of the parent's spawning thread, raised just for the spawn), so its JVM start takes less CPU from the
 * process serving meanwhile. On {@value #GO}, before it accepts, the child sets each of its threads still at the
 * starting value back to the serving one, both named in {@value #NICE}. Only when the parent could itself lower a nice
 * value again (CAP_SYS_NICE, or RLIMIT_NICE: {@code LimitNICE=}); otherwise the child starts at the parent's priority.
 *
 * <h2>The overlap</h2>
 * After {@value #DONE} both processes accept from the same sockets for the handover spread (default 1 s; zero skips
 * it). Nothing is lost by either accepting: each connection in the kernel's accept queue is accepted by exactly one
 * of them. Meanwhile the parent moves its connections to the child one by one, each at its own moment in the window
 * (a hash of the connection spreads the moments evenly): an HTTP/1 connection that is not moved with its socket (see
 * "Moving connections") gets {@code Connection: close} on the first response it sends after its moment (decided when the request arrives, so the client learns it from the
 * response itself); an HTTP/2
 * session gets a graceful GOAWAY. The client reconnects, and the connection lands in either process; one the parent
 * accepts late in the window moves on its first response. So the child, cold, takes the load at an even rate over
 * the window instead of every keep-alive client at once. At the end of the window the parent stops accepting and
 * drains as below: every response then carries {@code Connection: close}, connections idle for a second (no request,
 * nothing unread, no traffic) are closed, HTTP/2
 * sessions get GOAWAY, until none is left or the drain timeout (counted from the end of the overlap) has passed.
 * <ul>
 *   <li>The child dies during the overlap (a crash: killed by a signal, or an exit status other than 0, 129, 130,
 *       143): the parent never stopped accepting; it stops moving connections, counts the restart as failed, points
 *       the PID file back at itself and serves on (the take-back, with nothing to re-adopt). A child that exits
 *       cleanly (stopped on purpose) ends the overlap, and the parent drains as usual.</li>
 *   <li>A real stop of the parent during the overlap (SIGTERM, {@code server.stop()}) ends the overlap at once: the
 *       parent stops accepting and drains, and the stop waits for that drain before Jetty's own graceful stop runs.</li>
 * </ul>
 * End of stream at any point means the other side died. A child that sees it starts (or keeps) accepting and
 * serves alone; a parent that sees it before {@value #SERVING} stops and reaps the child and keeps serving. A child
 * that dies after {@value #SERVING}, while the parent still overlaps or drains (the overlap and at least the take-back window, default 2 s), is
 * reaped by the parent, which re-adopts the listeners it kept and accepts again.
 *
 * <h2>Moving connections</h2>
 * Unless turned off ({@code GracefulRestart.setMoveConnections(false)}), the parent moves its idle plain HTTP/1.1
 * connections to the child with their sockets open, so that their clients never reconnect. It does so from
 * {@value #DONE} on, every 10 ms of the overlap and of the drain that follows, each connection at a moment it is idle:
 * no request in progress, the parser at the start of the next request (nothing of a half-sent one read), nothing
 * buffered in user space, no response being written, Jetty waiting for its next bytes; and on a connector whose
 * default protocol is HTTP/1.1 without TLS (see {@code EndPointTransfer}). During the overlap, and the first take-back
 * window (default 2 s, at most half the drain timeout) of the drain, such connectors' responses carry no
 * {@code Connection: close} (a busy connection moves at its next idle moment); TLS, HTTP/2 and WebSocket connections,
 * PROXY-protocol and upgraded ones, and whatever is still busy after that are ended as before (the drain's
 * {@code Connection: close}, idle close, GOAWAY, 1012).
 *
 * <p>How the fds travel: over the connections channel, not the control socket, so a message's fds never mix with
 * the line protocol; {@code SOCK_SEQPACKET} keeps each message whole, with its fds. Parent to child, one message per
 * at most 253 connections ({@code SCM_MAX_FD}) of one listener: {@code MOVE <id> <i> <i> ...}, one listener index
 * {@code i} (the listener at fd 3+i in the child) per fd attached ({@code SCM_RIGHTS}). Child to parent, one answer:
 * {@code ADOPTED <id> <flags>}, one {@code 1} (adopted) or {@code 0} (refused) per fd. The parent sends the next
 * message only after the answer, so at most 253 references are in flight (they count against the parent's
 * {@code RLIMIT_NOFILE}: {@code ETOOMANYREFS} fails the send, and the parent keeps those connections). The child
 * receives with {@code MSG_CMSG_CLOEXEC} and checks {@code MSG_CTRUNC} (at its fd limit the kernel drops the fds that
 * do not fit): a truncated message, or one whose fds do not match its text, is refused whole.</p>
 *
 * <p>Who owns and closes each fd, step by step:</p>
 * <ol>
 *   <li>The parent takes the connection out of its selector on the selector thread (the key's attachment removed, the
 *       key cancelled) and waits for one select, which deregisters it: until then closing the channel would
 *       {@code shutdown(SHUT_WR)} the socket itself. Its idle timeout is off meanwhile.</li>
 *   <li>The parent finds the channel's fd by the socket's addresses ({@code getsockname}/{@code getpeername}), takes a
 *       dup of it (FD_CLOEXEC), then closes Jetty's channel (a plain {@code close(2)} now) and its endpoint. The dup is
 *       the parent's one reference from here on: the socket stays open, and bytes the client sends wait in it.</li>
 *   <li>The dups travel in a {@code MOVE}. The child's received fds are its own; it makes each a {@code SocketChannel}
 *       by {@code dup2} over a connected loopback placeholder of the same family, registers it with the connector of
 *       that listener (reporting the real addresses), closes the received fd, and answers.</li>
 *   <li>On {@code 1} the parent closes its dup: the socket lives on in the child alone, which closes it as any
 *       connection. On {@code 0}, and for all of a message when the channel reaches end of stream or fails before the
 *       answer (the child died: the kernel dropped whatever references it held or had in flight), the parent adopts
 *       the dup again into its own connector the same way (the take-back) and closes the dup; the drain then ends
 *       those connections as any other. When the child, alive, does not answer within 10 s, the parent closes its dups
 *       without taking them back (the child may still adopt them: a socket must never be read by two processes).
 *       After any failure the parent moves nothing more.</li>
 *   <li>The parent closes its end of the channel when the drain ends (or at the take-back); the child's receiver then
 *       reaches end of stream and closes its end.</li>
 * </ol>
 * <p>A child that dies after it adopted a connection takes that connection with it, as it would one it accepted: a
 * client's request in flight there is lost, and the client sees the connection reset. The counts (moved; closed
 * instead) are logged at the end of every handover and exposed over JMX ({@code connectionsMoved},
 * {@code connectionsClosed}).</p>
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
 * <h2>Under systemd: the handover follows {@code PIDFile=}, not {@code MAINPID=}</h2>
 * The old process stays the service's main pid until it exits. It sends {@code RELOADING=1} when a restart begins and
 * {@code READY=1} once the child serves and the parent has stopped accepting, at the end of the overlap (with {@code STATUS=Restart <n> of pid <pid> succeeded|failed|refused: ...});
 * it writes the child's pid to the PID file before {@value #DONE}, overlaps, drains and exits. systemd then re-reads
 * {@code PIDFile=} ("Main PID changing") and finds the child, which the kernel reparented to the service manager when
 * the old process exited, before systemd heard of that exit: systemd supervises its own child, so {@code systemctl
 * stop} sends it SIGTERM and waits while it drains, and {@code Restart=on-failure} sees it crash. The child sends
 * nothing to systemd while its parent lives (it would be rejected under {@code NotifyAccess=main}); it speaks for the
 * service once {@code getppid()} shows its parent gone. A restart under systemd needs a PID file; without one it is
 * refused, saying so.
 *
 * <p>Why not {@code MAINPID=<child>}, the obvious way: measured with systemd 252 and 257, a main pid that is not
 * systemd's child is "supervised" but not waited for: {@code systemctl stop} SIGKILLs it at once, in-flight requests
 * are lost and the unit ends {@code failed}. Making the child systemd's child before {@code MAINPID=} needs an
 * intermediate process that spawns it and exits (a shell, or {@code setsid --fork}: none in a distroless image; a JVM
 * cannot fork safely) and costs the parent its {@code waitpid()} on the child, which the take-back below and every exit
 * status in the outcome rely on. Keeping the old process the main pid keeps both, and needs nothing but the PID file.
 * The price: until the old process has exited (its drain, at least the take-back window), a reload reaches the old
 * process, which refuses it with a reason ({@code jetty-graceful-reload} therefore returns only once systemd follows the
 * new main pid, so scripted deploys never meet that window).</p>
 *
 * <p>The fd store: a first generation that bound its sockets itself sends each with {@code FDSTORE=1} and
 * {@code FDNAME=} (SCM_RIGHTS) once it serves, when enabled. systemd then keeps them open across {@code systemctl
 * restart} and crashes, and passes them back in {@code LISTEN_FDS}/{@code LISTEN_FDNAMES}, with {@code LISTEN_PID},
 * to the next start, which adopts them like a socket unit's. Sockets that came from systemd are never stored again.</p>
 *
 * <h2>The container holder</h2>
 * A first process that must not exit (PID 1 of its PID namespace, or the child of tini; see {@code ContainerHolder})
 * creates a Unix stream socket pair once, keeps one end, and passes the other to its replacement at fd 3+n+1
 * ({@value #HOLDER_FD}); every generation passes the fd it inherited on to its own replacement the same way. Lines
 * on it, each generation to the holder:
 * <ul>
 *   <li>{@value #HOLDER_SERVING} {@code <pid>}: this process serves now (a replacement once it took over, or a
 *       replaced process that took its sockets back): the holder forwards SIGTERM, SIGINT and SIGHUP to it, and exits
 *       with its status when it ends;</li>
 *   <li>{@value #HOLDER_ENDED} {@code <pid> <code> <signal>}: a replaced process reaped its replacement (that one
 *       was the serving process) and did not take the sockets back; the holder cannot reap a process that is not
 *       its child, so this is how it learns the status.</li>
 * </ul>
 * A generation without that fd (no holder) sends nothing; one whose fd is not a Unix socket ignores it.
 *
 * <h2>Who closes what</h2>
 * The parent closes its copies of the child's fds right after the spawn, and its end of the control socket when the
 * handoff ends (either way), and its end of the connections channel when the drain ends (see "Moving connections" for
 * the moved connections' fds). Its own listeners it closes only when it stops, which never shuts the shared socket
 * down. The child owns fds 3 … 3+n: the registry sets FD_CLOEXEC on them and keeps them open for the life of the
 * JVM; each connector start gets its own dup of its socket and closes only that.
 */
public final class HandoffProtocol
{
    /** systemd's notify socket variable (see {@code SystemdNotifier}); hidden from the application's own child processes. */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    /** On the connections channel, parent to child: {@code MOVE <id> <listener index>...} with the fds attached ("Moving connections"). */
    public static final String MOVE = "MOVE";
    /** On the connections channel, child to parent: {@code ADOPTED <id> <flags>}, one flag per fd of that {@code MOVE}. */
    public static final String ADOPTED = "ADOPTED";

    /** systemd's first passed fd. */
    public static final int LISTEN_FDS_START = 3;
    public static final String LISTEN_PID = "LISTEN_PID";
    public static final String LISTEN_FDS = "LISTEN_FDS";
    public static final String LISTEN_FDNAMES = "LISTEN_FDNAMES";
    public static final String PARENT_PID = "JETTY_GRACEFUL_PARENT_PID";
    public static final String CONTROL_FD = "JETTY_GRACEFUL_CONTROL_FD";
    public static final String GENERATION = "JETTY_GRACEFUL_GENERATION";
    public static final String HOLDER_FD = "JETTY_GRACEFUL_HOLDER_FD";
    /** {@code <starting> <serving>}: the child started at nice {@code starting}; at GO it goes back to {@code serving}. */
    public static final String NICE = "JETTY_GRACEFUL_NICE";
    public static final String HOLDER_SERVING = "SERVING";
    public static final String HOLDER_ENDED = "ENDED";
    /** Per listening socket, the identity of the Unix-domain socket file this service owns, or empty. */
    public static final String SOCKET_FILES = "JETTY_GRACEFUL_SOCKET_FILES";
    /** The fd of the replacement's end of the connections channel, when connections are moved. */
    public static final String CONNECTIONS_FD = "JETTY_GRACEFUL_CONNECTIONS_FD";
    /** Prefix of every variable of this protocol: all are removed before new ones are set. */
    public static final String PREFIX = "JETTY_GRACEFUL_";
    public static final String READY = "READY";
    public static final String FAILED = "FAILED";
    public static final String GO = "GO";
    public static final String SERVING = "SERVING";
    public static final String DONE = "DONE";

    /** @return the holder channel's fd in a child that inherits {@code listeners} listening sockets */
    public static int holderFdOf(int listeners)
    {
        return LISTEN_FDS_START + listeners + 1;
    }

    /** @return the connections channel's fd in a child that inherits {@code listeners} listening sockets (after the holder's place) */
    public static int connectionsFdOf(int listeners)
    {
        return LISTEN_FDS_START + listeners + 2;
    }

    private HandoffProtocol()
    {
    }
}
