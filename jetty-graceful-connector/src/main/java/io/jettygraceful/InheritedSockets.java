package io.jettygraceful;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.jettygraceful.internal.inherit.InheritedEnvironment;
import io.jettygraceful.internal.inherit.SocketFile;
import io.jettygraceful.internal.os.FdDescription.SocketInfo;
import io.jettygraceful.internal.os.FdDescription;
import io.jettygraceful.internal.os.Os;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.HandoffProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of listening sockets this process inherited: from systemd socket activation ({@code LISTEN_FDS},
 * {@code LISTEN_PID}, {@code LISTEN_FDNAMES}) or from a jetty-graceful parent handing off (see
 * {@link HandoffProtocol}). It reads the environment once per JVM ({@link #get()}), validates every fd before any is
 * used, and hands sockets out to connectors by name or by order.
 *
 * <p>Rules:</p>
 * <ul>
 *   <li>Variables aimed at another process are ignored: {@code LISTEN_PID} set to another pid (then the handoff
 *       variables are ignored too), or, with no {@code LISTEN_PID}, handoff variables whose control fd is not this
 *       process's link to the named parent, or no handoff variables at all. A process
 *       the application starts inherits the variables but not the fds, and must not adopt whatever sits at fd 3.</li>
 *   <li>Variables aimed at this process must be right, or {@link #get()} throws {@link InheritedSocketException}
 *       naming the variable or fd: {@code LISTEN_FDS} a positive number, {@code LISTEN_FDNAMES} one name per fd
 *       without control characters, every fd open, a socket, IPv4, IPv6 or Unix-domain, of stream type, listening. Nothing is
 *       adopted when anything is wrong, so the server never starts half-configured.</li>
 *   <li>Every adopted fd, and the handoff control fd, gets FD_CLOEXEC, and stays open for the life of the JVM,
 *       owned by this registry.</li>
 * </ul>
 */
public final class InheritedSockets
{
    private static final Logger LOG = LoggerFactory.getLogger(InheritedSockets.class);
    /** Far above any real deployment, low enough to reject garbage before looping over it. */
    static final int MAX_FDS = 1024;

    private static InheritedSockets instance;
    private static InheritedSocketException failure;

    /** Where the sockets came from. */
    public enum Source
    {
        /** Nothing inherited: connectors bind their own. */
        NONE,
        /** systemd socket activation, or any activator speaking its protocol. */
        SYSTEMD,
        /** A jetty-graceful parent handing off to this process. */
        HANDOFF
    }

    private final Source source;
    private final List<InheritedSocket> sockets;
    private final BitSet claimed = new BitSet();
    private final int parentPid;
    private final int generation;
    private final int controlFd;
    private final String ignoredReason;
    /** Per socket: the identity of its socket file that this service owns (see {@link HandoffProtocol#SOCKET_FILES}), or null. */
    private final List<String> socketFiles;

    private InheritedSockets(Source source, List<InheritedSocket> sockets, int parentPid, int generation, int controlFd, String ignoredReason)
    {
        this(source, sockets, parentPid, generation, controlFd, ignoredReason, List.of());
    }

    private InheritedSockets(Source source, List<InheritedSocket> sockets, int parentPid, int generation, int controlFd, String ignoredReason,
                             List<String> socketFiles)
    {
        this.socketFiles = socketFiles;
        this.source = source;
        this.sockets = Collections.unmodifiableList(sockets);
        this.parentPid = parentPid;
        this.generation = generation;
        this.controlFd = controlFd;
        this.ignoredReason = ignoredReason;
    }

    /**
     * @return the registry of this JVM, read from its environment the first time
     * @throws InheritedSocketException when the variables aimed at this process are wrong; every call throws the same
     */
    public static synchronized InheritedSockets get() throws InheritedSocketException
    {
        if (failure != null)
            throw failure;
        if (instance == null)
        {
            try
            {
                instance = load(InheritedEnvironment.original(), Os.current());
                instance.log();
            }
            catch (InheritedSocketException x)
            {
                failure = x;
                throw x;
            }
        }
        return instance;
    }

    /**
     * Reads and validates a registry from an environment. Public for tests and tools; applications use {@link #get()}.
     *
     * @param env the environment
     * @param os  the OS seam, or {@code null} on an unsupported platform (then nothing is inherited)
     */
    public static InheritedSockets load(Map<String, String> env, Os os) throws InheritedSocketException
    {
        boolean anyVariable = env.containsKey(HandoffProtocol.LISTEN_FDS) || env.containsKey(HandoffProtocol.CONTROL_FD);
        if (os == null)
            return none(anyVariable ? "inherited sockets are ignored: " + Os.unsupportedReason() : null);

        int pid = os.pid();
        String listenPid = env.get(HandoffProtocol.LISTEN_PID);
        if (listenPid != null)
        {
            if (!listenPid.trim().equals(String.valueOf(pid)))
                return none("LISTEN_PID=" + listenPid + " names another process (this is " + pid + "): its sockets are not ours");
            List<InheritedSocket> sockets = readSockets(env, os);
            closeOnExec(os, sockets);
            return new InheritedSockets(Source.SYSTEMD, sockets, 0, 1, -1, null);
        }

        String controlVariable = env.get(HandoffProtocol.CONTROL_FD);
        if (controlVariable == null)
            return none(env.containsKey(HandoffProtocol.LISTEN_FDS) ? "LISTEN_FDS is set without LISTEN_PID: ignored, as systemd's sd_listen_fds does" : null);

        int controlFd = parseInt(controlVariable);
        int parent = parseInt(env.getOrDefault(HandoffProtocol.PARENT_PID, ""));
        String stale = "the " + HandoffProtocol.PREFIX + "* variables were meant for another process (a JVM cannot unset its environment, so processes started by a jetty-graceful child inherit them): ignored";
        if (controlFd < HandoffProtocol.LISTEN_FDS_START || parent <= 0)
            return none(stale);
        FdDescription control = os.describe(controlFd);
        SocketInfo info = control.socket();
        if (info == null || info.family() != SocketInfo.AF_UNIX || info.peerPid() != parent)
            return none(stale);

        // From here on the variables are certainly ours: a parent made this link for this process.
        int generation = parseInt(env.getOrDefault(HandoffProtocol.GENERATION, ""));
        if (generation < 2)
            throw new InheritedSocketException(HandoffProtocol.GENERATION + "=" + env.get(HandoffProtocol.GENERATION) +
                " is not a generation number of 2 or more. Fix: the parent that started this JVM must set it (is its jetty-graceful version the same?)");
        List<InheritedSocket> sockets = readSockets(env, os);
        int expectedControl = HandoffProtocol.LISTEN_FDS_START + sockets.size();
        if (controlFd != expectedControl)
            throw new InheritedSocketException(HandoffProtocol.CONTROL_FD + "=" + controlFd + " but it must follow the " +
                sockets.size() + " listening fd(s), at fd " + expectedControl + ". Fix: the parent that started this JVM must use the layout of HandoffProtocol (is its jetty-graceful version the same?)");
        closeOnExec(os, sockets);
        closeOnExec(os, controlFd);
        return new InheritedSockets(Source.HANDOFF, sockets, parent, generation, controlFd, null, socketFiles(env, sockets.size()));
    }

    /** Reads {@link HandoffProtocol#SOCKET_FILES}: one entry per socket, empty when the service owns no file for it. */
    private static List<String> socketFiles(Map<String, String> env, int count)
    {
        String text = env.get(HandoffProtocol.SOCKET_FILES);
        List<String> files = new ArrayList<>(Collections.nCopies(count, (String)null));
        if (text == null)
            return files;
        String[] given = text.split(":", -1);
        if (given.length != count)
        {
            // Only about removing a file on a real stop: never worth refusing to serve.
            LOG.warn("{}='{}' has {} entries for {} socket(s): ignored; no socket file will be removed on a stop", HandoffProtocol.SOCKET_FILES,
                printable(text), given.length, count);
            return files;
        }
        for (int i = 0; i < count; i++)
            files.set(i, given[i].isEmpty() ? null : given[i]);
        return files;
    }

    private static InheritedSockets none(String ignoredReason)
    {
        return new InheritedSockets(Source.NONE, List.of(), 0, 1, -1, ignoredReason);
    }

    private static List<InheritedSocket> readSockets(Map<String, String> env, Os os) throws InheritedSocketException
    {
        String fix = " Fix: whatever starts this JVM (a systemd .socket unit, systemd-socket-activate, a jetty-graceful parent) must pass the listening sockets from fd 3 and set LISTEN_FDS to their count.";
        String countText = env.get(HandoffProtocol.LISTEN_FDS);
        if (countText == null)
            throw new InheritedSocketException("LISTEN_PID names this process but LISTEN_FDS is not set." + fix);
        int count = parseInt(countText);
        if (count <= 0)
            throw new InheritedSocketException("LISTEN_FDS=" + printable(countText) + " is not a positive number of inherited sockets." + fix);
        if (count > MAX_FDS)
            throw new InheritedSocketException("LISTEN_FDS=" + countText + " is more inherited sockets than jetty-graceful accepts (" + MAX_FDS + ")." + fix);

        String[] names = new String[count];
        String namesText = env.get(HandoffProtocol.LISTEN_FDNAMES);
        if (namesText != null)
        {
            String[] given = namesText.split(":", -1);
            if (given.length != count)
                throw new InheritedSocketException("LISTEN_FDNAMES='" + printable(namesText) + "' has " + given.length + " name(s) but LISTEN_FDS=" + count +
                    ". Fix: give one name per socket, separated by ':' (systemd's FileDescriptorName=, systemd-socket-activate --fdname=), or leave LISTEN_FDNAMES unset.");
            for (int i = 0; i < count; i++)
            {
                String name = given[i];
                for (int c = 0; c < name.length(); c++)
                {
                    if (Character.isISOControl(name.charAt(c)))
                        throw new InheritedSocketException("LISTEN_FDNAMES name " + (i + 1) + " ('" + printable(name) + "') contains a control character. Fix: use printable names such as 'http'.");
                }
                names[i] = name.isEmpty() ? null : name;
            }
        }

        List<InheritedSocket> sockets = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            int fd = HandoffProtocol.LISTEN_FDS_START + i;
            String label = "fd " + fd + (names[i] != null ? " ('" + names[i] + "')" : "") + ", inherited socket " + (i + 1) + " of LISTEN_FDS=" + count + ",";
            FdDescription description = os.describe(fd);
            SocketInfo socket = description.socket();
            String problem = null;
            if (!description.isOpen())
                problem = "is not open";
            else if (socket == null)
                problem = "is " + description.describe() + ", not a socket" + (isJvmOwnFile(description.target()) ?
                    " (a file this JVM opened itself: was anything passed at fd " + fd + " at all?)" : "");
            else if (socket.family() != SocketInfo.AF_INET && socket.family() != SocketInfo.AF_INET6 && socket.family() != SocketInfo.AF_UNIX)
                problem = "is " + socket.describe() + ", of a family Jetty cannot serve (IPv4, IPv6 and Unix-domain only)";
            else if (socket.type() != SocketInfo.SOCK_STREAM)
                problem = "is " + socket.describe() + ", not a stream socket";
            else if (!socket.listening())
                problem = "is " + socket.describe() + " that is not listening (no listen() was called on it)";
            else if (socket.family() == SocketInfo.AF_UNIX ? socket.unixPath() == null || socket.unixPath().isEmpty() : socket.local() == null)
                problem = "is " + socket.describe() + " whose address cannot be read" + (socket.family() == SocketInfo.AF_UNIX ? " (an unnamed Unix socket)" : "");
            if (problem != null)
                throw new InheritedSocketException(label + " " + problem + "." +
                    " Fix: pass listening TCP or Unix-domain stream sockets (ListenStream= in a systemd .socket unit) at fds 3 to " + (2 + count) + ", or correct LISTEN_FDS.");
            sockets.add(socket.family() == SocketInfo.AF_UNIX ? new InheritedSocket(fd, i, names[i], false, null, socket.unixPath())
                : new InheritedSocket(fd, i, names[i], socket.family() == SocketInfo.AF_INET6, socket.local()));
        }
        return sockets;
    }

    /** Marks the sockets close-on-exec, only once every check has passed: nothing is adopted half-way. */
    private static void closeOnExec(Os os, List<InheritedSocket> sockets) throws InheritedSocketException
    {
        for (InheritedSocket socket : sockets)
            closeOnExec(os, socket.fd());
    }

    /** @return whether {@code target} looks like a file the JVM opens for itself (its modules, a jar, its libraries) */
    static boolean isJvmOwnFile(String target)
    {
        String javaHome = System.getProperty("java.home", "/nonexistent");
        return target != null && (target.startsWith(javaHome + "/") || target.endsWith(".jar"));
    }

    private static void closeOnExec(Os os, int fd) throws InheritedSocketException
    {
        try
        {
            os.setCloseOnExec(fd);
        }
        catch (OsException x)
        {
            throw new InheritedSocketException("cannot mark inherited fd " + fd + " close-on-exec: " + x.getMessage());
        }
    }

    private static int parseInt(String text)
    {
        try
        {
            return Integer.parseInt(text.trim());
        }
        catch (NumberFormatException x)
        {
            return -1;
        }
    }

    private static String printable(String text)
    {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray())
        {
            if (Character.isISOControl(c))
                out.append(String.format("\\x%02x", (int)c));
            else
                out.append(c);
        }
        return out.length() > 80 ? out.substring(0, 80) + "…" : out.toString();
    }

    private void log()
    {
        if (ignoredReason != null)
            LOG.info("Inherited sockets: none ({})", ignoredReason);
        else if (source != Source.NONE)
            LOG.info("Inherited {} listening socket(s) from {}: {}", sockets.size(),
                source == Source.HANDOFF ? "jetty-graceful parent " + parentPid + " (generation " + generation + ")" : "systemd socket activation",
                sockets.stream().map(InheritedSocket::describe).toList());
    }

    /**
     * Claims an IP (TCP) socket for a connector: {@link #claim(String, boolean) claim(name, false)}.
     */
    public Optional<InheritedSocket> claim(String name)
    {
        return claim(name, false);
    }

    /**
     * Claims a socket for a connector. A named request takes the first unclaimed socket of that name; an unnamed one
     * takes the first unclaimed socket in fd order. Only sockets of the kind asked for are considered: a TCP
     * connector never takes a Unix-domain socket, nor the other way round.
     *
     * @param name       the LISTEN_FDNAMES name, or {@code null} for "next in order"
     * @param unixDomain true for a Unix-domain socket, false for an IPv4 or IPv6 one
     * @return the socket, or empty when none is left that matches
     */
    public synchronized Optional<InheritedSocket> claim(String name, boolean unixDomain)
    {
        for (InheritedSocket socket : sockets)
        {
            if (claimed.get(socket.index()) || socket.isUnixDomain() != unixDomain)
                continue;
            if (name == null || name.equals(socket.name()))
            {
                claimed.set(socket.index());
                return Optional.of(socket);
            }
        }
        return Optional.empty();
    }

    /**
     * @return for a socket handed over by a jetty-graceful parent that owned its socket file (some generation of this
     * service bound it): that file's identity (see {@link SocketFile.Identity#format()}), which the adopting connector
     * removes on a real stop if the path still names it; {@code null} for any other socket (e.g. one systemd made)
     */
    public String ownedSocketFile(InheritedSocket socket)
    {
        return socket.index() < socketFiles.size() ? socketFiles.get(socket.index()) : null;
    }

    /** @return the sockets no connector has claimed */
    public synchronized List<InheritedSocket> unclaimed()
    {
        return sockets.stream().filter(s -> !claimed.get(s.index())).toList();
    }

    public Source source()
    {
        return source;
    }

    /** @return every inherited socket, in fd order */
    public List<InheritedSocket> sockets()
    {
        return sockets;
    }

    /** @return the pid of the jetty-graceful parent that handed off to this process, or 0 */
    public int parentPid()
    {
        return parentPid;
    }

    /** @return 1 for a process started by hand or by systemd, the parent's + 1 after a handoff */
    public int generation()
    {
        return generation;
    }

    /** @return the handoff control socket (owned by this registry until the restart component takes it), or -1 */
    public int controlFd()
    {
        return controlFd;
    }

    /** @return why inherited-socket variables present in the environment were ignored, or {@code null} */
    public String ignoredReason()
    {
        return ignoredReason;
    }
}
