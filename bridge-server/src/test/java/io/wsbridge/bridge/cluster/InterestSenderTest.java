package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.route.GroupKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What one link's sender puts on the wire: a snapshot first, then only what changed, in sequence. */
class InterestSenderTest {

    static final InterestEntry ALL = InterestEntry.all("app");
    static final InterestEntry DOOR = InterestEntry.channel("app", "door");
    static final InterestEntry BILLING = InterestEntry.group("app", GroupKey.anonymous("billing", null));

    @Test
    void deltasCarryOnlyWhatChangedAndContinueTheSnapshotsSequence() {
        InterestSender sender = new InterestSender(PeerProtocol.INTEREST_CHUNK_BYTES);
        assertThat(sender.delta(Map.of(ALL, 1))).as("nothing before the snapshot").isEmpty();

        List<String> snapshot = sender.snapshot(Map.of(ALL, 1, BILLING, 1));
        List<String> delta = sender.delta(Map.of(DOOR, 1, BILLING, 2));

        assertThat(snapshot).hasSize(1);
        assertThat(delta).hasSize(1);
        assertThat(InterestCodec.decode(delta.get(0)))
                .isEqualTo(new InterestCodec.Delta(1, Map.of(DOOR, 1, BILLING, 2), Set.of(ALL)));
        assertThat(sender.delta(Map.of(DOOR, 1, BILLING, 2))).as("no change").isEmpty();
        assertThat(InterestCodec.decode(sender.delta(Map.of(DOOR, 1)).get(0)))
                .isEqualTo(new InterestCodec.Delta(2, Map.of(), Set.of(BILLING)));
        assertThat(((InterestCodec.Snapshot) InterestCodec.decode(sender.snapshot(Map.of()).get(0))).seq())
                .as("a fresh snapshot continues the sequence").isEqualTo(3);
    }

    @Test
    void aReceiverFedEverythingTheSenderSendsKnowsTheSendersInterest() {
        InterestSender sender = new InterestSender(4 * 1024);
        InterestReceiver receiver = new InterestReceiver();
        Map<InterestEntry, Integer> interest = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            interest.put(InterestEntry.group("app", GroupKey.anonymous("group-" + i, "channel-" + i)), 1);
        }
        List<String> messages = sender.snapshot(Map.copyOf(interest));
        for (int round = 0; round < 5; round++) {
            for (int i = round * 50; i < round * 50 + 100; i++) {
                interest.remove(InterestEntry.group("app", GroupKey.anonymous("group-" + i, "channel-" + i)));
                interest.put(InterestEntry.channel("app", "round-" + round + "-" + i), 1);
            }
            interest.put(BILLING, round + 1);
            messages = concat(messages, sender.delta(Map.copyOf(interest)));
        }

        assertThat(messages).hasSizeGreaterThan(10);
        for (String message : messages) {
            assertThat(receiver.receive(message).resync()).isNull();
        }
        assertThat(receiver.size()).isEqualTo(interest.size());
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
