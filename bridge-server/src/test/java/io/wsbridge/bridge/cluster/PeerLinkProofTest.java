package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.ws.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The peer handshake on real bridges: credentials name the bridge they are for, and a link is used only once the
 * accepting bridge has proved that it holds the cluster secret.
 */
class PeerLinkProofTest {

    static final String SECRET = PeerLinkTest.SECRET;
    static final Duration WAIT = PeerLinkTest.WAIT;

    /** Sends a peer-link upgrade from node {@code from} with {@code authorization}; the response head. */
    static Map<String, String> upgrade(int port, String from, String authorization) throws IOException {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET " + PeerProtocol.PATH + "?" + PeerProtocol.NODE_PARAM + "=" + from + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\nAuthorization: " + authorization + "\r\n\r\n";
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return Impostor.readHead(socket.getInputStream());
        }
    }

    @Test
    void credentialsForOneBridgeAreRefusedByAnotherAndNotUsedUpThere() throws Exception {
        try (Bridge a = PeerLinkTest.bridge(SECRET); Bridge b = PeerLinkTest.bridge(SECRET)) {
            PeerAuth.Handshake forA = new PeerAuth(SECRET).handshake("x:1", PeerLinkTest.address(a).toString());

            assertThat(upgrade(b.port(), "x:1", forA.authorization()).get("")).isEqualTo("HTTP/1.1 403 Forbidden");

            Map<String, String> accepted = upgrade(a.port(), "x:1", forA.authorization());
            assertThat(accepted.get("")).isEqualTo("HTTP/1.1 101 Switching Protocols");
            assertThat(forA.checkProof(accepted.get("wsbridge-peer-proof"))).as("a proves itself").isNull();
            assertThat(upgrade(a.port(), "x:1", forA.authorization()).get(""))
                    .as("the same credentials once more").isEqualTo("HTTP/1.1 401 Unauthorized");
        }
    }

    @Test
    void aBridgeIsReachedAtItsWorkerHostWhenItNamesItselfOtherwise() throws Exception {
        BridgeSettings settings = BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .cluster(new ClusterSettings(SECRET, "bridge-1.internal", "127.0.0.1", Duration.ofSeconds(30),
                        Duration.ofMillis(200))).build();
        try (Bridge consumer = Bridge.start(settings); Bridge puller = PeerLinkTest.bridge(SECRET)) {
            assertThat(consumer.cluster().name()).isEqualTo("bridge-1.internal:" + consumer.port());
            puller.peers(Set.of(PeerLinkTest.address(consumer)));

            await().atMost(WAIT).until(() -> puller.cluster().linked(PeerLinkTest.address(consumer)));
            PeerAuth.Handshake byName = new PeerAuth(SECRET).handshake("x:1", consumer.cluster().name());
            assertThat(upgrade(consumer.port(), "x:1", byName.authorization()).get(""))
                    .isEqualTo("HTTP/1.1 101 Switching Protocols");
            PeerAuth.Handshake elsewhere = new PeerAuth(SECRET).handshake("x:1", "127.0.0.1:" + (consumer.port() + 1));
            assertThat(upgrade(consumer.port(), "x:1", elsewhere.authorization()).get(""))
                    .isEqualTo("HTTP/1.1 403 Forbidden");
        }
    }

    @Test
    void aPeerThatDoesNotProveItselfIsClosedAndNothingItSendsIsDelivered() throws Exception {
        Event forged = new Event("pub", null, "{\"forged\":true}");
        ForwardCodec.Forwarded decoded = new ForwardCodec.Decoder(1024)
                .feed(ByteBuffer.wrap(Impostor.forwardedMessage(forged)), true);
        assertThat(decoded.event().text()).as("the impostor sends a well-formed forwarded event").isEqualTo(forged.text());
        String someoneElsesProof;
        try (Bridge real = PeerLinkTest.bridge(SECRET)) {
            PeerAuth.Handshake captured = new PeerAuth(SECRET).handshake("x:1", PeerLinkTest.address(real).toString());
            someoneElsesProof = upgrade(real.port(), "x:1", captured.authorization()).get("wsbridge-peer-proof");
        }
        String[] proofs = {null, "bm90IGEgcHJvb2Y", someoneElsesProof};
        AtomicInteger attempts = new AtomicInteger();
        try (Impostor impostor = new Impostor(request -> proofs[attempts.getAndIncrement() % proofs.length], forged);
                Bridge puller = PeerLinkTest.bridge(SECRET);
                TestClient subscriber = TestClient.connect(PeerLinkTest.uri(puller, "/pub"))) {
            puller.peers(Set.of(impostor.address()));

            List<String> received = new ArrayList<>();
            await().atMost(WAIT).until(() -> {
                received.addAll(subscriber.drain());
                return !received.isEmpty() || impostor.closes.size() >= 6;
            });
            assertThat(received).as("nothing the impostor sent reached a subscriber").isEmpty();
            assertThat(impostor.closes).as("the linking bridge closes every attempt: policy violation")
                    .allMatch(code -> code == 1008);
            assertThat(impostor.requests.get(0).get("authorization")).startsWith("WsBridgePeer v2.")
                    .doesNotContain(SECRET);
            assertThat(puller.router().published()).isZero();
            assertThat(puller.cluster().linked(impostor.address())).isFalse();
            assertThat(puller.cluster().notReadyReason()).startsWith("no link to peer " + impostor.address()
                    + " (the peer did not prove that it holds cluster.secret: its ");
            assertThat(PeerLinkTest.sample(puller, "wsbridge_peer_events_received_total",
                    "peer=\"" + impostor.address() + "\"")).isIn(-1.0, 0.0);
        }
    }

    @Test
    void theSameImpostorWithTheSecretWouldBeBelieved() throws Exception {
        Event event = new Event("pub", null, "{\"proved\":true}");
        PeerAuth auth = new PeerAuth(SECRET);
        try (Impostor holder = new Impostor(request -> auth.verify(request.get("authorization"), node(request),
                target -> true).proof(), event);
                Bridge puller = PeerLinkTest.bridge(SECRET);
                TestClient subscriber = TestClient.connect(PeerLinkTest.uri(puller, "/pub"))) {
            puller.peers(Set.of(holder.address()));

            await().atMost(WAIT).until(() -> puller.cluster().linked(holder.address()));
            assertThat(subscriber.take(1, WAIT)).as("the control: a proved link delivers what the peer forwards")
                    .containsExactly(event.text());
        }
    }

    /** The linking node's name from the request line of a peer-link upgrade. */
    static String node(Map<String, String> request) {
        String target = request.get("").split(" ")[1];
        String query = target.substring(target.indexOf('?') + 1);
        return URLDecoder.decode(query.substring((PeerProtocol.NODE_PARAM + "=").length()), StandardCharsets.UTF_8);
    }
}
