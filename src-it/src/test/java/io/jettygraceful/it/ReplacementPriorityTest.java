package io.jettygraceful.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replacement's lower CPU priority while it starts ({@code --replacement-nice}), read from the kernel
 * ({@code /proc/PID/task/TID/stat}): every thread of the replacement is that much nicer while it waits in its
 * readiness check, and every one is back at the parent's priority once it serves; the parent's own threads never
 * change. Without the permission to lower a nice value again (no CAP_SYS_NICE, RLIMIT_NICE 0: {@code setpriv
 * --bounding-set=-sys_nice}) the replacement starts at the parent's priority, and the parent says why.
 */
class ReplacementPriorityTest
{
    @RegisterExtension
    final ProcessTracker processes = new ProcessTracker();

    @Test
    void theReplacementStartsNicerAndIsBackAtItsParentsPriorityOnceItServes() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("nice").outputOutlivesProcess()
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--replacement-nice", "7", "--ready-delay", "3s"));
        first.servingPid(Duration.ofSeconds(60));
        ExampleStatus parent = processes.status(port);
        Map<Integer, Integer> parentBefore = threadNice(parent.pid());
        assertEquals(1, distinct(parentBefore).size(), "the parent's threads share one nice value: " + parentBefore);
        int base = distinct(parentBefore).get(0); // 0, or what the build runs at (nice mvn ...)
        org.junit.jupiter.api.Assumptions.assumeTrue(hasSysNice(), "the tests run with CAP_SYS_NICE (as root), so the example may lower its nice value again");
        org.junit.jupiter.api.Assumptions.assumeTrue(base <= 12, "room for 7 nicer: the build runs at nice " + base);

        assertTrue(Subreaper.signal(parent.pid(), Restarts.SIGHUP));
        long child = Long.parseLong(first.awaitLog("Restart: started replacement pid (\\d+)", Duration.ofSeconds(20)).group(1));
        processes.saw(child);
        first.awaitLog("Serving pid=" + child + " ", Duration.ofSeconds(60)); // its server started; now in the 3 s readiness check
        Map<Integer, Integer> starting = threadNice(child);
        assertTrue(starting.size() > 5, "a JVM's threads: " + starting);
        assertEquals(List.of(base + 7), distinct(starting), "every thread of the starting replacement runs 7 nicer: " + starting);
        Map<Integer, Integer> parentDuring = threadNice(parent.pid());
        parentDuring.keySet().removeAll(threadsNamed(parent.pid(), "graceful-restar")); // the spawning thread, niced for the attempt
        assertEquals(List.of(base), distinct(parentDuring), "the parent's serving threads keep their priority while the replacement starts");

        ExampleStatus next = Restarts.awaitGeneration(processes, port, parent, Duration.ofSeconds(60));
        assertEquals(child, next.pid());
        Map<Integer, Integer> serving = threadNice(child);
        assertEquals(List.of(base), distinct(serving), "once it serves, every thread is back at its parent's priority: " + serving);
        assertEquals(0, first.exitCode(Duration.ofSeconds(60)), first.tail(20));
    }

    @Test
    void withoutThePermissionToLowerItAgainTheReplacementStartsAtItsParentsPriorityAndTheParentSaysWhy() throws Exception
    {
        int port = FreePorts.ipv4();
        ExampleProcess first = processes.start(ExampleProcess.builder().name("nice-refused").outputOutlivesProcess()
            .wrapper(List.of("setpriv", "--bounding-set=-sys_nice"))
            .args("--host", "127.0.0.1", "--port", String.valueOf(port), "--replacement-nice", "7", "--ready-delay", "3s"));
        first.servingPid(Duration.ofSeconds(60));
        ExampleStatus parent = processes.status(port);
        List<Integer> base = distinct(threadNice(parent.pid()));

        assertTrue(Subreaper.signal(parent.pid(), Restarts.SIGHUP));
        first.awaitLog("the replacement starts at this process's priority, not 7 nicer: .*LimitNICE=\\d+", Duration.ofSeconds(20));
        long child = Long.parseLong(first.awaitLog("Restart: started replacement pid (\\d+)", Duration.ofSeconds(20)).group(1));
        processes.saw(child);
        first.awaitLog("Serving pid=" + child + " ", Duration.ofSeconds(60));
        assertEquals(base, distinct(threadNice(child)), "a replacement that could not go back starts at its parent's priority");
        ExampleStatus next = Restarts.awaitGeneration(processes, port, parent, Duration.ofSeconds(60));
        assertEquals(child, next.pid());
        assertFalse(first.output().contains("cannot restore"), first.tail(20));
    }

    /** @return whether this JVM has CAP_SYS_NICE (bit 23 of CapEff), which the example it starts inherits */
    private static boolean hasSysNice() throws IOException
    {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("CapEff:"))
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 23)) != 0;
        return false;
    }

    private static List<Integer> distinct(Map<Integer, Integer> nice)
    {
        return nice.values().stream().distinct().sorted().toList();
    }

    /** @return the ids of the threads whose name (as the kernel keeps it: 15 characters) starts with {@code prefix} */
    private static List<Integer> threadsNamed(long pid, String prefix) throws IOException
    {
        List<Integer> result = new ArrayList<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/task")))
        {
            for (Path task : list.toList())
            {
                try
                {
                    if (Files.readString(task.resolve("comm")).startsWith(prefix))
                        result.add(Integer.valueOf(task.getFileName().toString()));
                }
                catch (IOException gone)
                {
                    // the thread ended
                }
            }
        }
        return result;
    }

    /** @return nice value by thread id, read from /proc (threads that end while this reads are left out) */
    private static Map<Integer, Integer> threadNice(long pid) throws IOException
    {
        Map<Integer, Integer> result = new TreeMap<>();
        List<Path> tasks = new ArrayList<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/task")))
        {
            list.forEach(tasks::add);
        }
        for (Path task : tasks)
        {
            try
            {
                String stat = Files.readString(task.resolve("stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                result.put(Integer.valueOf(task.getFileName().toString()), Integer.valueOf(fields[16])); // field 19: nice
            }
            catch (IOException gone)
            {
                // the thread ended
            }
        }
        return result;
    }
}
