package io.wsbridge.it.harness;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server process of a test (broker, worker, Keycloak) that cannot outlive the test JVM.
 *
 * <p>The process runs in its own process group ({@code setsid}), its output appended to a log file.
 * Three things end it: {@link #stop}/{@link #kill} by its owner; a shutdown hook of the test JVM for
 * processes still alive; and a guard, a tiny {@code sh} child of the test JVM that blocks reading a pipe
 * from it and SIGKILLs the whole process group once that pipe closes, which the kernel does even
 * when the test JVM itself is killed with SIGKILL (a CI timeout, an OOM kill).
 */
public final class ManagedProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagedProcess.class);
    private static final Set<ManagedProcess> ALIVE = ConcurrentHashMap.newKeySet();
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ManagedProcess::killAll, "it-process-reaper"));
    }

    private final String name;
    private final Process process;
    private final Process guard;
    private final Path logFile;

    private ManagedProcess(String name, Process process, Process guard, Path logFile) {
        this.name = name;
        this.process = process;
        this.guard = guard;
        this.logFile = logFile;
    }

    /**
     * Starts {@code command} in {@code workDir}, stdout and stderr appended to {@code logFile}.
     *
     * @param name for log messages, e.g. "kafka" or "connect-127.0.0.2"
     */
    public static ManagedProcess start(String name, List<String> command, Path workDir, Path logFile) {
        return start(name, command, Map.of(), workDir, logFile);
    }

    /** As above, with {@code environment} added to the test JVM's environment. */
    public static ManagedProcess start(String name, List<String> command, Map<String, String> environment,
                                       Path workDir, Path logFile) {
        List<String> inOwnGroup = new ArrayList<>();
        inOwnGroup.add("setsid");
        inOwnGroup.addAll(command);
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder builder = new ProcessBuilder(inOwnGroup);
            builder.environment().putAll(environment);
            Process process = builder
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            // A child of the JVM is not a group leader, so setsid does not fork: the pid is the group id.
            Process guard = new ProcessBuilder("sh", "-c", "cat >/dev/null; kill -9 -\"$1\" 2>/dev/null", "guard",
                    Long.toString(process.pid()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            ManagedProcess managed = new ManagedProcess(name, process, guard, logFile);
            ALIVE.add(managed);
            LOG.info("started {} (pid {}), log {}", name, process.pid(), logFile);
            return managed;
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

    public Path logFile() {
        return logFile;
    }

    /** Waits for the process to end by itself (a command-line tool) and returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new IllegalStateException(name + " did not exit within " + timeout + "; log:\n" + logTail(40));
            }
            int code = process.exitValue();
            endGuard();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        }
    }

    /**
     * Polls {@code ready} until it returns true; fails at once, with the end of the log, if the process
     * exits, and with the same details after {@code timeout}.
     */
    public void awaitReady(String what, Duration timeout, Callable<Boolean> ready) {
        AtomicReference<Exception> lastError = new AtomicReference<>();
        try {
            await(what)
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(250))
                    .failFast(name + " exited", () -> !process.isAlive())
                    .until(() -> {
                        try {
                            return ready.call();
                        } catch (Exception e) {
                            lastError.set(e);
                            return false;
                        }
                    });
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            IllegalStateException failure = new IllegalStateException(
                    what + ": " + e.getMessage() + "; " + this + " ends with:\n" + logTail(40), e);
            if (lastError.get() != null) {
                failure.addSuppressed(lastError.get());
            }
            throw failure;
        }
    }

    /**
     * Asks the process to shut down (SIGTERM), as an operator would, and kills it and its group if it
     * has not ended within {@code grace}.
     */
    public void stop(Duration grace) {
        if (process.isAlive()) {
            LOG.info("stopping {} (pid {})", name, process.pid());
            process.destroy();
            if (!waitForExit(grace)) {
                LOG.warn("{} (pid {}) did not stop within {}, killing it", name, process.pid(), grace);
            }
        }
        kill();
    }

    /** Kills the process and everything in its process group at once (SIGKILL): a crash. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        closeGuardInput(); // the guard now SIGKILLs the process group: children that escaped the tree too
        waitForExit(KILL_WAIT);
        try {
            guard.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ALIVE.remove(this);
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }

    /** The last lines of the log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log " + logFile + " unreadable: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + logFile + ")";
    }

    private boolean waitForExit(Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The process ended by itself: retire the guard without letting it kill a reused group id. */
    private void endGuard() {
        guard.destroyForcibly();
        closeGuardInput();
        ALIVE.remove(this);
    }

    private void closeGuardInput() {
        try {
            guard.getOutputStream().close();
        } catch (IOException e) {
            LOG.debug("closing the guard of {}", name, e);
        }
    }

    private static void killAll() {
        for (ManagedProcess managed : List.copyOf(ALIVE)) {
            managed.kill();
        }
    }
}
