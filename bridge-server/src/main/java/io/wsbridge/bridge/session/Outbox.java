package io.wsbridge.bridge.session;

import io.wsbridge.bridge.bus.WriteBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * The outbound side of one session, whatever its kind (WebSocket subscriber, peer link, and the session kinds to
 * come): a bounded queue with an {@link OverflowPolicy}, and a flusher that writes what has queued up in batches of
 * at most {@code maxBatch}, with at most one write in flight. {@link #offer} never blocks on the network, so a slow
 * client can never stall the publisher or the other sessions.
 *
 * <p>When the outbox writes depends on its {@link FlushMode}: a subscriber writes on offer (deferring, within a
 * {@link WriteBatch}, until it has a batch's worth or the batch ends); a peer link writes on {@link #flush()}, once
 * the router has offered an event to all of the link's proxies, so that they {@linkplain Merger merge} into one item.
 *
 * <p>Over 300 lines because the queue, its overflow policy, the write in flight and the counts of what was taken
 * and settled change together under one lock; split apart, each part would have to expose the others' state.
 *
 * @param <T> what is queued: an event, or a message that carries one
 */
public final class Outbox<T> {

    /** What became of an offered item. */
    public enum Outcome {
        /** Queued. */
        QUEUED,
        /** Merged into the item at the tail of the queue. */
        MERGED,
        /** Queued after the oldest item was dropped ({@code drop-oldest}); counted in {@link #dropped()}. */
        QUEUED_DROPPING_OLDEST,
        /** The queue was full under the {@code close} policy: the outbox is closed and empty now; close the session. */
        OVERFLOWED,
        /** The outbox was closed before; the item was not taken. */
        CLOSED
    }

    /** When queued items are written. */
    public enum FlushMode {
        /** Every offer writes, except within a {@link WriteBatch}, where writes wait for a batch's worth or its end. */
        ON_OFFER,
        /** Only {@link #flush()} writes. */
        ON_FLUSH
    }

    /** Writes batches to the session's connection. */
    public interface Writer<T> {

        /** Whether the connection takes writes yet; until it does, items wait in the queue. */
        default boolean ready() {
            return true;
        }

        /**
         * Starts writing {@code batch} (never empty), in order, and completes {@code done} once, when the connection
         * has taken them all (or failed). The list is reused once this returns: keep the items, not the list.
         */
        void write(List<T> batch, Callback done);

        /** A write completed. */
        default void written() {
        }

        /** A write failed: the outbox is closed; the connection is as good as gone. */
        default void failed(Throwable cause) {
        }
    }

    /** Folds an offered item into the one at the tail, e.g. a second destination of the same event. */
    public interface Merger<T> {

        /** @return {@code true} if {@code offered} was folded into {@code tail} and must not be queued itself */
        boolean merge(T tail, T offered);
    }

    private final int capacity;
    private final OverflowPolicy policy;
    private final FlushMode mode;
    private final Merger<T> merger;
    private final Writer<T> writer;
    /** Queued items written at once even within a {@link WriteBatch}: a full batch, or half the queue. */
    private final int flushAt;
    private final int maxBatch;
    /** The batch being handed to the writer; only the flusher touches it, never two at once. */
    private final ArrayList<T> batch;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private final LongAdder dropped = new LongAdder();
    private final Flusher flusher = new Flusher();
    private final Runnable deferredFlush = this::writeDeferred;
    /** Guarded by {@code queue}. */
    private boolean closed;
    /** Set while a write waits for the end of a {@link WriteBatch}. Guarded by {@code queue}. */
    private boolean flushDeferred;
    /** Items taken so far (queued, not merged). Guarded by {@code queue}. */
    private long taken;
    /** Items done with so far: written, or dropped by {@code drop-oldest}. Guarded by {@code queue}. */
    private long settled;
    /** Items of the write in flight; only the flusher touches it. */
    private int inFlight;
    /**
     * Whether closing keeps the queued items for {@link #takeLeftBehind} instead of forgetting them, and those it
     * kept. Guarded by {@code queue}.
     */
    private boolean keepLeftBehind;
    private List<T> leftBehind = List.of();
    /** Whether a batch was taken from the queue and its write has not completed yet. Guarded by {@code queue}. */
    private boolean writing;
    /** What waits for the write in flight to complete ({@link #whenWriteSettles}). Guarded by {@code queue}. */
    private Runnable afterWrite;

    /**
     * @param capacity items queued at most before the overflow policy applies
     * @param maxBatch items written per write at most
     * @param merger folds offers into the tail item, or {@code null} for none
     */
    public Outbox(int capacity, OverflowPolicy policy, int maxBatch, FlushMode mode, Merger<T> merger,
            Writer<T> writer) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.capacity = capacity;
        this.policy = policy;
        this.mode = mode;
        this.merger = merger;
        this.writer = writer;
        this.flushAt = Math.max(1, Math.min(maxBatch, capacity / 2));
        this.maxBatch = maxBatch;
        this.batch = new ArrayList<>(maxBatch);
    }

    /** Queues the item without blocking; in {@link FlushMode#ON_OFFER} also writes, or arranges the write. */
    public Outcome offer(T item) {
        Outcome outcome = Outcome.QUEUED;
        boolean writeNow = mode == FlushMode.ON_OFFER;
        boolean defer = false;
        synchronized (queue) {
            if (closed) {
                return Outcome.CLOSED;
            }
            T tail = queue.peekLast();
            if (merger != null && tail != null && merger.merge(tail, item)) {
                return Outcome.MERGED;
            }
            if (queue.size() >= capacity) {
                if (policy == OverflowPolicy.DROP_OLDEST) {
                    queue.pollFirst();
                    settled++;
                    dropped.increment();
                    outcome = Outcome.QUEUED_DROPPING_OLDEST;
                } else {
                    closed = true;
                    queue.clear();
                    return Outcome.OVERFLOWED;
                }
            }
            queue.addLast(item);
            taken++;
            if (writeNow && queue.size() < flushAt && WriteBatch.active()) {
                writeNow = false;
                if (!flushDeferred) {
                    flushDeferred = true;
                    defer = true;
                }
            }
        }
        if (defer) {
            WriteBatch.defer(deferredFlush);
        }
        if (writeNow) {
            flusher.iterate();
        }
        return outcome;
    }

    /** Writes what is queued, unless a write is in flight (its completion writes the rest). */
    public void flush() {
        flusher.iterate();
    }

    /** The write deferred to the end of a batch. */
    private void writeDeferred() {
        synchronized (queue) {
            flushDeferred = false;
        }
        flusher.iterate();
    }

    /**
     * Takes no more items and forgets the queued ones.
     *
     * @return {@code true} if this call closed it, {@code false} if it was closed already
     */
    public boolean close() {
        synchronized (queue) {
            boolean wasOpen = !closed;
            closed = true;
            forgetQueued();
            return wasOpen;
        }
    }

    /** Empties the queue as it closes, keeping the items if asked to. Under {@code queue}. */
    private void forgetQueued() {
        if (keepLeftBehind && !queue.isEmpty()) {
            List<T> kept = new ArrayList<>(leftBehind);
            kept.addAll(queue);
            leftBehind = kept;
        }
        queue.clear();
    }

    /**
     * From now on, closing keeps the items still queued instead of forgetting them, until {@link #takeLeftBehind}
     * (a group member's events go to the group's other members when it leaves).
     */
    public void keepLeftBehind() {
        synchronized (queue) {
            keepLeftBehind = true;
        }
    }

    /**
     * Runs {@code action} once no write is in flight: at once if none is, else right after the writer was told how
     * the write in flight ended ({@link Writer#written} or {@link Writer#failed}), before the next write starts. The
     * client may have got a batch before its write's completion is reported: what it was handed and did not get is
     * known only then.
     */
    public void whenWriteSettles(Runnable action) {
        synchronized (queue) {
            if (writing) {
                Runnable earlier = afterWrite;
                afterWrite = earlier == null ? action : () -> {
                    earlier.run();
                    action.run();
                };
                return;
            }
        }
        action.run();
    }

    /** The write in flight ended and the writer was told: what waited for it runs. */
    private void writeSettled() {
        Runnable then;
        synchronized (queue) {
            writing = false;
            then = afterWrite;
            afterWrite = null;
        }
        if (then != null) {
            then.run();
        }
    }

    /** The items closing left in the queue, in order, if {@link #keepLeftBehind} was asked; each is taken once. */
    public List<T> takeLeftBehind() {
        synchronized (queue) {
            List<T> taken = leftBehind;
            leftBehind = List.of();
            return taken;
        }
    }

    /**
     * Takes no more items and hands back the queued ones, in order, instead of forgetting them (a peer link that is
     * gone gives its groups' events to other members). Empty if it was closed already.
     */
    public List<T> closeAndTake() {
        synchronized (queue) {
            if (closed) {
                return List.of();
            }
            closed = true;
            List<T> left = new ArrayList<>(queue);
            queue.clear();
            return left;
        }
    }

    /**
     * Takes no more items, forgets the queued ones and queues {@code last} in their place, written after the write in
     * flight if there is one: a transport without a close frame of its own (Server-Sent Events) ends with a message
     * that says why.
     *
     * @return {@code true} if this call closed it, {@code false} if it was closed already ({@code last} not queued)
     */
    public boolean closeWith(T last) {
        synchronized (queue) {
            if (closed) {
                return false;
            }
            closed = true;
            forgetQueued();
            queue.addLast(last);
        }
        flusher.iterate();
        return true;
    }

    public boolean isClosed() {
        synchronized (queue) {
            return closed;
        }
    }

    /** Items queued and not yet handed to the writer. */
    public int size() {
        synchronized (queue) {
            return queue.size();
        }
    }

    /** Calls {@code action} with each item queued and not yet handed to the writer, oldest first. */
    public void forEachQueued(Consumer<T> action) {
        synchronized (queue) {
            queue.forEach(action);
        }
    }

    /** Items dropped by the {@code drop-oldest} policy. */
    public long dropped() {
        return dropped.sum();
    }

    public int capacity() {
        return capacity;
    }

    /** Items taken so far (merged offers not counted): together with {@link #settled()}, how far writes got. */
    public long taken() {
        synchronized (queue) {
            return taken;
        }
    }

    /**
     * Items done with so far, in the order they were taken: written (the write completed), or dropped by
     * {@code drop-oldest}. Once it reaches what {@link #taken()} was, every item taken until then is done with; items
     * forgotten when the outbox closed, or whose write failed, never are.
     */
    public long settled() {
        synchronized (queue) {
            return settled;
        }
    }

    private void settle(int items) {
        synchronized (queue) {
            settled += items;
        }
    }

    /**
     * Hands queued items to the writer a batch at a time; a write's completion starts the next one, so there is never
     * more than one write in flight.
     */
    private final class Flusher extends IteratingCallback {

        @Override
        protected Action process() {
            if (!writer.ready()) {
                return Action.IDLE;
            }
            synchronized (queue) {
                while (batch.size() < maxBatch && !queue.isEmpty()) {
                    batch.add(queue.pollFirst());
                }
                writing = !batch.isEmpty();
            }
            if (batch.isEmpty()) {
                return Action.IDLE;
            }
            inFlight = batch.size();
            try {
                writer.write(batch, this);
            } finally {
                batch.clear();
            }
            return Action.SCHEDULED;
        }

        @Override
        protected void onSuccess() {
            settle(inFlight);
            inFlight = 0;
            writer.written();
            writeSettled();
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            inFlight = 0;
            Outbox.this.close(); // not IteratingCallback's own close()
            writer.failed(cause);
            writeSettled();
        }
    }
}
