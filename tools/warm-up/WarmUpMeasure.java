import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How cold a replacement is right after it takes over (docs/warm-up.md). Starts the example, drives it with a few
 * keep-alive clients (GET /uuid, closed loop), restarts it with SIGHUP a few times, and prints per restart: trigger to
 * the first response of the new process, the latency of its first 300 responses, and the throughput (all processes) in
 * the first second after the switch relative to the second before the trigger. No dependencies: run with
 * {@code java tools/warm-up/WarmUpMeasure.java --java JAVA --jar JAR --label L [--restarts N] [--clients C]
 * [--jvm FLAG]... [-- EXAMPLE ARGS]}. Every process it starts is stopped at the end.
 */
public class WarmUpMeasure
{
    record Sample(long start, long end, String uuid) {}

    static final List<List<Sample>> SAMPLES = new CopyOnWriteArrayList<>();
    static volatile boolean running = true;
    static int port;

    public static void main(String[] args) throws Exception
    {
        String java = null, jar = null, label = "run";
        int restarts = 5, clients = 4;
        List<String> jvm = new ArrayList<>(), example = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--java" -> java = args[++i];
                case "--jar" -> jar = args[++i];
                case "--label" -> label = args[++i];
                case "--restarts" -> restarts = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--jvm" -> jvm.add(args[++i]);
                case "--" -> { example.addAll(Arrays.asList(args).subList(i + 1, args.length)); i = args.length; }
                default -> throw new IllegalArgumentException("unknown " + args[i]);
            }
        }
        try (ServerSocket free = new ServerSocket(0))
        {
            port = free.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvm);
        command.addAll(List.of("-jar", jar, "--host", "127.0.0.1", "--port", Integer.toString(port), "--drain-timeout", "5s"));
        command.addAll(example);
        Path log = Path.of("target", "warm-up-" + label + ".log").toAbsolutePath();
        log.getParent().toFile().mkdirs();
        Process first = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long pid = first.pid();
        try
        {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (get("/uuid") == null)
            {
                if (System.nanoTime() > deadline || !first.isAlive())
                    throw new IllegalStateException("the example did not start, see " + log);
                Thread.sleep(50);
            }
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++)
            {
                List<Sample> mine = new ArrayList<>(1 << 20);
                SAMPLES.add(mine);
                Thread t = new Thread(() -> drive(mine), "client-" + c);
                t.start();
                threads.add(t);
            }
            Thread.sleep(8000); // warm the first process up
            List<String> rows = new ArrayList<>();
            for (int r = 0; r < restarts; r++)
            {
                String oldUuid = get("/uuid");
                long trigger = System.nanoTime();
                new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start().waitFor();
                long until = trigger + 60_000_000_000L;
                String newUuid = null;
                while (System.nanoTime() < until)
                {
                    String u = get("/uuid");
                    if (u != null && !u.equals(oldUuid))
                    {
                        newUuid = u;
                        break;
                    }
                    Thread.sleep(5);
                }
                if (newUuid == null)
                    throw new IllegalStateException("no new process answered within 60 s, see " + log);
                Thread.sleep(7000); // the old one drains and exits; the new one settles
                pid = Long.parseLong(field(get("/status"), "pid"));
                rows.add(analyse(trigger, oldUuid, newUuid));
            }
            running = false;
            for (Thread t : threads)
                t.join(10_000);
            System.out.println("## " + label + " (" + String.join(" ", jvm) + " " + String.join(" ", example) + ")");
            System.out.println("restart | trigger->first answer of new ms | new: p50 / p99 / max of first 300 ms | first second after switch / steady second | steady p99 ms");
            rows.forEach(System.out::println);
        }
        finally
        {
            running = false;
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            first.destroy();
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        }
    }

    static int row;

    static String analyse(long trigger, String oldUuid, String newUuid)
    {
        List<Sample> all = new ArrayList<>();
        for (List<Sample> s : SAMPLES)
        {
            synchronized (s)
            {
                all.addAll(s);
            }
        }
        all.sort((a, b) -> Long.compare(a.end, b.end));
        List<Sample> fresh = all.stream().filter(s -> s.uuid.equals(newUuid)).toList();
        long switchAt = fresh.get(0).end;
        double[] first = fresh.stream().limit(300).mapToDouble(s -> (s.end - s.start) / 1e6).sorted().toArray();
        long steady = all.stream().filter(s -> s.end >= trigger - 1_000_000_000L && s.end < trigger).count();
        double[] steadyLat = all.stream().filter(s -> s.end >= trigger - 1_000_000_000L && s.end < trigger).mapToDouble(s -> (s.end - s.start) / 1e6).sorted().toArray();
        long after = all.stream().filter(s -> s.end >= switchAt && s.end < switchAt + 1_000_000_000L).count();
        return String.format(Locale.ROOT, "%d | %d | %.2f / %.2f / %.1f | %d / %d = %.2f | %.2f", ++row, (switchAt - trigger) / 1_000_000L,
            pct(first, 50), pct(first, 99), first[first.length - 1], after, steady, steady == 0 ? 0 : (double)after / steady, pct(steadyLat, 99));
    }

    static double pct(double[] sorted, int p)
    {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int)Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static void drive(List<Sample> out)
    {
        byte[] request = "GET /uuid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        while (running)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                socket.setSoTimeout(10_000);
                socket.setTcpNoDelay(true);
                OutputStream o = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream());
                while (running)
                {
                    long start = System.nanoTime();
                    o.write(request);
                    String[] response = read(in);
                    long end = System.nanoTime();
                    synchronized (out)
                    {
                        out.add(new Sample(start, end, response[1].trim()));
                    }
                    if (response[0].toLowerCase(Locale.ROOT).contains("connection: close"))
                        break;
                }
            }
            catch (IOException x)
            {
                // reconnect: the old process closed this connection between two requests
            }
        }
    }

    /** @return head and body of one response */
    static String[] read(InputStream in) throws IOException
    {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0)
        {
            head.append((char)c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n"))
                break;
        }
        if (c < 0)
            throw new IOException("closed");
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        byte[] body = in.readNBytes(length);
        if (body.length < length)
            throw new IOException("short body");
        return new String[] {head.toString(), new String(body, StandardCharsets.UTF_8)};
    }

    static String get(String path)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String[] r = read(new BufferedInputStream(socket.getInputStream()));
            return r[0].startsWith("HTTP/1.1 200") ? r[1].trim() : null;
        }
        catch (IOException x)
        {
            return null;
        }
    }

    static String field(String json, String name)
    {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^,\"}]+)").matcher(json);
        if (!m.find())
            throw new IllegalArgumentException(name + " not in " + json);
        return m.group(1);
    }
}
