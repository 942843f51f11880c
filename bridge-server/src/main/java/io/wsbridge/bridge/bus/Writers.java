package io.wsbridge.bridge.bus;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Threads that share the socket writes of a wide fan-out with the publishing thread. When one batch of events goes to
 * many subscribers, each of them with a few events, every subscriber's write is a system call of its own (about 20
 * microseconds on loopback, most of it in the kernel) and there is nothing to gather: on one thread, 100,000 frames a
 * second would take two cores' time. {@link #runAll} splits such a batch's writes among the publishing thread and
 * these threads, and returns once all of them have run, so that a publisher still waits for its writes to start
 * before it takes the next batch (the writes themselves never block: what a socket does not take is finished by
 * Jetty when it can).
 *
 * <p>A batch of fewer than {@link #SPREAD_AT} writes stays on the publishing thread: waking another thread costs
 * about as much as a few writes. With no threads ({@code 0}) every write stays there.
 */
public final class Writers implements AutoCloseable {

    /** Writes in one batch from which they are split among the threads. */
    public static final int SPREAD_AT = 32;
    /** Writes each thread takes at least: a share smaller than this is not worth a wake-up. */
    static final int MIN_SHARE = SPREAD_AT / 2;

    private final ThreadPoolExecutor pool;
    private volatile int threads;

    /** @param threads threads besides the publishing ones, 0 to keep every write on the publishing thread */
    public Writers(String name, int threads) {
        check(threads);
        AtomicInteger count = new AtomicInteger();
        ThreadFactory factory = task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        int size = Math.max(1, threads);
        this.pool = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
        pool.allowCoreThreadTimeOut(true); // idle writers go away; a quiet bridge keeps no thread for them
        this.threads = threads;
    }

    private static void check(int threads) {
        if (threads < 0 || threads > 64) {
            throw new IllegalArgumentException("write threads must be between 0 and 64, was " + threads);
        }
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
     * Runs every one of {@code writes}, some on this thread and, if there are enough of them, the others on this
     * object's threads; returns once all have run. Should one fail, the others still run, and the first failure is
     * thrown at the end.
     */
    public void runAll(List<Runnable> writes) {
        int count = writes.size();
        int shares = Math.min(threads + 1, count / MIN_SHARE);
        if (count < SPREAD_AT || shares < 2 || pool.isShutdown()) {
            runRange(writes, 0, count);
            return;
        }
        CountDownLatch others = new CountDownLatch(shares - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int share = 1; share < shares; share++) {
            int from = (int) ((long) count * share / shares);
            int to = (int) ((long) count * (share + 1) / shares);
            Runnable part = () -> {
                try {
                    runRange(writes, from, to);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    others.countDown();
                }
            };
            try {
                pool.execute(part);
            } catch (RejectedExecutionException closing) {
                part.run();
            }
        }
        try {
            runRange(writes, 0, (int) ((long) count / shares));
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        awaitUninterruptibly(others);
        Throwable first = failure.get();
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
    }

    private static void runRange(List<Runnable> writes, int from, int to) {
        Throwable first = null;
        for (int i = from; i < to; i++) {
            try {
                writes.get(i).run();
            } catch (RuntimeException | Error e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
    }

    /**
     * The writes only start network writes, which never block, so the wait is short; an interrupt (a task being
     * stopped) does not cut it short, so that no share is still running when the batch is over, and is kept.
     */
    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the threads once the shares they were given have run. */
    @Override
    public void close() {
        pool.shutdown();
    }
}
