package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.bus.Event;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.Consumer;

/**
 * The live side of a {@link Catchup}: while the subscriber replays, its live events wait here (at most
 * {@code capacity}; beyond that they are dropped and the subscriber attaches again later, replaying them instead);
 * then {@link #goLive} sends those the subscriber has not got yet and lets live events through.
 *
 * <p>A subscriber further than the live stream in some partition (its cursor came from before a restart, whose task
 * reads again what was published already) is <em>ahead</em>: it skips live events below its position and gets cursors
 * of its own (the live position, with its own offsets where they are further) until the live stream has caught up with
 * it; only then does it share the live frames.
 *
 * <p>Lock order: the stream's lock, then this object's. Publishers hold the stream's lock when they offer.
 */
final class LiveJoin {

    private enum Mode { BUFFERING, AHEAD, LIVE, CLOSED }

    /** What {@link #goLive} did. */
    enum Outcome {
        /** The subscriber is live, or ahead (live, with cursors of its own). */
        LIVE,
        /** The subscriber is gone. */
        CLOSED,
        /** The buffer overflowed: replay on, up to the new attach point. */
        REPLAY_FURTHER,
        /** The subscriber's queue has no room for the buffer yet. */
        WAIT
    }

    private final LiveStream stream;
    private final Catchup.Target target;
    private final int capacity;
    private final ArrayDeque<Event> buffer = new ArrayDeque<>();
    private final Map<PartitionId, Long> ahead = new HashMap<>();
    private Mode mode = Mode.BUFFERING;
    private boolean overflowed;
    /** The live position when the subscriber last attached: the buffer holds every live event since. */
    private Map<PartitionId, Long> attached = Map.of();

    LiveJoin(LiveStream stream, Catchup.Target target, int capacity) {
        this.stream = stream;
        this.target = target;
        this.capacity = capacity;
    }

    /**
     * Empties the buffer and reads the live position, atomically with respect to publishers: every live event
     * published later is buffered and lies at or after the returned position in its partition.
     */
    Cursor attach() {
        synchronized (stream) {
            synchronized (this) {
                buffer.clear();
                overflowed = false;
                Cursor live = stream.snapshot();
                attached = live.positions();
                return live;
            }
        }
    }

    /**
     * Adds where this catch-up's live events start, if it is not live yet, to {@code lowest} (the earliest of each
     * partition): every live event since is buffered, or will be replayed.
     */
    synchronized void lowestPending(Map<PartitionId, Long> lowest) {
        if (mode != Mode.LIVE && mode != Mode.CLOSED) {
            attached.forEach((partition, offset) -> lowest.merge(partition, offset, Math::min));
        }
    }

    /** A live event, offered by a publisher that holds the stream's lock; {@code false} if the subscriber is gone. */
    synchronized boolean offer(Event event) {
        switch (mode) {
            case BUFFERING -> {
                if (!overflowed) {
                    if (buffer.size() >= capacity) {
                        overflowed = true;
                        buffer.clear();
                    } else {
                        buffer.addLast(event);
                    }
                }
                return true;
            }
            case AHEAD -> {
                return offerAhead(event);
            }
            case LIVE -> {
                return target.deliver(event);
            }
            default -> {
                return false;
            }
        }
    }

    private boolean offerAhead(Event event) {
        if (event.hasPosition()) {
            Long position = ahead.get(new PartitionId(event.topic(), event.partition()));
            if (position != null && event.offset() < position) {
                return true; // the subscriber has it already
            }
        }
        ahead.entrySet().removeIf(entry -> stream.next(entry.getKey()) >= entry.getValue());
        if (ahead.isEmpty()) {
            mode = Mode.LIVE;
            target.caughtUp();
            return target.deliver(event);
        }
        return target.deliver(event.withCursor(stream.snapshotWith(ahead).encodeAscii()));
    }

    synchronized void close() {
        mode = Mode.CLOSED;
        buffer.clear();
    }

    synchronized boolean closed() {
        return mode == Mode.CLOSED;
    }

    synchronized boolean buffering() {
        return mode == Mode.BUFFERING;
    }

    /** The partitions where the subscriber is further than the live stream, and its position there. */
    synchronized Map<PartitionId, Long> ahead() {
        return Map.copyOf(ahead);
    }

    /**
     * Sends the buffered events the subscriber has not got ({@code next}: its position, which moves with them) and
     * lets live events through, unless the buffer overflowed (attach again: {@code reattached} gets the new position)
     * or the subscriber's queue has no room for the buffer.
     */
    Outcome goLive(NavigableMap<PartitionId, Long> next, Consumer<Cursor> reattached) {
        synchronized (stream) {
            synchronized (this) {
                if (mode == Mode.CLOSED) {
                    return Outcome.CLOSED;
                }
                if (overflowed) {
                    overflowed = false;
                    buffer.clear();
                    Cursor live = stream.snapshot();
                    attached = live.positions();
                    reattached.accept(live);
                    return Outcome.REPLAY_FURTHER;
                }
                if (target.room() < buffer.size()) {
                    return Outcome.WAIT;
                }
                if (!drain(next)) {
                    mode = Mode.CLOSED;
                    return Outcome.CLOSED;
                }
                next.forEach((partition, position) -> {
                    if (stream.next(partition) < position) {
                        ahead.put(partition, position);
                    }
                });
                mode = ahead.isEmpty() ? Mode.LIVE : Mode.AHEAD;
                if (mode == Mode.LIVE) {
                    target.caughtUp();
                }
                return Outcome.LIVE;
            }
        }
    }

    private boolean drain(NavigableMap<PartitionId, Long> next) {
        // The live position after each buffered event, to tell whether the event's own cursor is right for this
        // subscriber: it is unless the subscriber is further than the live stream somewhere.
        Map<PartitionId, Long> running = new HashMap<>(attached);
        for (Event event : buffer) {
            if (event.hasPosition()) {
                PartitionId partition = new PartitionId(event.topic(), event.partition());
                running.merge(partition, event.offset() + 1, Math::max);
                Long position = next.get(partition);
                if (position != null && event.offset() < position) {
                    continue; // replayed already
                }
                next.put(partition, event.offset() + 1);
            }
            Event out = event;
            if (further(next, running)) {
                Map<PartitionId, Long> own = new HashMap<>(running);
                next.forEach((partition, position) -> own.merge(partition, position, Math::max));
                out = event.withCursor(new Cursor(stream.applicationHash(), own).encodeAscii());
            }
            if (!target.deliver(out)) {
                return false;
            }
        }
        buffer.clear();
        return true;
    }

    /** Whether {@code positions} is further than {@code live} in some partition (or names one {@code live} does not). */
    private static boolean further(Map<PartitionId, Long> positions, Map<PartitionId, Long> live) {
        for (Map.Entry<PartitionId, Long> position : positions.entrySet()) {
            Long known = live.get(position.getKey());
            if (known == null || known < position.getValue()) {
                return true;
            }
        }
        return false;
    }
}
