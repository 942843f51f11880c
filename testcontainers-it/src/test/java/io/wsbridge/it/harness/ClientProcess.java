package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A third-party command-line client run by a test ({@code wscat}, {@code python3 -m websockets}, {@code kcat}),
 * bounded in time: it runs under coreutils {@code timeout}, so it ends after {@code limit} even if the test JVM is
 * killed, and {@link #close()} ends it earlier by its PID. Its stdin stays an open pipe (interactive clients quit
 * at end of input) until {@link #closeStdin()}; stdout and stderr go to two files of the work directory.
 *
 * <pre>{@code
 * try (ClientProcess wscat = ClientProcess.start("wscat", List.of("wscat", "-c", url), workDir, Duration.ofSeconds(60))) {
 *     ... produce events ...
 *     await().until(() -> wscat.stdoutLines().size() == 3);
 * }
 * }</pre>
 */
public final class ClientProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientProcess.class);
    private static final Set<ClientProcess> ALIVE = ConcurrentHashMap.newKeySet();
    private static final Duration TERM_GRACE = Duration.ofSeconds(3);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(ALIVE).forEach(ClientProcess::close),
                "it-client-reaper"));
    }

    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ClientProcess(String name, List<String> command, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.command = command;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code command} in {@code workDir}; its output goes to {@code <name>.stdout} and {@code <name>.stderr}
     * there.
     *
     * <p>SIGINT is reset to its default for the client: tests started as a background job of a shell without job
     * control inherit it ignored, and {@code python3 -m websockets} ends its input loop with a SIGINT of its own,
     * so it would never exit after a refused handshake.
     *
     * @param limit the process is sent SIGTERM after this long, and SIGKILL 5 s later
     */
    public static ClientProcess start(String name, List<String> command, Path workDir, Duration limit) {
        List<String> bounded = new ArrayList<>(List.of("env", "--default-signal=INT", "timeout", "--kill-after=5",
                limit.toSeconds() + "s"));
        bounded.addAll(command);
        Path out = workDir.resolve(name + ".stdout");
        Path err = workDir.resolve(name + ".stderr");
        try {
            Files.createDirectories(workDir);
            Process process = new ProcessBuilder(bounded)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            ClientProcess client = new ClientProcess(name, List.copyOf(command), process, out, err);
            ALIVE.add(client);
            LOG.info("started {} (pid {}): {}", name, process.pid(), String.join(" ", command));
            return client;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What it printed on stdout so far. */
    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    public List<String> stdoutLines() {
        return stdout().lines().toList();
    }

    /** Writes a line to its stdin. */
    public void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + name, e);
        }
    }

    /** End of input: an interactive client then quits. */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            LOG.debug("closing the stdin of {}", name, e);
        }
    }

    /** Waits for it to exit by itself; fails with its output if it does not within {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit within " + timeout + "; " + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        }
        ALIVE.remove(this);
        return process.exitValue();
    }

    /** Its exit code, if it has exited. */
    public Optional<Integer> exitCode() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** The command, exit state and output, for failure messages. */
    public String describe() {
        return name + " (pid " + process.pid() + ", " + exitCode().map(code -> "exit " + code).orElse("running")
                + "): " + String.join(" ", command) + "\n--- stdout:\n" + stdout() + "\n--- stderr:\n" + stderr();
    }

    /** Ends it by its PID: SIGTERM to it and its children, SIGKILL if they are still there after a moment. */
    @Override
    public void close() {
        if (process.isAlive()) {
            LOG.info("stopping {} (pid {})", name, process.pid());
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy(); // timeout passes SIGTERM on to the client
            children.forEach(ProcessHandle::destroy);
            try {
                if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    children.forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
        closeStdin();
        ALIVE.remove(this);
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
