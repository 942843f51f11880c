package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How a consuming bridge keeps a peer's interest from snapshot parts and deltas, and when it asks for a resync. */
class InterestReceiverTest {

    static final int MAX = PeerProtocol.INTEREST_CHUNK_BYTES;
    static final InterestEntry ALL = InterestEntry.all("app");
    static final InterestEntry DOOR = InterestEntry.channel("app", "door");
    static final InterestEntry BILLING = InterestEntry.group("app", GroupKey.anonymous("billing", null));
    static final InterestEntry OTHER = InterestEntry.all("other");

    static InterestReceiver.Outcome feed(InterestReceiver receiver, List<String> messages) {
        InterestReceiver.Outcome last = null;
        for (String message : messages) {
            last = receiver.receive(message);
        }
        return last;
    }

    @Test
    void aSnapshotInPartsTakesEffectWithItsLastPart() {
        Map<InterestEntry, Integer> entries = InterestCodecTest.manyLongGroups(200);
        List<String> parts = InterestCodec.snapshot(entries, 0, MAX);
        InterestReceiver receiver = new InterestReceiver();

        for (String part : parts.subList(0, parts.size() - 1)) {
            assertThat(receiver.receive(part)).isEqualTo(InterestReceiver.Outcome.NOTHING);
        }
        InterestReceiver.Outcome outcome = receiver.receive(parts.get(parts.size() - 1));

        assertThat(parts).hasSizeGreaterThan(1);
        assertThat(outcome.resync()).isNull();
        assertThat(outcome.applications()).isEqualTo(InterestEntry.applications(entries));
        assertThat(receiver.size()).isEqualTo(200);
    }

    @Test
    void aDeltaChangesOnlyTheApplicationsItTouches() {
        InterestReceiver receiver = new InterestReceiver();
        feed(receiver, InterestCodec.snapshot(Map.of(ALL, 1, BILLING, 2, OTHER, 1), 0, MAX));

        InterestReceiver.Outcome outcome = feed(receiver,
                InterestCodec.delta(Map.of(DOOR, 1, BILLING, 3), Set.of(ALL), 1, MAX));

        assertThat(outcome.applications()).isEqualTo(Map.of("app",
                new Interest.Application(false, Set.of("door"), Map.of(GroupKey.anonymous("billing", null), 3))));
        Interest.Application none = feed(receiver, InterestCodec.delta(Map.of(), Set.of(OTHER), 2, MAX))
                .applications().get("other");
        assertThat(none.isEmpty()).as("the peer no longer wants 'other'").isTrue();
        assertThat(receiver.size()).isEqualTo(2);
    }

    @Test
    void aMissingSequenceNumberAsksOnceForAFreshSnapshotAndIgnoresDeltasUntilItComesButNotGarbage() {
        InterestReceiver receiver = new InterestReceiver();
        feed(receiver, InterestCodec.snapshot(Map.of(ALL, 1), 0, MAX));

        InterestReceiver.Outcome gap = feed(receiver, InterestCodec.delta(Map.of(DOOR, 1), Set.of(), 2, MAX));
        InterestReceiver.Outcome next = feed(receiver, InterestCodec.delta(Map.of(OTHER, 1), Set.of(), 3, MAX));
        InterestReceiver.Outcome garbage = receiver.receive("not json");
        InterestReceiver.Outcome snapshot = feed(receiver, InterestCodec.snapshot(Map.of(DOOR, 1, OTHER, 1), 4, MAX));

        assertThat(gap).isEqualTo(InterestReceiver.Outcome.resync("sequence 1 expected, 2 received"));
        assertThat(next).as("ignored, no second request").isEqualTo(InterestReceiver.Outcome.NOTHING);
        assertThat(garbage).as("perhaps the snapshot's first part: asks again")
                .isEqualTo(InterestReceiver.Outcome.resync("bad interest message: interest message is not JSON"));
        assertThat(snapshot.resync()).isNull();
        assertThat(snapshot.applications()).containsOnlyKeys("app", "other");
        assertThat(feed(receiver, InterestCodec.delta(Map.of(), Set.of(DOOR), 5, MAX)).resync())
                .as("deltas apply again after the snapshot").isNull();
    }

    @Test
    void aBadMessageOrADeltaThatDoesNotFitAsksForAFreshSnapshotWithTheReason() {
        InterestReceiver receiver = new InterestReceiver();
        feed(receiver, InterestCodec.snapshot(Map.of(ALL, 1), 0, MAX));
        assertThat(receiver.receive("{\"v\":1,\"applications\":{}}").resync())
                .isEqualTo("bad interest message: interest message version 1 is not supported: this bridge speaks "
                        + "version 2; run the same wsbridge version on every worker");

        InterestReceiver other = new InterestReceiver();
        feed(other, InterestCodec.snapshot(Map.of(ALL, 1), 0, MAX));
        assertThat(feed(other, InterestCodec.delta(Map.of(), Set.of(DOOR), 1, MAX)).resync())
                .isEqualTo("the delta with sequence 1 removes channel 'door' of application 'app', which was not "
                        + "announced");

        InterestReceiver third = new InterestReceiver();
        List<String> parts = InterestCodec.snapshot(InterestCodecTest.manyLongGroups(100), 0, MAX);
        third.receive(parts.get(0));
        assertThat(feed(third, InterestCodec.delta(Map.of(DOOR, 1), Set.of(), 1, MAX)).resync())
                .isEqualTo("a delta (sequence 1) before the snapshot's last part");
        assertThat(third.awaitingSnapshot()).isTrue();
    }

    @Test
    void deltasBeforeTheFirstSnapshotAreIgnored() {
        InterestReceiver receiver = new InterestReceiver();

        assertThat(feed(receiver, InterestCodec.delta(Map.of(ALL, 1), Set.of(), 0, MAX)))
                .isEqualTo(InterestReceiver.Outcome.NOTHING);
        assertThat(receiver.size()).isZero();
    }

    @Test
    void afterThreeFreshSnapshotsThatDidNotHelpItGivesUpAndAnAppliedSnapshotStartsTheCountAgain() {
        InterestReceiver receiver = new InterestReceiver();
        feed(receiver, InterestCodec.snapshot(Map.of(ALL, 1), 0, MAX));
        for (int i = 0; i < InterestReceiver.MAX_RESYNCS_IN_A_ROW; i++) {
            assertThat(receiver.receive("{").resync()).isEqualTo("bad interest message: interest message is not JSON");
        }

        assertThat(receiver.receive("{")).isEqualTo(new InterestReceiver.Outcome(Map.of(), null,
                "bad interest message: interest message is not JSON (still, after 3 fresh snapshots)"));

        InterestReceiver other = new InterestReceiver();
        feed(other, InterestCodec.snapshot(Map.of(ALL, 1), 0, MAX));
        for (int round = 0; round < 5; round++) {
            assertThat(other.receive("{").resync()).isNotNull();
            assertThat(feed(other, InterestCodec.snapshot(Map.of(ALL, 1), 1, MAX)).giveUp()).isNull();
        }
    }
}
