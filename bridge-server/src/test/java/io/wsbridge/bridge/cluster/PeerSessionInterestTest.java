package io.wsbridge.bridge.cluster;

import static io.wsbridge.bridge.cluster.PeerLinkTest.bridge;
import static io.wsbridge.bridge.cluster.PeerLinkTest.sample;
import static io.wsbridge.bridge.cluster.PeerLinkTest.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.ws.TestClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The accepting end of a real link, driven by a hand-made peer: a gap in the sequence or a message that cannot be
 * decoded gets a resync request back, the link stays open and the interest known so far stays in force until the
 * fresh snapshot replaces it.
 */
class PeerSessionInterestTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String NODE = "127.0.0.9:1";
    static final int MAX = PeerProtocol.INTEREST_CHUNK_BYTES;

    /** A link to {@code bridge} as the peer {@code node}, with the cluster's credentials. */
    static TestClient link(Bridge bridge, String node) {
        return TestClient.connect(uri(bridge, PeerProtocol.PATH + "?" + PeerProtocol.NODE_PARAM + "=" + node),
                "Authorization", new PeerAuth(PeerLinkTest.SECRET).handshake(node, PeerLinkTest.address(bridge).toString())
                        .authorization());
    }

    @Test
    void aGapOrABadMessageGetsAResyncRequestAndTheLinkStaysOpen() throws Exception {
        try (Bridge consumer = bridge(PeerLinkTest.SECRET); TestClient peer = link(consumer, NODE)) {
            peer.send(InterestCodec.snapshot(Map.of(InterestEntry.all("pub"), 1), 0, MAX).get(0));
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);

            peer.send(InterestCodec.delta(Map.of(InterestEntry.channel("pub", "door"), 1), Set.of(), 5, MAX).get(0));

            assertThat(peer.take(1, WAIT)).containsExactly(
                    "{\"v\":2,\"type\":\"resync\",\"reason\":\"sequence 1 expected, 5 received\"}");
            peer.send(InterestCodec.delta(Map.of(), Set.of(InterestEntry.all("pub")), 6, MAX).get(0));
            assertThat(consumer.router().remoteSubscriptions("pub")).as("what was known stays until the snapshot")
                    .isEqualTo(1);

            peer.send(InterestCodec.snapshot(Map.of(InterestEntry.group("pub", GroupKey.anonymous("g", null)), 2), 7,
                    MAX).get(0));
            await("two members' proxies, the plain one gone").atMost(WAIT)
                    .until(() -> consumer.router().remoteSubscriptions("pub") == 2);
            peer.send("not json");

            assertThat(peer.take(1, WAIT)).containsExactly(
                    "{\"v\":2,\"type\":\"resync\",\"reason\":\"bad interest message: interest message is not JSON\"}");
            assertThat(peer.isOpen()).isTrue();
            assertThat(sample(consumer, "wsbridge_peer_interest_resyncs_total", "peer=\"" + NODE + "\""))
                    .isEqualTo(2);
            assertThat(sample(consumer, "wsbridge_peer_interest_messages_total",
                    "peer=\"" + NODE + "\",type=\"delta\"")).isEqualTo(2);
        }
    }
}
