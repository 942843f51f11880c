package io.wsbridge.bridge.cluster;

import static io.wsbridge.bridge.cluster.PeerLinkTest.SECRET;
import static io.wsbridge.bridge.cluster.PeerLinkTest.address;
import static io.wsbridge.bridge.cluster.PeerLinkTest.bridge;
import static io.wsbridge.bridge.cluster.PeerLinkTest.numbers;
import static io.wsbridge.bridge.cluster.PeerLinkTest.range;
import static io.wsbridge.bridge.cluster.PeerLinkTest.sample;
import static io.wsbridge.bridge.cluster.PeerLinkTest.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.cli.ListHistory;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.ws.TestClient;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A peer that goes away loses no event of its groups' members: what the consuming bridge handed them and the peer did
 * not acknowledge is dealt again to the groups' other members, or moves the group's kept place back.
 */
class PeerAcksTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String NODE = "127.0.0.9:1";
    static final int MAX = PeerProtocol.INTEREST_CHUNK_BYTES;

    /** A hand-made peer linked to {@code bridge}, that acknowledges only when the test says so. */
    static TestClient ackingPeer(Bridge bridge) {
        return TestClient.connect(uri(bridge, PeerProtocol.PATH + "?" + PeerProtocol.NODE_PARAM + "=" + NODE),
                "Authorization", new PeerAuth(SECRET).handshake(NODE, address(bridge).toString()).authorization(),
                PeerProtocol.ACKS_HEADER, "1");
    }

    /**
     * Gives {@code consumer} the history, and group g its only member, on a hand-made acking peer, which has been handed
     * events 0 to 9 and acknowledged none.
     */
    static TestClient onlyMemberOnAPeerHandedTen(Bridge consumer, ListHistory history) {
        assertThat(consumer.history(history, 4)).isTrue();
        consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
        TestClient peer = ackingPeer(consumer);
        joinGroup(peer, "g");
        await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
        for (int i = 0; i < 10; i++) {
            consumer.publish(history.append(i));
        }
        return peer;
    }

    static void joinGroup(TestClient peer, String group) {
        peer.send(InterestCodec.snapshot(Map.of(InterestEntry.group("pub", GroupKey.anonymous(group, null)), 1), 0,
                MAX).get(0));
    }

    @Test
    void whatAPeerThatDroppedDidNotAcknowledgeGoesToTheGroupsOtherMembers() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET);
                TestClient here = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
            TestClient peer = ackingPeer(consumer);
            joinGroup(peer, "g");
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            for (int i = 0; i < 20; i++) {
                consumer.publish(history.append(i));
            }
            List<Integer> own = numbers(here.take(10, WAIT));
            List<Integer> peers = new ArrayList<>(range(0, 20));
            peers.removeAll(own);
            peer.send(InterestCodec.acked(4)); // the peer wrote the first four it got
            peer.close(); // and is gone

            List<Integer> again = numbers(here.take(6, WAIT));
            assertThat(again).as("the six the peer did not acknowledge, in the order it got them")
                    .isEqualTo(peers.subList(4, 10));
            assertThat(here.drain()).isEmpty();
            assertThat(sample(consumer, "wsbridge_peer_events_redealt_total", "peer=\"" + NODE + "\""))
                    .isEqualTo(6);
        }
    }

    @Test
    void aGroupWhosePeerMemberDroppedKeepsItsPlaceBeforeWhatThePeerDidNotAcknowledge() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET)) {
            TestClient peer = onlyMemberOnAPeerHandedTen(consumer, history);
            peer.send(InterestCodec.acked(3));
            peer.close();
            await().atMost(WAIT).until(() -> sample(consumer, "wsbridge_peer_events_redealt_total",
                    "peer=\"" + NODE + "\"") == 7);

            try (TestClient next = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
                assertThat(numbers(next.take(7, WAIT))).as("from the first event the peer did not acknowledge")
                        .isEqualTo(range(3, 10));
                await().atMost(WAIT).until(() -> consumer.router().groupMembers("pub",
                        GroupKey.anonymous("g", null)) == 1);
                consumer.publish(history.append(10));
                assertThat(numbers(next.take(1, WAIT))).as("then live").containsExactly(10);
            }
        }
    }

    @Test
    void aBridgeAcknowledgesWhatItsMembersWroteSoNothingIsDealtAgainWhenItLeaves() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET);
                TestClient here = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
            Bridge puller = bridge(SECRET);
            String name;
            try (TestClient there = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                puller.peers(Set.of(address(consumer)));
                name = puller.cluster().name();
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (int i = 0; i < 40; i++) {
                    consumer.publish(history.append(i));
                }
                assertThat(there.take(20, WAIT)).hasSize(20);
                assertThat(here.take(20, WAIT)).hasSize(20);
                await("the puller acknowledged all").atMost(WAIT)
                        .until(() -> consumer.cluster().unacknowledged() == 0);
            } finally {
                puller.close();
            }
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);
            consumer.publish(history.append(40));
            assertThat(numbers(here.take(1, WAIT))).containsExactly(40);
            assertThat(here.drain()).as("nothing dealt again").isEmpty();
            assertThat(sample(consumer, "wsbridge_peer_events_redealt_total", "peer=\"" + name + "\""))
                    .isZero();
        }
    }

    @Test
    void aGroupFindsThePlaceThatAConsumingPeerKeptAfterThatPeerIsGone() throws Exception {
        ListHistory history = new ListHistory();
        Bridge consumer = bridge(SECRET);
        try (Bridge puller = bridge(SECRET)) {
            assertThat(puller.history(history, 4)).isTrue();
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            try (TestClient only = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (int i = 0; i < 10; i++) {
                    consumer.publish(history.append(i));
                }
                assertThat(numbers(only.take(10, WAIT))).isEqualTo(range(0, 10));
            }
            await("the puller has a copy of the place the consumer keeps").atMost(WAIT)
                    .until(() -> puller.cluster().placeCopies() == 1);
            for (int i = 10; i < 60; i++) {
                consumer.publish(history.append(i)); // the group has no member: it misses them
            }
            consumer.close(); // the consuming bridge dies, and its partition moves on
            puller.peers(Set.of());

            try (TestClient next = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                assertThat(numbers(next.take(50, WAIT))).as("what the group missed, from the dead peer's place")
                        .isEqualTo(range(10, 60));
                assertThat(puller.cluster().placeCopies()).isZero();
            }
        } finally {
            consumer.close();
        }
    }

    @Test
    void aPlaceTakenWhereItWasKeptIsForgottenByThePeersCopies() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            assertThat(consumer.history(history, 4)).isTrue();
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            try (TestClient only = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
                await().atMost(WAIT).until(() -> consumer.router().groupMembers("pub",
                        GroupKey.anonymous("g", null)) == 1);
                consumer.publish(history.append(0));
                assertThat(only.take(1, WAIT)).hasSize(1);
            }
            await().atMost(WAIT).until(() -> puller.cluster().placeCopies() == 1);
            try (TestClient next = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
                await("the copy forgotten once the group formed again").atMost(WAIT)
                        .until(() -> puller.cluster().placeCopies() == 0);
            }
        }
    }

    @Test
    void theConsumerHoldsBackWhatAPeersGroupMembersDidNotAcknowledge() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET); TestClient peer = ackingPeer(consumer)) {
            joinGroup(peer, "g");
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            for (int i = 0; i < 10; i++) {
                consumer.publish(history.append(i)); // all to the peer's member, the group's only one
            }
            assertThat(consumer.groupHoldback()).isEqualTo(Map.of(ListHistory.PARTITION, 0L));
            peer.send(InterestCodec.acked(4));
            await().atMost(WAIT).until(() -> consumer.groupHoldback().equals(Map.of(ListHistory.PARTITION, 4L)));
            peer.send(InterestCodec.acked(10));
            await().atMost(WAIT).until(() -> consumer.groupHoldback().isEmpty());
        }
    }

    @Test
    void theConsumerHoldsBackWhatALocalGroupMemberHasNotWritten() throws Exception {
        try (Bridge consumer = bridge(SECRET);
                Socket stalled = stalledMember(consumer, "/pub?group_id=g")) {
            await().atMost(WAIT).until(() -> consumer.router().groupMembers("pub", GroupKey.anonymous("g", null))
                    == 1);
            int published = publishUntilHeldBack(consumer, consumer, new ListHistory());
            Map<PartitionId, Long> holdback = consumer.groupHoldback();
            assertThat(holdback).as("after %s events", published).containsOnlyKeys(ListHistory.PARTITION);
            assertThat(holdback.get(ListHistory.PARTITION)).isBetween(1L, published - 1L);
            stalled.close();
            await("a member gone holds nothing back").atMost(WAIT).until(() -> consumer.groupHoldback().isEmpty());
        }
    }

    /**
     * Publishes events of 16 KiB on {@code consumer} (and appends them to {@code history}) until {@code holder} holds
     * some back: a stalled member there has not written them.
     *
     * @return how many were published
     */
    static int publishUntilHeldBack(Bridge consumer, Bridge holder, ListHistory history) throws Exception {
        byte[] big = ("{\"pad\":\"" + "x".repeat(16 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        int published = 0;
        while (holder.groupHoldback().isEmpty() && published < 900) {
            for (int i = 0; i < 20; i++) {
                Event event = Event.fromUtf8("pub", null, big,
                        ListHistory.PARTITION.topic(), 0, published++);
                history.records.add(event);
                consumer.publish(event); // until the stalled member's connection takes no more
            }
            Thread.sleep(20);
        }
        return published;
    }

    /** The first event not written, once it stays the same for a while (the stalled connection takes no more). */
    static long stableHoldback(Bridge holder) throws Exception {
        long previous = -1;
        for (int i = 0; i < 50; i++) {
            long now = holder.groupHoldback().get(ListHistory.PARTITION);
            if (now == previous) {
                return now;
            }
            previous = now;
            Thread.sleep(300);
        }
        throw new AssertionError("the stalled member keeps writing: " + previous);
    }

    /** A WebSocket client that upgrades and then reads nothing, with a small receive buffer. */
    static Socket stalledMember(Bridge bridge, String path) throws Exception {
        return TestClient.stalled(bridge.port(), path);
    }

    @Test
    void aBridgeWhoseTaskStartsWaitsForEveryBridgeOfTheClusterToLinkToIt() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge next = bridge(SECRET); Bridge member = bridge(SECRET);
                TestClient client = TestClient.connect(uri(member, "/pub?group_id=g"))) {
            next.peers(Set.of(address(consumer)));
            member.peers(Set.of(address(consumer)));
            String memberName = member.cluster().name();
            await("the consumer names the bridges linked to it").atMost(WAIT)
                    .until(() -> next.awaitLinked(Duration.ZERO).equals(Set.of(memberName)));

            PeerAddress dead = address(consumer);
            consumer.close(); // it dies; its partitions move to the next bridge, which the member does not know yet
            await().atMost(WAIT).until(() -> !next.cluster().linked(dead));
            assertThat(next.awaitLinked(Duration.ofMillis(300))).as("the member has not linked yet")
                    .containsExactly(memberName);

            member.peers(Set.of(address(next)));
            assertThat(next.awaitLinked(WAIT)).as("linked, with its group member").isEmpty();
            assertThat(next.router().remoteSubscriptions("pub")).isEqualTo(1);
        }
    }

    @Test
    void whenAPeersLastMemberOfAGroupLeavesWhatItDidNotAcknowledgeGoesToTheOthersOrThePlace() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET)) {
            TestClient peer = onlyMemberOnAPeerHandedTen(consumer, history);
            peer.send(InterestCodec.acked(3));
            peer.send(InterestCodec.delta(Map.of(), Set.of(InterestEntry.group("pub", GroupKey.anonymous("g", null))),
                    1, MAX).get(0)); // its member left without writing the other seven
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);
            try (TestClient next = TestClient.connect(uri(consumer, "/pub?group_id=g"))) {
                assertThat(numbers(next.take(7, WAIT))).as("from the first event not acknowledged")
                        .isEqualTo(range(3, 10));
            }
            peer.close();
        }
    }

    @Test
    void theLastMemberOnABridgeLeavingWithEventsNotWrittenLeavesTheGroupsPlaceBeforeThem() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            assertThat(puller.history(history, 4)).isTrue();
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            Socket stalled = stalledMember(puller, "/pub?group_id=g");
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            int published = publishUntilHeldBack(consumer, puller, history);
            long firstNotWritten = stableHoldback(puller);
            stalled.setSoLinger(true, 0);
            stalled.close(); // the member is gone, with what it had not written
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);

            try (TestClient next = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                List<Long> offsets = new ArrayList<>();
                while (offsets.isEmpty() || offsets.get(offsets.size() - 1) < published - 1) {
                    offsets.add(cursorOffset(next.take(1, WAIT).get(0)));
                }
                assertThat(offsets.get(0)).as("the next member starts at or before the first event the last one had"
                        + " not written (%s), not from the beginning", firstNotWritten)
                        .isBetween(1L, firstNotWritten);
                assertThat(offsets).as("then every event after it, in order")
                        .isEqualTo(LongStream.range(offsets.get(0), published).boxed().toList());
            }
        }
    }

    /** The offset of the event a frame carries, from its cursor (the position just after it). */
    static long cursorOffset(String frame) throws Exception {
        String cursor = PeerLinkTest.JSON.readTree(frame).path("wsbridgecursor").asText();
        return Cursor.decode(cursor, "pub").positions().get(ListHistory.PARTITION) - 1;
    }

    @Test
    void aMemberThatLeavesAPullingBridgeHandsWhatItHadNotWrittenToTheOthersThere() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET);
                TestClient reading = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            Socket stalled = stalledMember(puller, "/pub?group_id=g");
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 2);
            String pad = "x".repeat(16 * 1024);
            int events = 600;
            for (int n = 0; n < events; n++) {
                String json = "{\"n\":" + n + ",\"pad\":\"" + pad + "\"}";
                consumer.publish(Event.fromUtf8("pub", null, json.getBytes(StandardCharsets.UTF_8),
                        ListHistory.PARTITION.topic(), 0, n));
            }
            List<Integer> own = new ArrayList<>(numbers(reading.take(events / 2, WAIT)));
            List<Integer> theirs = range(0, events).stream().filter(n -> !own.contains(n)).toList();

            stalled.setSoLinger(true, 0);
            stalled.close(); // gone from the pulling bridge, with most of its share not written
            List<Integer> again = new ArrayList<>();
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(2).toNanos()) {
                List<Integer> frames = numbers(reading.drain());
                again.addAll(frames);
                if (!frames.isEmpty()) {
                    quietSince = System.nanoTime();
                }
                Thread.sleep(50);
            }
            assertThat(again).as("its share from the first event it had not written, in order, from the member that"
                    + " stayed on the same bridge").isNotEmpty()
                    .isEqualTo(theirs.subList(theirs.size() - again.size(), theirs.size()));
            await("acknowledged once written by the member that took them over").atMost(WAIT)
                    .until(() -> consumer.cluster().unacknowledged() == 0);
        }
    }
}
