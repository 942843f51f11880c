package io.wsbridge.connect.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hand-off of this worker's {@link WorkerSettings} from the REST extension, which reads them from the worker
 * properties, to the tasks, which need them to build the same bridge settings as the extension.
 *
 * <p>JVM-wide on purpose: Connect creates the extension and the tasks independently, and what they share is only the
 * static state of the class loader of the plugin directory they come from. A task that starts before Connect has
 * configured the extension {@linkplain #await waits} for it, woken by {@link #install} rather than by polling.
 */
public final class WorkerRegistry {

    private static final ReentrantLock lock = new ReentrantLock();
    private static final Condition installed = lock.newCondition();
    private static volatile WorkerSettings current;

    private WorkerRegistry() {
    }

    /** Makes these the settings of this JVM's worker and wakes every task waiting for them. */
    public static void install(WorkerSettings settings) {
        Objects.requireNonNull(settings, "settings");
        lock.lock();
        try {
            current = settings;
            installed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the installed settings, so that tests start from a worker without the extension. */
    public static void clear() {
        current = null;
    }

    /** The settings of this JVM's worker, if the REST extension has been configured in it. */
    public static Optional<WorkerSettings> current() {
        return Optional.ofNullable(current);
    }

    /**
     * The settings of this JVM's worker, once installed: at once if they are, else as soon as the extension installs
     * them, or empty after {@code timeout}. If interrupted, it returns what is installed at that moment and sets the
     * thread's interrupt flag again.
     */
    public static Optional<WorkerSettings> await(Duration timeout) {
        long remaining = timeout.toNanos();
        lock.lock();
        try {
            while (current == null && remaining > 0) {
                remaining = installed.awaitNanos(remaining);
            }
            return Optional.ofNullable(current);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.ofNullable(current);
        } finally {
            lock.unlock();
        }
    }
}
