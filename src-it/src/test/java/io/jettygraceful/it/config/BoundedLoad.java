package io.jettygraceful.it.config;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small bounded HTTP/1.1 load on loopback with plain sockets, no retries: every request that does not get a
 * complete response (any status) counts as a failure. Half the clients open a new connection per request, half
 * reuse one keep-alive connection until the server answers {@code Connection: close}. It stops by itself at the
 * deadline given to {@link #start}, at the latest.
 *
 * <p>One exception to "no retries", the one HTTP itself makes (RFC 9112 section 9.3.1, and what browsers and
 * {@code java.net.http.HttpClient} do): a request on a <em>reused</em> keep-alive connection that the server closed
 * before sending a single byte back (it closed the connection as idle while the request was on its way) is sent once
 * more on a new connection. Such retries are counted apart ({@link #retried()}); a retry that fails is a failure.</p>
 */
final class BoundedLoad implements AutoCloseable
{
    private final int port;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final ConcurrentHashMap<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Thread[] threads;
    private final long deadline;

    private BoundedLoad(int port, int clients, long maxMillis)
    {
        this.port = port;
        this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        this.threads = new Thread[clients];
        for (int i = 0; i < clients; i++)
        {
            boolean keepAlive = i % 2 == 1;
            threads[i] = new Thread(() -> run(keepAlive), "load-" + i + (keepAlive ? "-keepalive" : "-close"));
            threads[i].setDaemon(true);
        }
    }

    static BoundedLoad start(int port, int clients, long maxMillis)
    {
        BoundedLoad load = new BoundedLoad(port, clients, maxMillis);
        for (Thread thread : load.threads)
            thread.start();
        return load;
    }

    long ok()
    {
        return ok.get();
    }

    long failed()
    {
        return failed.get();
    }

    /** @return requests sent again because a reused keep-alive connection was closed before any response byte */
    long retried()
    {
        return retried.get();
    }

    List<String> failures()
    {
        return List.copyOf(failures);
    }

    String statuses()
    {
        return statuses.toString();
    }

    /** Stops the clients and waits for them. */
    @Override
    public void close() throws InterruptedException
    {
        running.set(false);
        for (Thread thread : threads)
            thread.join(15_000);
    }

    private boolean go()
    {
        return running.get() && System.nanoTime() < deadline;
    }

    private void run(boolean keepAlive)
    {
        Socket socket = null;
        boolean reused = false;
        long n = 0;
        while (go())
        {
            String path = "/load/" + (n++);
            try
            {
                if (socket == null)
                {
                    socket = connect();
                    reused = false;
                }
                boolean close;
                try
                {
                    close = request(socket, path, keepAlive);
                }
                catch (NoResponseException x)
                {
                    if (!reused)
                        throw x;
                    // Closed as idle while the request travelled: retry once on a new connection, as HTTP clients do.
                    retried.incrementAndGet();
                    if (failures.size() < 20)
                        failures.add(Thread.currentThread().getName() + " (retried): " + x.getMessage());
                    closeQuietly(socket);
                    socket = connect();
                    reused = false;
                    close = request(socket, path, keepAlive);
                }
                ok.incrementAndGet();
                reused = true;
                if (close || !keepAlive)
                {
                    socket.close();
                    socket = null;
                }
            }
            catch (IOException x)
            {
                failed.incrementAndGet();
                if (failures.size() < 20)
                    failures.add(Thread.currentThread().getName() + ": " + x);
                closeQuietly(socket);
                socket = null;
            }
        }
        closeQuietly(socket);
    }

    /** The server closed (or reset) the connection before sending any byte of the response. */
    private static final class NoResponseException extends IOException
    {
        NoResponseException(String message, Throwable cause)
        {
            super(message, cause);
        }
    }

    private Socket connect() throws IOException
    {
        Socket socket = new Socket();
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return socket;
    }

    /** @return whether the server closes the connection after this response */
    private boolean request(Socket socket, String path, boolean keepAlive) throws IOException
    {
        OutputStream out = socket.getOutputStream();
        String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
        try
        {
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        catch (IOException x)
        {
            throw new NoResponseException("connection failed while sending the request: " + x, x);
        }
        InputStream in = new BufferedInputStream(socket.getInputStream());
        int first;
        try
        {
            first = in.read();
        }
        catch (IOException x)
        {
            throw new NoResponseException("connection failed before any response: " + x, x);
        }
        if (first < 0)
            throw new NoResponseException("connection closed before any response", null);
        String rest = readLine(in);
        String statusLine = (char)first + (rest == null ? "" : rest);
        if (!statusLine.startsWith("HTTP/1.1 "))
            throw new IOException("bad status line: " + statusLine);
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean close = false;
        for (String line = readLine(in); ; line = readLine(in))
        {
            if (line == null)
                throw new IOException("connection closed in the response headers");
            if (line.isEmpty())
                break;
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:"))
                length = Long.parseLong(lower.substring(15).trim());
            else if (lower.startsWith("connection:") && lower.contains("close"))
                close = true;
            else if (lower.startsWith("transfer-encoding:"))
                throw new IOException("unexpected chunked response");
        }
        if (length < 0)
            throw new IOException("response without Content-Length");
        for (long i = 0; i < length; i++)
        {
            if (in.read() < 0)
                throw new IOException("connection closed in the response body");
        }
        statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
        // A BufferedInputStream per request is safe: a response is fully read and nothing is pipelined.
        return close;
    }

    private static String readLine(InputStream in) throws IOException
    {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); ; b = in.read())
        {
            if (b < 0)
                return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
            if (b == '\n')
                break;
            if (b != '\r')
                line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static void closeQuietly(Socket socket)
    {
        if (socket == null)
            return;
        try
        {
            socket.close();
        }
        catch (IOException ignored)
        {
        }
    }
}
