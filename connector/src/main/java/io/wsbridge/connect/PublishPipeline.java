package io.wsbridge.connect;

import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Publishes a task's records on a thread of its own, one poll's batch at a time, while Connect's task thread polls
 * and converts the next batch: the two halves of a record's work overlap instead of taking turns.
 *
 * <p>At most one batch is in flight. {@link #submit} waits for the previous batch to be published before it hands
 * over the next, so events leave in Kafka's order and the memory held is one poll's records. {@link #drain} waits
 * until nothing is in flight: the task calls it before anything that must see every record handed over so far
 * published (a commit, a change of partitions, a stop). A batch that fails (a record that cannot be converted, no
 * errant record reporter) fails every later call, so that nothing after it is committed and the task stops.
 */
final class PublishPipeline implements AutoCloseable {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Consumer<Collection<SinkRecord>> publisher;

    /** The batch handed over and not yet published; {@code null} when idle. Guarded by {@link #lock}. */
    private Collection<SinkRecord> pending;
    /** Why a batch failed; sticky. Guarded by {@link #lock}. */
    private RuntimeException failure;
    private boolean closed;

    PublishPipeline(String name, Consumer<Collection<SinkRecord>> publisher) {
        this.publisher = Objects.requireNonNull(publisher);
        Thread thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for the batch in flight, then hands {@code records} over and returns. */
    void submit(Collection<SinkRecord> records) {
        lock.lock();
        try {
            awaitIdle();
            pending = records;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every batch handed over is published; throws if one failed. */
    void drain() {
        lock.lock();
        try {
            awaitIdle();
        } finally {
            lock.unlock();
        }
    }

    /** Publishes what is in flight, then stops the thread. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            // The thread clears pending after every batch, failed or not, before it can end.
            while (pending != null && failure == null) {
                changed.awaitUninterruptibly();
            }
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void awaitIdle() {
        try {
            while (pending != null && failure == null) {
                changed.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while waiting for the previous batch to be published", e);
        }
        if (failure != null) {
            throw failure;
        }
        if (closed) {
            throw new ConnectException("The task's publisher is stopped");
        }
    }

    private void loop() {
        while (true) {
            Collection<SinkRecord> batch;
            lock.lock();
            try {
                while (pending == null && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                batch = pending;
            } finally {
                lock.unlock();
            }
            RuntimeException failed = null;
            try {
                publisher.accept(batch);
            } catch (RuntimeException e) {
                failed = e;
            } catch (Error e) {
                failed = new ConnectException("The task's publisher failed", e);
            }
            lock.lock();
            try {
                pending = null;
                if (failed != null && failure == null) {
                    failure = failed;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (failed != null) {
                return;
            }
        }
    }
}
