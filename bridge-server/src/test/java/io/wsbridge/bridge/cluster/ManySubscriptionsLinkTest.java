package io.wsbridge.bridge.cluster;

import static io.wsbridge.bridge.cluster.PeerLinkTest.address;
import static io.wsbridge.bridge.cluster.PeerLinkTest.bridge;
import static io.wsbridge.bridge.cluster.PeerLinkTest.sample;
import static io.wsbridge.bridge.cluster.PeerLinkTest.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.ws.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * Two real bridges linked as peers, the pulling one with 20,000 group subscriptions of the longest names allowed
 * (backslashes, which JSON escapes: 510 characters a name). Announced as one message, as before version 2 of the
 * interest messages, that interest took 21 million characters, above the 16 MiB a link accepted, and the link closed
 * with 1009 again and again; now it goes out in bounded parts and the link stays up. The subscriptions are put in the
 * router directly (the bridge's own code from there on): 20,000 sockets are the heavy integration test's.
 */
class ManySubscriptionsLinkTest {

    static final int SUBSCRIPTIONS = 20_000;
    static final Duration WAIT = Duration.ofSeconds(60);

    record Member(String application, GroupKey group, ConcurrentLinkedQueue<String> received)
            implements Subscription {

        @Override
        public String channel() {
            return group.channel();
        }

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    @Test
    void twentyThousandLongNamedGroupsDoNotBreakTheLinkAndTheirEventsArrive() throws Exception {
        try (Bridge consumer = bridge(PeerLinkTest.SECRET); Bridge puller = bridge(PeerLinkTest.SECRET)) {
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                Member member = new Member("pub", GroupKey.anonymous(InterestCodecTest.longName('g', i),
                        InterestCodecTest.longName('c', i)), new ConcurrentLinkedQueue<>());
                members.add(member);
                puller.router().add(member);
            }
            puller.peers(Set.of(address(consumer)));
            String channel = "door";
            try (TestClient client = TestClient.connect(uri(puller,
                    "/pub/" + channel))) {
                await("proxies of every remote subscription").atMost(WAIT)
                        .until(() -> consumer.router().remoteSubscriptions("pub") == SUBSCRIPTIONS + 1);
                String peer = "peer=\"" + puller.cluster().name() + "\"";
                String fromConsumer = "peer=\"" + consumer.cluster().name() + "\"";

                consumer.publish(new Event("pub", channel, "to the client"));
                consumer.publish(new Event("pub", members.get(12_345).channel(), "to member 12345"));
                consumer.publish(new Event("pub", members.get(19_999).channel(), "to member 19999"));

                assertThat(client.take(1, Duration.ofSeconds(10))).containsExactly("to the client");
                await().atMost(Duration.ofSeconds(10)).until(() -> members.get(19_999).received().size() == 1);
                assertThat(members.get(12_345).received()).containsExactly("to member 12345");
                assertThat(members.stream().mapToInt(m -> m.received().size()).sum()).isEqualTo(2);
                assertThat(puller.cluster().linked(address(consumer))).isTrue();
                double parts = sample(consumer, "wsbridge_peer_interest_messages_total",
                        peer + ",type=\"snapshot\"");
                double bytes = sample(consumer, "wsbridge_peer_interest_bytes_total", peer);
                assertThat(bytes).as("the interest, all parts, against the 16 MiB a link once accepted in one message")
                        .isGreaterThan(16.0 * 1024 * 1024);
                assertThat(parts).as("snapshot parts, each at most 64 KiB").isGreaterThanOrEqualTo(
                        bytes / PeerProtocol.INTEREST_CHUNK_BYTES);
                assertThat(sample(consumer, "wsbridge_peer_interest_resyncs_total", peer)).isZero();
                assertThat(sample(puller, "wsbridge_peer_interest_messages_total",
                        fromConsumer.replace("peer=", "direction=\"sent\",peer=") + ",type=\"snapshot\""))
                        .isEqualTo(parts);

                for (int i = 0; i < 100; i++) {
                    puller.router().remove(members.get(i));
                }
                await("a delta removes the proxies of 100 members").atMost(WAIT)
                        .until(() -> consumer.router().remoteSubscriptions("pub") == SUBSCRIPTIONS + 1 - 100);
                assertThat(sample(consumer, "wsbridge_peer_interest_messages_total", peer + ",type=\"delta\""))
                        .isPositive();
                assertThat(sample(consumer, "wsbridge_peer_interest_messages_total",
                        peer + ",type=\"snapshot\"")).as("no snapshot again").isEqualTo(parts);
            }
        }
    }

    @Test
    void aGroupNeedsAPrincipalNameThatPeersAccept() throws Exception {
        try (Bridge bridge = PeerLinkTest.bridgeWithUsers()) {
            String longest = "a".repeat(InterestCodec.MAX_NAME_LENGTH);

            assertThat(TestClient.refusal(uri(bridge, "/pub?group_id=g&token=user:" + longest + "b"))).isEqualTo(400);
            try (TestClient plain = TestClient.connect(uri(bridge, "/pub?token=user:" + longest + "b"));
                    TestClient member = TestClient.connect(uri(bridge, "/pub?group_id=g&token=user:" + longest))) {
                assertThat(plain.isOpen()).isTrue();
                assertThat(member.isOpen()).isTrue();
            }
        }
    }
}
