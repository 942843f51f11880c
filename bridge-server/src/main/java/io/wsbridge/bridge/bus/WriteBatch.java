package io.wsbridge.bridge.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets subscribers write once per batch of events rather than once per event. While a thread publishes a batch
 * ({@link #run}), a subscriber that takes an event may {@linkplain #defer defer} its write to the end of the batch
 * (or until it has a full batch of its own queued), so that the events of one Kafka poll leave in a few network
 * writes instead of one each. Outside a batch, subscribers write at once.
 *
 * <p>The deferred writes run on the publishing thread, as the writes of single events do: a publisher that is faster
 * than the network still pays for its writes, and a subscriber's queue does not grow behind it. A batch run with
 * {@link Writers} shares them with those threads when there are many (a wide fan-out), and still ends only once all
 * of them have run.
 */
public final class WriteBatch {

    private static final ThreadLocal<WriteBatch> CURRENT = new ThreadLocal<>();

    private final List<Runnable> flushes = new ArrayList<>();
    private final Writers writers;

    private WriteBatch(Writers writers) {
        this.writers = writers;
    }

    /** Runs {@code publishing}, then the writes it deferred. A batch inside a batch joins the outer one. */
    public static void run(Runnable publishing) {
        run(publishing, null);
    }

    /**
     * Runs {@code publishing}, then the writes it deferred, shared with {@code writers} if there are many ({@code null}:
     * all on this thread). A batch inside a batch joins the outer one.
     */
    public static void run(Runnable publishing, Writers writers) {
        if (CURRENT.get() != null) {
            publishing.run();
            return;
        }
        WriteBatch batch = new WriteBatch(writers);
        CURRENT.set(batch);
        try {
            publishing.run();
        } finally {
            CURRENT.remove();
            batch.flush();
        }
    }

    /** Whether this thread is publishing a batch, so that a write may wait for its end. */
    public static boolean active() {
        return CURRENT.get() != null;
    }

    /**
     * Runs {@code flush} at the end of this thread's batch.
     *
     * @return {@code false} if this thread publishes no batch: the caller must write now
     */
    public static boolean defer(Runnable flush) {
        WriteBatch batch = CURRENT.get();
        if (batch == null) {
            return false;
        }
        batch.flushes.add(flush);
        return true;
    }

    private void flush() {
        try {
            if (writers == null) {
                Writers.runInline(flushes);
            } else {
                writers.runAll(flushes);
            }
        } finally {
            flushes.clear();
        }
    }
}
