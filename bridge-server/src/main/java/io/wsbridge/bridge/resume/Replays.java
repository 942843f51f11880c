package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.util.DaemonThreads;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The replays of one bridge: the {@link History} they read, a slot per replay ({@code maxConcurrent} at most), and
 * the threads their readings run on (one per slot at most; a replay keeps a thread for a short slice at a time, so a
 * slow reader holds its slot but no thread). Closing it stops every reading and closes the history.
 */
public final class Replays implements AutoCloseable {

    private final History history;
    private final LiveStreams streams;
    private final int maxConcurrent;
    private final Supplier<LiveBarrier> barrier;
    private final Semaphore slots;
    private final ThreadPoolExecutor threads;

    public Replays(History history, LiveStreams streams, int maxConcurrent, String name) {
        this(history, streams, maxConcurrent, name, () -> null);
    }

    /** @param barrier cluster mode's barrier (see {@link Catchup}) when the bridge is in cluster mode, else {@code null} */
    public Replays(History history, LiveStreams streams, int maxConcurrent, String name,
            Supplier<LiveBarrier> barrier) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1, was " + maxConcurrent);
        }
        this.history = history;
        this.streams = streams;
        this.maxConcurrent = maxConcurrent;
        this.barrier = barrier;
        this.slots = new Semaphore(maxConcurrent);
        this.threads = new ThreadPoolExecutor(maxConcurrent, maxConcurrent, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), DaemonThreads.named(name));
        threads.allowCoreThreadTimeOut(true);
    }

    /**
     * A catch-up for a subscriber of {@code application}, holding a slot until it is live or closed; start it once
     * the subscriber receives live events.
     *
     * @param bufferCapacity live events buffered at most while replaying
     * @return {@code null} if every slot is taken
     */
    public Catchup tryStart(String application, From from, Catchup.Target target, int bufferCapacity) {
        if (from instanceof From.GroupPlace) {
            // Most groups that form have no place: a slot only once it turns out that this one has.
            AtomicBoolean held = new AtomicBoolean();
            return new Catchup(application, from, streams.of(application), history, threads, target, bufferCapacity,
                    () -> {
                        if (held.compareAndSet(true, false)) {
                            slots.release();
                        }
                    }, barrier.get(), () -> {
                        boolean taken = slots.tryAcquire();
                        held.set(taken);
                        return taken;
                    });
        }
        if (!slots.tryAcquire()) {
            return null;
        }
        return new Catchup(application, from, streams.of(application), history, threads, target, bufferCapacity,
                slots::release, barrier.get());
    }

    /** Replays running now. */
    public int running() {
        return maxConcurrent - slots.availablePermits();
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        history.close();
    }
}
