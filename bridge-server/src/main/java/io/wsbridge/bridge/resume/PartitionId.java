package io.wsbridge.bridge.resume;

import java.util.Objects;

/**
 * A partition of a topic, as plain values (the bridge knows nothing of Kafka). Ordered by topic, then partition: the
 * order of a cursor's entries.
 */
public record PartitionId(String topic, int partition) implements Comparable<PartitionId> {

    public PartitionId {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be at least 0, was " + partition);
        }
    }

    @Override
    public int compareTo(PartitionId other) {
        int byTopic = topic.compareTo(other.topic);
        return byTopic != 0 ? byTopic : Integer.compare(partition, other.partition);
    }

    @Override
    public String toString() {
        return topic + "/" + partition;
    }
}
