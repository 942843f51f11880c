package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.resume.PartitionId;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Copies of the places consuming peers keep: used only for peers that no longer consume, and taken once. */
class KeptCopiesTest {

    private static final long RETENTION = 1_000;
    private static final PartitionId P0 = new PartitionId("t", 0);
    private static final PartitionId P1 = new PartitionId("t", 1);
    private final KeptCopies copies = new KeptCopies();

    @Test
    void aCopyOfAPeerThatStillConsumesIsNotUsedButForgotten() {
        copies.update("a:1", Map.of("g", Map.of(P0, 5L)), 0, RETENTION);
        assertThat(copies.take("g", peer -> false, 10)).as("the peer hands its place over itself").isEmpty();
        assertThat(copies.size()).isZero();
    }

    @Test
    void theCopiesOfPeersThatAreGoneMergeEarliestFirst() {
        copies.update("a:1", Map.of("g", Map.of(P0, 5L, P1, 9L)), 0, RETENTION);
        copies.update("b:1", Map.of("g", Map.of(P1, 3L), "h", Map.of(P0, 1L)), 0, RETENTION);
        copies.update("c:1", Map.of("g", Map.of(P0, 1L)), 0, RETENTION);
        assertThat(copies.take("g", peer -> !peer.equals("c:1"), 10)).isEqualTo(Map.of(P0, 5L, P1, 3L));
        assertThat(copies.take("g", peer -> true, 10)).as("taken once").isEmpty();
        assertThat(copies.size()).isEqualTo(1);
    }

    @Test
    void anEmptyPlaceRemovesTheCopyAndALaterOneReplacesIt() {
        copies.update("a:1", Map.of("g", Map.of(P0, 5L)), 0, RETENTION);
        copies.update("a:1", Map.of("g", Map.of()), 1, RETENTION);
        assertThat(copies.take("g", peer -> true, 10)).isEmpty();
        copies.update("a:1", Map.of("g", Map.of(P0, 5L)), 0, RETENTION);
        copies.update("a:1", Map.of("g", Map.of(P0, 8L)), 1, RETENTION);
        assertThat(copies.take("g", peer -> true, 10)).isEqualTo(Map.of(P0, 8L));
    }

    @Test
    void aCopyExpiresWithTheRetentionTime() {
        copies.update("a:1", Map.of("g", Map.of(P0, 5L)), 0, RETENTION);
        assertThat(copies.take("g", peer -> true, RETENTION)).isEmpty();
        copies.update("a:1", Map.of("g", Map.of(P0, 5L)), 0, 0);
        assertThat(copies.size()).as("no retention: nothing kept").isZero();
    }
}
