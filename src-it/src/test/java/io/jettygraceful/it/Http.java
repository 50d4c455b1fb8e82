package io.jettygraceful.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tiny HTTP/1.1 client over a plain or TLS socket to loopback, with connect and read timeouts, that never retries and
 * never hides what the server did: a connection closed before the full response is a {@link ClosedEarlyException},
 * a refused or reset connection is the JDK's own exception. Bodies may be Content-Length, chunked or close-delimited.
 */
public final class Http
{
    public static final String IPV4 = "127.0.0.1";
    public static final String IPV6 = "::1";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_BODY = 16 * 1024 * 1024;
    private static final int MAX_LINE = 64 * 1024;

    private Http()
    {
    }

    /** A response: status, headers (names lower-cased), body decoded as UTF-8. */
    public record Response(int status, String reason, Map<String, List<String>> headers, String body, boolean closeDelimited)
    {
        /** @return the first value of header {@code name} (any case), or {@code null} */
        public String header(String name)
        {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** @return whether the server said it closes the connection after this response (or the body ran to EOF) */
        public boolean connectionClose()
        {
            List<String> values = headers.getOrDefault("connection", List.of());
            return closeDelimited || values.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"));
        }

        @Override
        public String toString()
        {
            return "HTTP " + status + " " + reason + " " + headers + " body=" + (body.length() > 200 ? body.substring(0, 200) + "..." : body).trim();
        }
    }

    /** The server closed the connection before a complete response arrived. */
    public static class ClosedEarlyException extends EOFException
    {
        public ClosedEarlyException(String message)
        {
            super(message);
        }
    }

    /** GET {@code path} from 127.0.0.1:{@code port} on a new connection. */
    public static Response get(int port, String path) throws IOException
    {
        return get(IPV4, port, path, DEFAULT_TIMEOUT);
    }

    /** GET {@code path} from {@code host}:{@code port} on a new connection, which is closed afterwards. */
    public static Response get(String host, int port, String path, Duration timeout) throws IOException
    {
        return get(host, port, path, timeout, null);
    }

    /** One request on a new connection, over TLS when {@code tls} is not null. */
    public static Response get(String host, int port, String path, Duration timeout, SSLContext tls) throws IOException
    {
        try (Connection connection = Connection.open(host, port, timeout, timeout, tls))
        {
            return connection.get(path);
        }
    }

    /**
     * One client connection that can carry several requests (keep-alive). Not thread-safe: one thread per connection.
     */
    public static final class Connection implements Closeable
    {
        private final SocketChannel channel;
        /** The TLS layer over the channel's socket, or {@code null} for plain HTTP. */
        private final SSLSocket tls;
        private final InputStream in;
        private final OutputStream out;
        private final String hostHeader;
        private boolean reusable = true;

        private Connection(SocketChannel channel, SSLSocket tls, String hostHeader) throws IOException
        {
            this(channel, tls, tls != null ? tls.getInputStream() : channel.socket().getInputStream(),
                tls != null ? tls.getOutputStream() : channel.socket().getOutputStream(), hostHeader);
        }

        private Connection(SocketChannel channel, SSLSocket tls, InputStream in, OutputStream out, String hostHeader)
        {
            this.channel = channel;
            this.tls = tls;
            this.in = new BufferedInputStream(in, 8192);
            this.out = out;
            this.hostHeader = hostHeader;
        }

        /**
         * Connects to the Unix-domain socket at {@code path} (the JDK has no socket timeouts there: the channel is
         * non-blocking and every read waits at most {@code readTimeout} in a selector, see {@link UnixStreams}).
         *
         * @throws java.net.ConnectException nothing listens on the path, or it does not exist
         */
        public static Connection openUnix(java.nio.file.Path path, Duration readTimeout) throws IOException
        {
            SocketChannel channel = SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            try
            {
                channel.connect(java.net.UnixDomainSocketAddress.of(path));
                UnixStreams streams = new UnixStreams(channel, readTimeout);
                return new Connection(channel, null, streams.in(), streams.out(), "localhost");
            }
            catch (IOException | RuntimeException x)
            {
                channel.close();
                throw x;
            }
        }

        /**
         * Connects to {@code host}:{@code port}.
         *
         * @throws java.net.ConnectException       refused
         * @throws java.net.SocketTimeoutException no connection within {@code connectTimeout}
         */
        public static Connection open(String host, int port, Duration connectTimeout, Duration readTimeout) throws IOException
        {
            return open(host, port, connectTimeout, readTimeout, null);
        }

        /**
         * As {@link #open(String, int, Duration, Duration)}, over TLS when {@code tls} is not null: the handshake is
         * done here, within the read timeout (a failed handshake is an {@code SSLException}).
         */
        public static Connection open(String host, int port, Duration connectTimeout, Duration readTimeout, SSLContext tls) throws IOException
        {
            InetAddress address = InetAddress.getByName(host);
            SocketChannel channel = SocketChannel.open();
            try
            {
                channel.socket().setTcpNoDelay(true);
                channel.socket().connect(new InetSocketAddress(address, port), (int)connectTimeout.toMillis());
                channel.socket().setSoTimeout((int)readTimeout.toMillis());
                String hostName = address.getHostAddress();
                SSLSocket tlsSocket = null;
                if (tls != null)
                {
                    tlsSocket = (SSLSocket)tls.getSocketFactory().createSocket(channel.socket(), hostName, port, true);
                    tlsSocket.setSoTimeout((int)readTimeout.toMillis());
                    tlsSocket.startHandshake();
                }
                return new Connection(channel, tlsSocket, (hostName.contains(":") ? "[" + hostName + "]" : hostName) + ":" + port);
            }
            catch (IOException | RuntimeException x)
            {
                channel.close();
                throw x;
            }
        }

        /**
         * Sends {@code GET path} and reads the whole response.
         *
         * @throws ClosedEarlyException            EOF before the response was complete
         * @throws java.net.SocketTimeoutException no (complete) response within the read timeout
         * @throws java.net.SocketException        e.g. "Connection reset"
         */
        public Response get(String path) throws IOException
        {
            return get(path, false);
        }

        /**
         * As {@link #get(String)}; with {@code askToClose} the request carries {@code Connection: close}, so the server
         * closes the connection after its response (as {@code wrk -H "Connection: close"} does).
         */
        public Response get(String path, boolean askToClose) throws IOException
        {
            if (!reusable)
                throw new IllegalStateException("the server closed this connection; open a new one");
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: jetty-graceful-it\r\nAccept: */*\r\n" +
                (askToClose ? "Connection: close\r\n" : "") + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try
            {
                Response response = read();
                if (response.connectionClose())
                    reusable = false;
                return response;
            }
            catch (IOException | RuntimeException x)
            {
                reusable = false;
                throw x;
            }
        }

        /** @return false once a response said {@code Connection: close} or a request failed */
        public boolean isReusable()
        {
            return reusable && channel.isOpen();
        }

        /** What a client finds, just before writing its next request, about the keep-alive connection it holds. */
        public enum Reuse
        {
            /** Still open: write the next request on it. */
            REUSE,
            /** Not reusable (the last response said {@code Connection: close}, or it was closed here): open another. */
            SPENT,
            /** The server closed it cleanly while it was idle: open another; no request was lost. */
            CLOSED_BY_SERVER,
            /** The server reset it while it was idle: open another; no request was lost, but the close was not clean. */
            RESET
        }

        /**
         * Decides, without blocking, whether the next request may go on this connection. Call it only between requests.
         *
         * @throws IOException when the connection is in a state no HTTP/1.1 server should leave it in (bytes arrived
         *                     while no request was outstanding)
         */
        public Reuse checkReuse() throws IOException
        {
            if (!isReusable())
                return Reuse.SPENT;
            try
            {
                return closedByServer() ? Reuse.CLOSED_BY_SERVER : Reuse.REUSE;
            }
            catch (java.net.SocketException x)
            {
                return Reuse.RESET;
            }
        }

        /**
         * Looks, without blocking, whether the server has closed this idle connection. Call it only between requests.
         *
         * @return true when the server closed it cleanly (EOF): open a new connection, nothing was lost
         * @throws IOException when the server reset it, or sent bytes nobody asked for
         */
        public boolean closedByServer() throws IOException
        {
            if (in.available() > 0)
                throw new ProtocolException("the server sent " + in.available() + " byte(s) while no request was outstanding");
            if (tls != null)
                return tlsClosedByServer();
            ByteBuffer one = ByteBuffer.allocate(1);
            int n;
            synchronized (channel.blockingLock())
            {
                boolean blocking = channel.isBlocking(); // a Unix-domain connection is never blocking (UnixStreams)
                if (blocking)
                    channel.configureBlocking(false);
                try
                {
                    n = channel.read(one);
                }
                finally
                {
                    if (blocking)
                        channel.configureBlocking(true);
                }
            }
            if (n < 0)
            {
                reusable = false;
                return true;
            }
            if (n > 0)
                throw new ProtocolException("the server sent bytes while no request was outstanding");
            return false;
        }

        /**
         * The TLS form of {@link #closedByServer()}: a read of the raw channel would consume the server's close_notify
         * record, so read through TLS instead, for at most 1 ms. A timeout means open; end of stream (close_notify or
         * FIN) means closed by the server.
         */
        private boolean tlsClosedByServer() throws IOException
        {
            int saved = tls.getSoTimeout();
            tls.setSoTimeout(1);
            try
            {
                if (in.read() < 0)
                {
                    reusable = false;
                    return true;
                }
                throw new ProtocolException("the server sent bytes while no request was outstanding");
            }
            catch (java.net.SocketTimeoutException x)
            {
                return false;
            }
            finally
            {
                if (!tls.isClosed())
                    tls.setSoTimeout(saved);
            }
        }

        @Override
        public void close()
        {
            reusable = false;
            try
            {
                if (tls != null)
                    tls.close();
                if (!channel.isBlocking())
                    in.close(); // a Unix-domain connection: also closes its selector (UnixStreams)
                channel.close();
            }
            catch (IOException ignored)
            {
                // nothing to do
            }
        }

        private Response read() throws IOException
        {
            String statusLine = readLine(true);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1."))
                throw new ProtocolException("not an HTTP/1.x status line: " + statusLine);
            int status;
            try
            {
                status = Integer.parseInt(parts[1]);
            }
            catch (NumberFormatException x)
            {
                throw new ProtocolException("bad status in: " + statusLine);
            }
            Map<String, List<String>> headers = readHeaders();
            boolean noBody = status / 100 == 1 || status == 204 || status == 304;
            String transferEncoding = first(headers, "transfer-encoding");
            String contentLength = first(headers, "content-length");
            byte[] body;
            boolean closeDelimited = false;
            if (noBody)
                body = new byte[0];
            else if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked"))
                body = readChunked();
            else if (contentLength != null)
            {
                long length;
                try
                {
                    length = Long.parseLong(contentLength.trim());
                }
                catch (NumberFormatException x)
                {
                    throw new ProtocolException("bad Content-Length: " + contentLength);
                }
                if (length < 0 || length > MAX_BODY)
                    throw new ProtocolException("Content-Length out of range: " + contentLength);
                body = readExactly((int)length);
            }
            else
            {
                body = readToEof();
                closeDelimited = true;
            }
            return new Response(status, parts.length > 2 ? parts[2] : "", Collections.unmodifiableMap(headers), new String(body, StandardCharsets.UTF_8), closeDelimited);
        }

        private Map<String, List<String>> readHeaders() throws IOException
        {
            Map<String, List<String>> headers = new TreeMap<>();
            for (int i = 0; i < 1000; i++)
            {
                String line = readLine(false);
                if (line.isEmpty())
                    return headers;
                int colon = line.indexOf(':');
                if (colon <= 0)
                    throw new ProtocolException("bad header line: " + line);
                headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
            }
            throw new ProtocolException("more than 1000 header lines");
        }

        private byte[] readChunked() throws IOException
        {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true)
            {
                String sizeLine = readLine(false);
                int semicolon = sizeLine.indexOf(';');
                String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
                int size;
                try
                {
                    size = Integer.parseInt(hex, 16);
                }
                catch (NumberFormatException x)
                {
                    throw new ProtocolException("bad chunk size: " + sizeLine);
                }
                if (size < 0 || body.size() + (long)size > MAX_BODY)
                    throw new ProtocolException("chunked body too large");
                if (size == 0)
                {
                    readHeaders(); // trailers, up to the empty line
                    return body.toByteArray();
                }
                body.write(readExactly(size));
                if (!readLine(false).isEmpty())
                    throw new ProtocolException("chunk not followed by CRLF");
            }
        }

        private byte[] readExactly(int length) throws IOException
        {
            byte[] bytes = in.readNBytes(length);
            if (bytes.length < length)
                throw new ClosedEarlyException("connection closed after " + bytes.length + " of " + length + " body bytes");
            return bytes;
        }

        private byte[] readToEof() throws IOException
        {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0)
            {
                body.write(buffer, 0, n);
                if (body.size() > MAX_BODY)
                    throw new ProtocolException("body too large");
            }
            return body.toByteArray();
        }

        /** Reads a CRLF (or LF) terminated line. */
        private String readLine(boolean first) throws IOException
        {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (line.size() < MAX_LINE)
            {
                int b = in.read();
                if (b < 0)
                    throw new ClosedEarlyException(first && line.size() == 0
                        ? "connection closed before any byte of the response"
                        : "connection closed in the middle of the response head");
                if (b == '\n')
                {
                    byte[] bytes = line.toByteArray();
                    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
                }
                line.write(b);
            }
            throw new ProtocolException("line longer than " + MAX_LINE + " bytes");
        }

        private static String first(Map<String, List<String>> headers, String name)
        {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /**
     * Blocking streams with a read timeout over a non-blocking channel (Unix-domain channels have no SO_TIMEOUT): each
     * read waits in a selector at most the timeout, then throws {@link java.net.SocketTimeoutException}.
     */
    static final class UnixStreams
    {
        private final SocketChannel channel;
        private final java.nio.channels.Selector selector;
        private final java.nio.channels.SelectionKey key;
        private final long timeoutMillis;

        UnixStreams(SocketChannel channel, Duration timeout) throws IOException
        {
            this.channel = channel;
            this.timeoutMillis = Math.max(1, timeout.toMillis());
            channel.configureBlocking(false);
            this.selector = java.nio.channels.Selector.open();
            this.key = channel.register(selector, 0);
        }

        private void await(int op, String what) throws IOException
        {
            key.interestOps(op);
            selector.selectedKeys().clear();
            if (selector.select(timeoutMillis) == 0)
                throw new java.net.SocketTimeoutException(what + " timed out after " + timeoutMillis + " ms");
        }

        InputStream in()
        {
            return new InputStream()
            {
                @Override
                public int read() throws IOException
                {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] bytes, int offset, int length) throws IOException
                {
                    if (length == 0)
                        return 0;
                    ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                    while (true)
                    {
                        int n = channel.read(buffer);
                        if (n != 0)
                            return n;
                        await(java.nio.channels.SelectionKey.OP_READ, "read");
                    }
                }

                @Override
                public void close() throws IOException
                {
                    selector.close();
                    channel.close();
                }
            };
        }

        OutputStream out()
        {
            return new OutputStream()
            {
                @Override
                public void write(int b) throws IOException
                {
                    write(new byte[] {(byte)b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException
                {
                    ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                    while (buffer.hasRemaining())
                    {
                        if (channel.write(buffer) == 0)
                            await(java.nio.channels.SelectionKey.OP_WRITE, "write");
                    }
                }

                @Override
                public void close() throws IOException
                {
                    selector.close();
                    channel.close();
                }
            };
        }
    }
}
