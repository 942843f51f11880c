package io.wsbridge.bridge.cluster;

import static io.wsbridge.bridge.cluster.PeerLinkTest.JSON;
import static io.wsbridge.bridge.cluster.PeerLinkTest.SECRET;
import static io.wsbridge.bridge.cluster.PeerLinkTest.address;
import static io.wsbridge.bridge.cluster.PeerLinkTest.bridge;
import static io.wsbridge.bridge.cluster.PeerLinkTest.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.ws.TestClient;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A consuming bridge tells the bridges linked to it its live position in the partitions it publishes, in order with
 * the events it forwards, so that the cursors those bridges stamp name every partition of the application (issue 12:
 * a cursor is valid on any worker), not only the partitions whose events their subscribers took.
 */
class PeerPositionsTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String TOPIC = "events-pub";
    static final String NODE = "127.0.0.9:2";

    static Event event(String channel, int partition, long offset) {
        return Event.fromUtf8("pub", channel, ("{\"o\":" + offset + "}").getBytes(StandardCharsets.UTF_8), TOPIC,
                partition, offset);
    }

    static Map<PartitionId, Long> cursorOf(String frame) throws Exception {
        return Cursor.decode(JSON.readTree(frame).path("wsbridgecursor").asText(), "pub").positions();
    }

    @Test
    void cursorsOnAPullingBridgeNameEveryPartitionTheConsumerPublishes() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            for (int p = 0; p < 3; p++) {
                consumer.started("pub", TOPIC, p, 100L * p);
            }
            for (long o = 100; o < 105; o++) {
                consumer.publish(event("window", 1, o)); // before anyone on the puller subscribed
            }
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            try (TestClient door = TestClient.connect(uri(puller, "/pub/door"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (long o = 105; o < 110; o++) {
                    consumer.publish(event("window", 1, o)); // the puller's subscriber does not want these
                }
                for (long o = 200; o < 205; o++) {
                    consumer.publish(event("window", 2, o));
                }
                consumer.publish(event("door", 0, 0));

                Map<PartitionId, Long> first = cursorOf(door.take(1, WAIT).get(0));
                assertThat(first).as("every partition the consumer publishes, from where the subscriber came in")
                        .containsKeys(new PartitionId(TOPIC, 0), new PartitionId(TOPIC, 1), new PartitionId(TOPIC, 2))
                        .containsEntry(new PartitionId(TOPIC, 0), 1L);
                assertThat(first.get(new PartitionId(TOPIC, 1))).isBetween(105L, 110L);
                assertThat(first.get(new PartitionId(TOPIC, 2))).isBetween(200L, 205L);

                // the positions that moved since go out every second: later cursors catch up with them
                long offset = 1;
                Map<PartitionId, Long> later = first;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!(later.get(new PartitionId(TOPIC, 1)) == 110L && later.get(new PartitionId(TOPIC, 2)) == 205L)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    consumer.publish(event("door", 0, offset++));
                    later = cursorOf(door.take(1, WAIT).get(0));
                }
                assertThat(later).containsEntry(new PartitionId(TOPIC, 0), offset)
                        .containsEntry(new PartitionId(TOPIC, 1), 110L).containsEntry(new PartitionId(TOPIC, 2), 205L);
            }
        }
    }

    @Test
    void positionsNeverOvertakeTheEventsForwardedBeforeThem() throws Exception {
        try (Bridge consumer = bridge(SECRET); RawPeer peer = RawPeer.link(consumer, true)) {
            consumer.started("pub", TOPIC, 0, 0);
            consumer.started("pub", TOPIC, 1, 0);
            peer.send(InterestCodec.snapshot(Map.of(InterestEntry.channel("pub", "door"), 1), 0,
                    PeerProtocol.INTEREST_CHUNK_BYTES).get(0));
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            AtomicBoolean done = new AtomicBoolean();
            Thread publisher = new Thread(() -> {
                for (long o = 0; o < 10_000; o++) {
                    consumer.publish(event("door", 0, o));
                    consumer.publish(event("window", 1, o));
                    if (o % 25 == 0) {
                        pause(); // paced below what the link holds
                    }
                }
                done.set(true);
            });
            publisher.start();
            // each change of the peer's interest in the application makes the consumer send its positions
            for (int seq = 1; !done.get() && seq < 2_000; seq++) {
                InterestEntry extra = InterestEntry.channel("pub", "x");
                peer.send(InterestCodec.delta(seq % 2 == 1 ? Map.of(extra, 1) : Map.of(),
                        seq % 2 == 1 ? Set.of() : Set.of(extra), seq, PeerProtocol.INTEREST_CHUNK_BYTES).get(0));
                Thread.sleep(2);
            }
            publisher.join();
            await("the last door event").atMost(WAIT).until(() -> peer.lastDoorOffset() == 9_999);

            long lastDoor = -1;
            int positions = 0;
            for (Object message : peer.messages) {
                if (message instanceof AssertionError malformed) {
                    throw malformed;
                }
                if (message instanceof ForwardCodec.Forwarded forwarded) {
                    assertThat(forwarded.event().offset()).as("a door event in order").isGreaterThan(lastDoor);
                    lastDoor = forwarded.event().offset();
                } else if (InterestCodec.decode((String) message) instanceof InterestCodec.Positions sent) {
                    positions++;
                    long p0 = sent.positions().get(new PartitionId(TOPIC, 0));
                    assertThat(p0).as("positions come after every door event before them").isEqualTo(lastDoor + 1);
                    assertThat(sent.positions()).containsKey(new PartitionId(TOPIC, 1));
                }
            }
            assertThat(positions).as("positions sent while events flowed").isGreaterThan(10);
        }
    }

    static void pause() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void textMessagesNeverLandBetweenTheFragmentsOfAForwardedEvent() throws Exception {
        try (Bridge consumer = bridge(SECRET); RawPeer peer = RawPeer.link(consumer, true)) {
            consumer.started("pub", TOPIC, 0, 0);
            peer.send(InterestCodec.snapshot(Map.of(InterestEntry.channel("pub", "door"), 1), 0,
                    PeerProtocol.INTEREST_CHUNK_BYTES).get(0));
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            Thread publisher = new Thread(() -> {
                for (long o = 0; o < 10_000; o++) {
                    consumer.publish(event("door", 0, o));
                    if (o % 25 == 0) {
                        pause();
                    }
                }
            });
            publisher.start();
            int syncs = 0;
            while (publisher.isAlive() && syncs < 5_000) {
                peer.send(InterestCodec.sync(syncs++)); // answered from the link's reading thread, while events go
            }
            publisher.join();
            int sent = syncs;
            await("every event and every answer").atMost(WAIT).until(() -> peer.lastDoorOffset() == 9_999
                    && peer.messages.stream().filter(message -> message instanceof String text
                            && InterestCodec.decode(text) instanceof InterestCodec.Synced).count() == sent);
            assertThat(peer.errors).as("the link's message sequence").isEmpty();
            assertThat(sent).isGreaterThan(100);
        }
    }

    @Test
    void aPeerThatDoesNotReadPositionsGetsNone() throws Exception {
        try (Bridge consumer = bridge(SECRET); RawPeer peer = RawPeer.link(consumer, false)) {
            consumer.started("pub", TOPIC, 0, 0);
            peer.send(InterestCodec.snapshot(Map.of(InterestEntry.channel("pub", "door"), 1), 0,
                    PeerProtocol.INTEREST_CHUNK_BYTES).get(0));
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
            for (long o = 0; o < 20; o++) {
                consumer.publish(event("window", 0, o));
                Thread.sleep(100); // past the interval at which moved positions go out
            }
            consumer.publish(event("door", 0, 20));
            await().atMost(WAIT).until(() -> peer.lastDoorOffset() == 20);
            assertThat(peer.messages).as("only the forwarded event").hasSize(1);
        }
    }

    /** A hand-made linking peer that records the forwarded events and the text messages, in the order they came. */
    static final class RawPeer implements WebSocket.Listener, AutoCloseable {

        final List<Object> messages = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private final ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(PeerProtocol.MAX_EVENT_BYTES);
        private final StringBuilder text = new StringBuilder();
        private WebSocket socket;

        static RawPeer link(Bridge bridge, boolean readsPositions) throws Exception {
            RawPeer peer = new RawPeer();
            WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Authorization", new PeerAuth(SECRET).handshake(NODE, address(bridge).toString())
                            .authorization());
            if (readsPositions) {
                builder.header(PeerProtocol.POSITIONS_HEADER, "1");
            }
            peer.socket = builder.buildAsync(uri(bridge, PeerProtocol.PATH + "?" + PeerProtocol.NODE_PARAM + "="
                    + NODE), peer).get(10, TimeUnit.SECONDS);
            return peer;
        }

        void send(String message) throws Exception {
            socket.sendText(message, true).get(10, TimeUnit.SECONDS);
        }

        long lastDoorOffset() {
            long last = -1;
            for (Object message : messages) {
                if (message instanceof ForwardCodec.Forwarded forwarded) {
                    last = forwarded.event().offset();
                }
            }
            return last;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            try {
                ForwardCodec.Forwarded forwarded = decoder.feed(data, last);
                if (forwarded != null) {
                    messages.add(forwarded);
                }
            } catch (ForwardCodec.MalformedException e) {
                messages.add(new AssertionError("malformed: " + e.getMessage()));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            errors.add(error);
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
