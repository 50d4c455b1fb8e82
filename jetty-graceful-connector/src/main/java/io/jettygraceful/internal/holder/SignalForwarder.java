package io.jettygraceful.internal.holder;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import io.jettygraceful.internal.os.Os;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The container holder's signal handling: SIGTERM, SIGINT and SIGHUP go to the serving process instead of ending (or
 * restarting) this one. A handler is also what makes PID 1 receive them at all: the kernel drops signals that PID 1
 * has no handler for. {@link #restore()} puts back the handlers that were there before (the JVM's own, the restart
 * trigger's).
 */
final class SignalForwarder
{
    private static final Map<String, Os.Signal> FORWARDED = Map.of("TERM", Os.Signal.TERM, "INT", Os.Signal.INT, "HUP", Os.Signal.HUP);

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

    private SignalForwarder()
    {
    }

    /** Installs the handlers; each received signal is passed to {@code forward} on a JVM signal thread. */
    static SignalForwarder install(Consumer<Os.Signal> forward)
    {
        SignalForwarder forwarder = new SignalForwarder();
        FORWARDED.forEach((name, signal) ->
        {
            Signal jvmSignal = new Signal(name);
            forwarder.previous.put(jvmSignal, Signal.handle(jvmSignal, s -> forward.accept(signal)));
        });
        return forwarder;
    }

    void restore()
    {
        previous.forEach(Signal::handle);
        previous.clear();
    }
}
