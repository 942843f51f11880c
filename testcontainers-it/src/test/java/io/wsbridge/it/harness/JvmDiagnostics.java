package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a test can learn about a server JVM from outside, with the JDK's {@code jcmd} (same user, no JVM option
 * needed): live heap after a full GC and instance counts by class, to show that a fault leaks nothing; and the
 * process's open-file limit from {@code /proc}.
 *
 * <pre>{@code
 * JvmDiagnostics.Histogram live = JvmDiagnostics.liveHistogram(stack.worker().pid());
 * assertThat(live.instances("io.wsbridge.bridge.ws.Subscriber")).isEqualTo(1);
 * }</pre>
 */
public final class JvmDiagnostics {

    private static final long JCMD_TIMEOUT_SECONDS = 120;
    /** {@code   1:   12345   678900  [B (java.base@17.0.1)}: rank, instances, bytes, class name. */
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
    private static final Pattern TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)");
    private static final Pattern MAX_HEAP = Pattern.compile("MaxHeapSize\\s*=\\s*(\\d+)");

    private JvmDiagnostics() {
    }

    /** The live objects of the JVM: {@code jcmd <pid> GC.class_histogram}, which runs a full GC first. */
    public static Histogram liveHistogram(long pid) {
        String output = jcmd(pid, "GC.class_histogram");
        Map<String, Long> instances = new HashMap<>();
        long totalBytes = -1;
        for (String line : output.lines().toList()) {
            Matcher row = ROW.matcher(line);
            if (row.find()) {
                instances.merge(row.group(3), Long.parseLong(row.group(1)), Long::sum);
                continue;
            }
            Matcher total = TOTAL.matcher(line);
            if (total.find()) {
                totalBytes = Long.parseLong(total.group(2));
            }
        }
        if (totalBytes < 0) {
            throw new IllegalStateException("no total in the class histogram of " + pid + ":\n" + tail(output));
        }
        return new Histogram(totalBytes, Map.copyOf(instances));
    }

    /** The JVM's maximum heap ({@code -Xmx}) in bytes. */
    public static long maxHeapBytes(long pid) {
        String output = jcmd(pid, "VM.flags");
        Matcher max = MAX_HEAP.matcher(output);
        if (!max.find()) {
            throw new IllegalStateException("no MaxHeapSize in the flags of " + pid + ": " + output);
        }
        return Long.parseLong(max.group(1));
    }

    /** The soft limit of open files of a process ({@code Max open files} in {@code /proc/<pid>/limits}). */
    public static long openFilesLimit(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
            throw new IllegalStateException("no 'Max open files' in /proc/" + pid + "/limits");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Open file descriptors of a process (sockets included). */
    public static long openFiles(long pid) {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String jcmd(long pid, String command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(JCMD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("jcmd " + pid + " " + command + " did not end");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("jcmd " + pid + " " + command + " failed (exit " + process.exitValue()
                        + "):\n" + tail(text));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + jcmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running jcmd", e);
        }
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /**
     * Live objects after a full GC.
     *
     * @param totalBytes the live heap in bytes
     * @param instances  instance counts by class name ({@code [B} for byte arrays), summed over class loaders
     */
    public record Histogram(long totalBytes, Map<String, Long> instances) {

        public long instances(String className) {
            return instances.getOrDefault(className, 0L);
        }

        public long totalMegabytes() {
            return totalBytes / (1024 * 1024);
        }
    }
}
