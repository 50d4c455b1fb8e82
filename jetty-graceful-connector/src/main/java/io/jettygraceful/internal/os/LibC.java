package io.jettygraceful.internal.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions {@link LinuxOs} needs, bound with jnr-ffi. Public only because jnr-ffi generates its
 * implementation in another class loader; nothing but {@link LinuxOs} calls these, and only it knows the Linux constants
 * and struct layouts they take.
 */
public interface LibC
{
    int getpid();

    int getppid();

    int fcntl(int fd, int cmd, int arg);

    int dup2(int oldFd, int newFd);

    int close(int fd);

    int socket(int domain, int type, int protocol);

    int socketpair(int domain, int type, int protocol, @Out int[] fds);

    int getsockopt(int fd, int level, int option, @Out Pointer value, @In @Out IntByReference length);

    int getsockname(int fd, @Out Pointer address, @In @Out IntByReference length);

    int getpeername(int fd, @Out Pointer address, @In @Out IntByReference length);

    @ssize_t
    long sendto(int fd, @In Pointer buffer, @size_t long length, int flags, @In Pointer address, int addressLength);

    @ssize_t
    long read(int fd, @Out byte[] buffer, @size_t long count);

    @ssize_t
    long write(int fd, @In byte[] buffer, @size_t long count);

    /** {@code msghdr} is laid out by {@link LinuxOs} (LP64 layout). */
    @ssize_t
    long sendmsg(int fd, @In Pointer msghdr, int flags);

    /** {@code msghdr} is laid out by {@link LinuxOs} (LP64 layout); the kernel writes into the buffers it points at. */
    @ssize_t
    long recvmsg(int fd, Pointer msghdr, int flags);

    int poll(Pointer fds, long count, int timeoutMillis);

    int kill(int pid, int signal);

    /** {@code which} PRIO_PROCESS (0) with a thread id (0: the calling thread) reads or sets that one thread's nice value on Linux. */
    int getpriority(int which, int who);

    int setpriority(int which, int who, int prio);

    int waitpid(int pid, @Out int[] status, int options);

    String strerror(int errno);

    int unsetenv(String name);

    int posix_spawnp(@Out int[] pid, String file, Pointer fileActions, Pointer attributes, Pointer argv, Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int target);

    int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

    /** glibc 2.34 and later; absent elsewhere (then UnsatisfiedLinkError). */
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_destroy(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer sigset);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer sigset);

    int sigemptyset(Pointer sigset);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int execve(String path, Pointer argv, Pointer envp);

    int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    int sigtimedwait(Pointer set, Pointer info, Pointer timeout);

    int sigaddset(Pointer sigset, int signal);

    /** {@code action} or {@code old} may be null (then not set / not read). */
    int sigaction(int signal, Pointer action, Pointer old);
}
