package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.bus.Event;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The live position of one application's stream on this bridge: for every partition it knows, the offset of the next
 * record to publish. One per application, shared by all its subscribers: the cursor after an event is computed and
 * encoded once, when the event is published, and every live subscriber gets the same stamped frame.
 *
 * <p>Whoever publishes holds this object's lock from {@link #advance} through the offers to subscribers, so that the
 * events of one application reach every subscriber in the order of their cursors (two tasks publishing partitions of
 * the same application take turns). A partition's position only grows: a record below it (a task redelivering what
 * it published before a restart or rebalance) is refused by {@link #advance} and not published again.
 *
 * <p>A partition is known from the moment a task is assigned it ({@link #started}: the next offset that task reads),
 * or else from its first event. The partitions of shared topics ({@link SharedPositions}) are in every application's
 * position, where the bridge's tasks are in them, until the application's own events there move it further.
 */
public final class LiveStream {

    private final String application;
    private final int applicationHash;
    private final TreeMap<String, Topic> topics = new TreeMap<>();
    private final Cursor.Writer writer = new Cursor.Writer();
    /** The partitions of shared topics this bridge publishes, which any application may have events in. */
    private final SharedPositions shared;
    private byte[] encoded; // the current position as US-ASCII, until it moves; events stamped with it share it
    /** How many times a position moved: a consuming bridge tells its peers the positions again once it changed. */
    private long moves;

    LiveStream(String application, SharedPositions shared) {
        this.application = application;
        this.shared = shared;
        this.applicationHash = Cursor.applicationHash(application);
    }

    public String application() {
        return application;
    }

    /**
     * Places the event in the stream: its partition's position moves past it.
     *
     * @return {@code false} if the event is below its partition's position (published before): drop it
     */
    public synchronized boolean advance(Event event) {
        return advance(event, true);
    }

    /**
     * As {@link #advance}, for an event another bridge published and forwarded here (cluster mode): its partition is
     * not one this bridge publishes, so it is not in {@link #localSnapshot}.
     */
    public synchronized boolean advanceForwarded(Event event) {
        return advance(event, false);
    }

    private boolean advance(Event event, boolean local) {
        if (!event.hasPosition()) {
            return true;
        }
        Topic topic = topic(event.topic());
        if (local) {
            topic.local(event.partition());
        }
        long next = topic.next(event.partition());
        if (event.offset() < next) {
            return false;
        }
        topic.set(event.partition(), event.offset() + 1);
        topic.forwarded(event.partition(), !local);
        moved();
        return true;
    }

    /**
     * A task was assigned the partition and reads it from {@code nextOffset}; a position never moves back. If its
     * position came from events another bridge forwarded (cluster mode: the partition moved here), the events the task
     * reads again up to there are {@linkplain #regroups for groups}.
     */
    public synchronized void started(String topicName, int partition, long nextOffset) {
        Topic topic = topic(topicName);
        topic.local(partition);
        long next = topic.next(partition);
        if (next < nextOffset) {
            topic.set(partition, nextOffset);
            encoded = null;
        }
        moves++; // the partitions published here changed, if not the position
        topic.regroupUntil(partition, next > nextOffset && topic.forwarded(partition) ? next : -1);
        topic.forwarded(partition, false);
    }

    /**
     * Cluster mode: a consuming peer's live position in the partitions it publishes ({@code next} offsets), which it
     * sends in order with the events it forwards here: every event of those partitions before it that this bridge's
     * subscribers asked for has come. Each partition this bridge does not publish itself moves there, if further, as
     * with a forwarded event; the cursors stamped from then on name it. A partition a task of this bridge publishes
     * keeps its own position.
     */
    public synchronized void forwardedPositions(Map<PartitionId, Long> positions) {
        positions.forEach((partition, next) -> {
            Topic topic = topic(partition.topic());
            if (!topic.isLocal(partition.partition()) && next > topic.next(partition.partition())) {
                topic.set(partition.partition(), next);
                topic.forwarded(partition.partition(), true);
                moved();
            }
        });
    }

    private void moved() {
        encoded = null;
        moves++;
    }

    /** Changes with every move of a position. */
    public synchronized long moves() {
        return moves;
    }

    /**
     * Whether an event {@link #advance} refused (below its partition's position) is one the partition's former owner
     * published before it moved here, read again from the connector's committed offset: its groups get it again, for
     * their members may not have (the former owner died before it wrote or forwarded it). Plain subscribers had it.
     */
    public synchronized boolean regroups(Event event) {
        Topic topic = topics.get(event.topic());
        return event.hasPosition() && topic != null && event.offset() < topic.regroupUntil(event.partition());
    }

    /** The topics of the partitions the stream knows. */
    public synchronized Set<String> topics() {
        Set<String> names = new TreeSet<>(topics.keySet());
        shared.forEach((topic, partition, next) -> names.add(topic));
        return Set.copyOf(names);
    }

    int applicationHash() {
        return applicationHash;
    }

    /** The offset of the next record of the partition to publish, or -1 if the partition is not known. */
    public synchronized long next(PartitionId partition) {
        Topic topic = topics.get(partition.topic());
        long own = topic == null ? -1 : topic.next(partition.partition());
        return Math.max(own, shared.next(partition.topic(), partition.partition()));
    }

    /** The event with the current position as its cursor: call right after {@link #advance}, under the lock. */
    public synchronized Event stamp(Event event) {
        return event.withCursor(encodedAscii());
    }

    /** The current position, encoded (what the next stamped event's cursor names); for tests. */
    synchronized String encoded() {
        return new String(encodedAscii(), StandardCharsets.US_ASCII);
    }

    private byte[] encodedAscii() {
        if (encoded == null && !shared.isEmpty()) { // with the shared partitions where they are now
            encoded = snapshot().encodeAscii();
        } else if (encoded == null) {
            writer.begin(applicationHash, topics.size());
            for (Topic topic : topics.values()) {
                writer.topic(topic.name, topic.known);
                for (int p = 0; p < topic.next.length; p++) {
                    if (topic.next[p] >= 0) {
                        writer.entry(p, topic.next[p]);
                    }
                }
            }
            encoded = writer.finishAscii();
        }
        return encoded;
    }

    /** The current position, with {@code ahead}'s offsets where they are further. */
    public synchronized Cursor snapshotWith(Map<PartitionId, Long> ahead) {
        Map<PartitionId, Long> positions = new HashMap<>();
        topics.values().forEach(topic -> {
            for (int p = 0; p < topic.next.length; p++) {
                if (topic.next[p] >= 0) {
                    positions.put(new PartitionId(topic.topic, p), topic.next[p]);
                }
            }
        });
        shared.forEach((topic, partition, next) -> positions.merge(new PartitionId(topic, partition), next, Math::max));
        ahead.forEach((partition, next) -> positions.merge(partition, next, Math::max));
        return new Cursor(applicationHash, positions);
    }

    /**
     * The current position in the partitions this bridge's tasks publish (or published): where a consuming bridge in
     * cluster mode keeps a group's place.
     */
    public synchronized Cursor localSnapshot() {
        Map<PartitionId, Long> positions = new HashMap<>();
        topics.values().forEach(topic -> {
            for (int p = 0; p < topic.next.length; p++) {
                if (topic.next[p] >= 0 && p < topic.local.length && topic.local[p]) {
                    positions.put(new PartitionId(topic.topic, p), topic.next[p]);
                }
            }
        });
        shared.forEach((topic, partition, next) -> positions.merge(new PartitionId(topic, partition), next, Math::max));
        return new Cursor(applicationHash, positions);
    }

    /** The current position. */
    public Cursor snapshot() {
        return snapshotWith(Map.of());
    }

    private Topic topic(String name) {
        return topics.computeIfAbsent(name, Topic::new);
    }

    /** The positions of one topic's partitions, by partition number; -1 for a partition not known. */
    private static final class Topic {
        private final String topic;
        private final byte[] name;
        private long[] next = new long[0];
        /** Partitions a task of this bridge publishes (or published), by partition number. */
        private boolean[] local = new boolean[0];
        /** Partitions whose position last moved with a forwarded event. */
        private boolean[] forwarded = new boolean[0];
        /** Per partition, up to where events read again after it moved here go to groups; -1: none. */
        private long[] regroupUntil = new long[0];
        private int known;

        Topic(String topic) {
            this.topic = topic;
            this.name = topic.getBytes(StandardCharsets.UTF_8);
        }

        boolean isLocal(int partition) {
            return partition < local.length && local[partition];
        }

        void local(int partition) {
            if (partition >= local.length) {
                local = Arrays.copyOf(local, partition + 1);
            }
            local[partition] = true;
        }

        /** Whether the partition's position last moved with a forwarded event. */
        boolean forwarded(int partition) {
            return partition < forwarded.length && forwarded[partition];
        }

        void forwarded(int partition, boolean value) {
            if (partition >= forwarded.length && value) {
                forwarded = Arrays.copyOf(forwarded, partition + 1);
            }
            if (partition < forwarded.length) {
                forwarded[partition] = value;
            }
        }

        long regroupUntil(int partition) {
            return partition < regroupUntil.length ? regroupUntil[partition] : -1;
        }

        void regroupUntil(int partition, long offset) {
            if (partition >= regroupUntil.length) {
                int old = regroupUntil.length;
                regroupUntil = Arrays.copyOf(regroupUntil, partition + 1);
                Arrays.fill(regroupUntil, old, regroupUntil.length, -1L);
            }
            regroupUntil[partition] = offset;
        }

        long next(int partition) {
            return partition < next.length ? next[partition] : -1;
        }

        void set(int partition, long offset) {
            if (partition >= next.length) {
                int old = next.length;
                next = Arrays.copyOf(next, partition + 1);
                Arrays.fill(next, old, next.length, -1L);
            }
            if (next[partition] < 0) {
                known++;
            }
            next[partition] = offset;
        }
    }
}
