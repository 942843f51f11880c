package io.wsbridge.bridge.bus;

import io.wsbridge.bridge.util.DaemonThreads;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Threads that share the socket writes of a wide fan-out with the publishing thread. When one batch of events goes to
 * many subscribers, each of them with a few events, every subscriber's write is a system call of its own (about 20
 * microseconds on loopback, most of it in the kernel) and there is nothing to gather: on one thread, 100,000 frames a
 * second would take two cores' time. {@link #runAll} has such a batch's writes claimed, a few at a time, by the
 * publishing thread and these threads, and returns once all of them have run, so that a publisher still waits for
 * its writes to start before it takes the next batch (the writes themselves never block: what a socket does not take
 * is finished by Jetty when it can). A write thread that is slow to come leaves its part to the publishing thread.
 *
 * <p>A batch of fewer than {@link #SPREAD_AT} writes stays on the publishing thread: waking another thread costs
 * about as much as a few writes. With no threads ({@code 0}) every write stays there.
 */
public final class Writers implements AutoCloseable {

    /** Writes in one batch from which they are split among the threads. */
    public static final int SPREAD_AT = 32;
    /** Writes per write thread woken: fewer are not worth a wake-up (the publishing thread counts as one). */
    static final int MIN_SHARE = SPREAD_AT / 2;
    /** Writes a thread claims at a time. */
    static final int CHUNK = 8;
    /** The most threads a bridge may have for writing. */
    public static final int MAX_THREADS = 64;

    private final ThreadPoolExecutor pool;
    private final LongAdder writesOnThreads = new LongAdder();
    private volatile int threads;

    /** @param threads threads besides the publishing ones, 0 to keep every write on the publishing thread */
    public Writers(String name, int threads) {
        check(threads);
        int size = Math.max(1, threads);
        this.pool = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                DaemonThreads.numbered(name));
        pool.allowCoreThreadTimeOut(true); // idle writers go away; a quiet bridge keeps no thread for them
        this.threads = threads;
    }

    private static void check(int threads) {
        if (threads < 0 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("write threads must be between 0 and " + MAX_THREADS + ", was "
                    + threads);
        }
    }

    /** Writes run so far on these threads rather than on a publishing thread. */
    public long writesOnThreads() {
        return writesOnThreads.sum();
    }

    /** Threads besides the publishing ones. */
    public int threads() {
        return threads;
    }

    /** Takes effect from the next batch on. */
    public synchronized void resize(int newThreads) {
        check(newThreads);
        int size = Math.max(1, newThreads);
        if (size > pool.getMaximumPoolSize()) {
            pool.setMaximumPoolSize(size);
            pool.setCorePoolSize(size);
        } else {
            pool.setCorePoolSize(size);
            pool.setMaximumPoolSize(size);
        }
        threads = newThreads;
    }

    /**
     * Runs every one of {@code writes}, on this thread and, if there are enough of them, on this object's threads;
     * returns once all have run. The writes are claimed a few at a time by whichever thread comes first: a write thread
     * that is slow to wake (every core busy) leaves its part to this thread, which waits only for writes already under
     * way. Should one fail, the others still run, and the first failure is thrown at the end.
     */
    public void runAll(List<Runnable> writes) {
        int count = writes.size();
        int helpers = Math.min(threads, count / MIN_SHARE - 1);
        if (count < SPREAD_AT || helpers < 1 || pool.isShutdown()) {
            runInline(writes);
            return;
        }
        Shared shared = new Shared(writes, count);
        for (int i = 0; i < helpers; i++) {
            try {
                pool.execute(() -> shared.claimAndRun(writesOnThreads));
            } catch (RejectedExecutionException closing) {
                break; // closing: this thread claims what the helpers would have
            }
        }
        shared.claimAndRun(null);
        shared.awaitUninterruptibly();
        rethrow(shared.failure.get());
    }

    /** Runs every write on this thread, then throws the first failure (a batch without write threads). */
    static void runInline(List<Runnable> writes) {
        Throwable first = null;
        for (Runnable write : writes) {
            try {
                write.run();
            } catch (RuntimeException | Error e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        rethrow(first);
    }

    /** Throws {@code failure}, a {@code RuntimeException} or an {@code Error}, if there is one. */
    private static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** One batch's writes, claimed {@link #CHUNK} at a time by the threads that run them. */
    private static final class Shared {
        private final List<Runnable> writes;
        private final int count;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private final CountDownLatch finished = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Shared(List<Runnable> writes, int count) {
            this.writes = writes;
            this.count = count;
            this.unfinished = new AtomicInteger(count);
        }

        /**
         * Claims and runs writes until none is left, counting them in {@code tally} if there is one, before the batch
         * can end. A thread that comes after the last claim touches nothing: the list may already be reused by then.
         */
        void claimAndRun(LongAdder tally) {
            int from;
            while ((from = next.getAndAdd(CHUNK)) < count) {
                int to = Math.min(count, from + CHUNK);
                for (int i = from; i < to; i++) {
                    try {
                        writes.get(i).run();
                    } catch (RuntimeException | Error e) {
                        failure.compareAndSet(null, e);
                    }
                }
                if (tally != null) {
                    tally.add(to - from);
                }
                if (unfinished.addAndGet(from - to) == 0) {
                    finished.countDown();
                }
            }
        }

        /**
         * The writes only start network writes, which never block, so the wait is short; an interrupt (a task being
         * stopped) does not cut it short, so that no write of the batch is still running when it is over, and is kept.
         */
        void awaitUninterruptibly() {
            boolean interrupted = false;
            while (true) {
                try {
                    finished.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the threads once the writes they claimed have run; later batches run on their publishing thread. */
    @Override
    public void close() {
        pool.shutdown();
    }
}
