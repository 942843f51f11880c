package io.wsbridge.connect;

import io.wsbridge.bridge.resume.PartitionId;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What a task commits in cluster mode: no further than the earliest event handed to a group and not yet written (or
 * acknowledged by the member's peer), so that if the worker dies the partition's next owner reads it again and deals
 * it to the groups. Never below what it committed before, or where the partition started when it was assigned.
 */
final class CommitHoldback {

    /** What was last committed of each partition the task is assigned, or where it started. */
    private final Map<TopicPartition, Long> committed = new HashMap<>();

    /** The partitions were assigned, and start at these offsets. */
    void started(Map<TopicPartition, Long> starts) {
        committed.putAll(starts);
    }

    /** The partitions were taken away. */
    void closed(Iterable<TopicPartition> partitions) {
        partitions.forEach(committed::remove);
    }

    /**
     * @param offsets what Connect would commit: every record handed to the bridge
     * @param holdback per partition, the earliest event handed to a group and not yet written
     * @return what to commit
     */
    Map<TopicPartition, OffsetAndMetadata> apply(Map<TopicPartition, OffsetAndMetadata> offsets,
            Map<PartitionId, Long> holdback) {
        Map<TopicPartition, OffsetAndMetadata> held = new HashMap<>();
        offsets.forEach((partition, offset) -> {
            Long lowest = holdback.get(new PartitionId(partition.topic(), partition.partition()));
            long commit = offset.offset();
            if (lowest != null && lowest < commit) {
                Long floor = committed.get(partition);
                commit = floor == null ? lowest : Math.min(commit, Math.max(lowest, floor));
            }
            committed.put(partition, commit);
            held.put(partition, commit == offset.offset() ? offset : new OffsetAndMetadata(commit, offset.metadata()));
        });
        return held;
    }
}
