package io.wsbridge.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.resume.PartitionId;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A task in cluster mode commits no further than what groups have not written yet, and never backwards. */
class CommitHoldbackTest {

    private static final TopicPartition P0 = new TopicPartition("events-a", 0);
    private static final TopicPartition P1 = new TopicPartition("events-a", 1);
    private final CommitHoldback commits = new CommitHoldback();

    private static Map<TopicPartition, OffsetAndMetadata> offsets(long p0, long p1) {
        return Map.of(P0, new OffsetAndMetadata(p0), P1, new OffsetAndMetadata(p1));
    }

    private static Map<TopicPartition, Long> committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        return Map.of(P0, offsets.get(P0).offset(), P1, offsets.get(P1).offset());
    }

    @Test
    void withNothingHeldBackEverythingHandedOverIsCommitted() {
        assertThat(committed(commits.apply(offsets(100, 50), Map.of()))).isEqualTo(Map.of(P0, 100L, P1, 50L));
    }

    @Test
    void aPartitionWithAnEventNotWrittenCommitsUpToIt() {
        commits.started(Map.of(P0, 10L, P1, 10L));
        Map<PartitionId, Long> holdback = Map.of(new PartitionId("events-a", 0), 42L,
                new PartitionId("events-b", 0), 1L);
        assertThat(committed(commits.apply(offsets(100, 50), holdback))).isEqualTo(Map.of(P0, 42L, P1, 50L));
    }

    @Test
    void neverBelowWhatWasCommittedOrWhereThePartitionStarted() {
        commits.started(Map.of(P0, 10L, P1, 10L));
        Map<PartitionId, Long> early = Map.of(new PartitionId("events-a", 0), 3L, new PartitionId("events-a", 1), 5L);
        assertThat(committed(commits.apply(offsets(100, 50), early))).as("an event that reached this bridge before "
                + "the partition did (forwarded)").isEqualTo(Map.of(P0, 10L, P1, 10L));
        commits.apply(offsets(100, 50), Map.of());
        assertThat(committed(commits.apply(offsets(120, 60), Map.of(new PartitionId("events-a", 0), 80L))))
                .as("an event dealt again after the commit passed it").isEqualTo(Map.of(P0, 100L, P1, 60L));

        commits.closed(List.of(P0, P1));
        assertThat(committed(commits.apply(offsets(120, 60), Map.of(new PartitionId("events-a", 0), 80L))))
                .as("assigned again, without a start: the holdback").isEqualTo(Map.of(P0, 80L, P1, 60L));
    }
}
