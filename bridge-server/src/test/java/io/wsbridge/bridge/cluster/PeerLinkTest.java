package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.cli.ListHistory;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.ws.TestClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real bridges in one JVM, linked as peers: the consumer's events reach the puller's subscribers, groups spread
 * over both, and the link is authenticated, measured and reported in readiness.
 */
class PeerLinkTest {

    static final String SECRET = "test-cluster-secret-0123456789";
    static final Duration WAIT = Duration.ofSeconds(10);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static Bridge bridge(String secret) {
        return Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .ops(new BridgeSettings.Ops("127.0.0.1", 0))
                .cluster(secret == null ? null : ClusterSettings.of(secret, "127.0.0.1")).build());
    }

    /** Tokens are {@code user:<name>}; anyone may read "pub", anonymous clients too. */
    record Users() implements IdentityProvider {
        @Override
        public AccessPolicy accessPolicy(Set<String> staticPublicApplications) {
            return new AccessPolicy() {
                @Override
                public AccessDecision check(Credentials credentials, String application) {
                    if (!application.equals("pub")) {
                        return AccessDecision.notFound();
                    }
                    if (credentials instanceof Credentials.Bearer bearer && bearer.token().startsWith("user:")) {
                        String name = bearer.token().substring("user:".length());
                        return AccessDecision.allow(new Identity("id-" + name, name, null));
                    }
                    return credentials instanceof Credentials.Anonymous ? AccessDecision.ANONYMOUS
                            : AccessDecision.unauthorized("bad token");
                }

                @Override
                public String describe() {
                    return "test users";
                }
            };
        }
    }

    static Bridge bridgeWithUsers() {
        return Bridge.start(BridgeSettings.builder("127.0.0.1", 0).identity(new Users())
                .cluster(ClusterSettings.of(SECRET, "127.0.0.1")).build());
    }

    static PeerAddress address(Bridge bridge) {
        return new PeerAddress("127.0.0.1", bridge.port());
    }

    static URI uri(Bridge bridge, String path) {
        return URI.create("ws://127.0.0.1:" + bridge.port() + path);
    }

    static double sample(Bridge bridge, String name, String labels) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.opsPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(body);
        while (matcher.find()) {
            if (matcher.group(1) != null && matcher.group(1).contains(labels)) {
                return Double.parseDouble(matcher.group(2));
            }
        }
        return -1;
    }

    @Test
    void subscribersOfThePullingBridgeGetTheConsumersEventsInOrder() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            puller.peers(Set.of(address(consumer), address(puller)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            assertThat(puller.cluster().peers()).as("a bridge never links to itself").containsExactly(address(consumer));

            try (TestClient remote = TestClient.connect(uri(puller, "/pub"));
                    TestClient door = TestClient.connect(uri(puller, "/pub/door"));
                    TestClient local = TestClient.connect(uri(consumer, "/pub"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (int i = 0; i < 50; i++) {
                    consumer.publish(new Event("pub", i % 10 == 0 ? "door" : "other", "{\"n\":" + i + "}"));
                }

                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    expected.add("{\"n\":" + i + "}");
                }
                assertThat(remote.take(50, WAIT)).isEqualTo(expected);
                assertThat(local.take(50, WAIT)).isEqualTo(expected);
                assertThat(door.take(5, WAIT)).containsExactly("{\"n\":0}", "{\"n\":10}", "{\"n\":20}", "{\"n\":30}",
                        "{\"n\":40}");
                String peer = "peer=\"" + consumer.cluster().name() + "\"";
                assertThat(sample(puller, "wsbridge_peer_link", peer)).isEqualTo(1);
                assertThat(sample(puller, "wsbridge_peer_events_received_total", peer)).isEqualTo(50);
                assertThat(sample(consumer, "wsbridge_peer_events_forwarded_total",
                        "peer=\"" + puller.cluster().name() + "\"")).isEqualTo(50);
                assertThat(sample(consumer, "wsbridge_peer_subscriptions", "application=\"pub\"")).isEqualTo(1);
                assertThat(sample(consumer, "wsbridge_subscribers", "application=\"pub\"")).isEqualTo(1);
            }
        }
    }

    @Test
    void interestAppliedCompletesOnceTheConsumingPeerHasTheNewSubscribersInterest() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            for (int round = 0; round < 20; round++) {
                try (TestClient door = TestClient.connect(uri(puller, "/pub/door-" + round))) {
                    // the server adds the subscriber to its router just after its answer to the upgrade
                    await().atMost(WAIT).until(() -> puller.router().subscribers("pub") == 1);
                    puller.cluster().interestApplied(WAIT).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    // no waiting here: the answer came after the consumer had applied the interest
                    assertThat(consumer.router().remoteSubscriptions("pub")).as("round %s", round).isEqualTo(1);
                    consumer.publish(new Event("pub", "door-" + round, "{\"n\":" + round + "}"));
                    assertThat(door.take(1, WAIT)).containsExactly("{\"n\":" + round + "}");
                }
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0
                        && puller.router().subscribers("pub") == 0);
            }
        }
    }

    @Test
    void aGroupWhoseLastMemberLeftGetsWhatItMissedWhenItFormsAgainOnABridgeWithoutTheTask() throws Exception {
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            assertThat(puller.history(history, 4)).isTrue();
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0); // the consumer's task reads the partition
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            try (TestClient first = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (int i = 0; i < 10; i++) {
                    consumer.publish(history.append(i));
                }
                assertThat(numbers(first.take(10, WAIT))).isEqualTo(range(0, 10));
            }
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);
            for (int i = 10; i < 110; i++) {
                consumer.publish(history.append(i)); // the group has no member: it misses them
            }

            try (TestClient next = TestClient.connect(uri(puller, "/pub?group_id=g"))) {
                assertThat(numbers(next.take(100, WAIT))).as("what the group missed, in order")
                        .isEqualTo(range(10, 110));
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                for (int i = 110; i < 120; i++) {
                    consumer.publish(history.append(i));
                }
                assertThat(numbers(next.take(10, WAIT))).as("then live").isEqualTo(range(110, 120));
            }
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);
            try (TestClient other = TestClient.connect(uri(puller, "/pub?group_id=other"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);
                consumer.publish(history.append(120));
                assertThat(numbers(other.take(1, WAIT))).as("another group has no place: it starts live")
                        .containsExactly(120);
            }
        }
    }

    @Test
    void manyGroupsWithLongNamesFormingAgainAtOnceEachGetTheirPlace() throws Exception {
        int groups = 200;
        ListHistory history = new ListHistory();
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            assertThat(puller.history(history, 4)).isTrue();
            consumer.started("pub", ListHistory.PARTITION.topic(), 0, 0);
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            List<TestClient> members = connectMembers(puller, groups);
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == groups);
            for (int i = 0; i < groups; i++) {
                consumer.publish(history.append("pub", "ch-" + i, i));
            }
            for (int i = 0; i < groups; i++) {
                assertThat(numbers(members.get(i).take(1, WAIT))).containsExactly(i);
            }
            // a client may read a frame before the bridge's write of it completed: a member that closed then would
            // have it dealt again (at least once), which is not what this test is about
            await("every event acknowledged as written").atMost(WAIT)
                    .until(() -> consumer.cluster().unacknowledged() == 0);
            members.forEach(TestClient::close);
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 0);
            for (int i = 0; i < groups; i++) {
                consumer.publish(history.append("pub", "ch-" + i, 1000 + i)); // each group misses one
            }

            // about 200 places of some 1.1 kB each (names of characters JSON escapes): several places messages
            List<TestClient> again = connectMembers(puller, groups);
            for (int i = 0; i < groups; i++) {
                assertThat(numbers(again.get(i).take(1, WAIT))).as("group %s", i).containsExactly(1000 + i);
            }
            assertThat(puller.cluster().linked(address(consumer))).as("the link stayed up").isTrue();
            again.forEach(TestClient::close);
        }
    }

    private static List<TestClient> connectMembers(Bridge bridge, int groups) {
        List<TestClient> members = new ArrayList<>();
        for (int i = 0; i < groups; i++) {
            String group = "\"\\".repeat(120) + "-" + i; // 240 characters that JSON escapes, and the number
            members.add(TestClient.connect(uri(bridge, "/pub/ch-" + i + "?group_id="
                    + java.net.URLEncoder.encode(group, java.nio.charset.StandardCharsets.UTF_8))));
        }
        return members;
    }

    static List<Integer> numbers(List<String> frames) {
        return frames.stream().map(frame -> {
            try {
                return JSON.readTree(frame).path("n").asInt();
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + frame, e);
            }
        }).toList();
    }

    static List<Integer> range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).boxed().toList();
    }

    @Test
    void interestAppliedFailsWhenAConsumingPeerHasNoLink() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (Bridge puller = bridge(SECRET)) {
            puller.peers(Set.of(new PeerAddress("127.0.0.1", closedPort)));
            await().atMost(WAIT).until(() -> puller.cluster().peers().size() == 1);
            assertThatThrownBy(() -> puller.cluster().interestApplied(WAIT).get(WAIT.toMillis(),
                    TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("no link to peer 127.0.0.1:" + closedPort);
        }
    }

    @Test
    void aGroupIsSharedByItsMembersOnBothBridgesEachEventOnce() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge puller = bridge(SECRET)) {
            puller.peers(Set.of(address(consumer)));
            try (TestClient here = TestClient.connect(uri(consumer, "/pub?group_id=g"));
                    TestClient there1 = TestClient.connect(uri(puller, "/pub?group_id=g"));
                    TestClient there2 = TestClient.connect(uri(puller, "/pub?group_id=g"));
                    TestClient plain = TestClient.connect(uri(puller, "/pub"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 3);
                for (int i = 0; i < 30; i++) {
                    consumer.publish(new Event("pub", null, "e" + i));
                }

                plain.take(30, WAIT);
                List<String> all = new ArrayList<>(here.take(10, WAIT));
                all.addAll(there1.take(10, WAIT));
                all.addAll(there2.take(10, WAIT));
                assertThat(all).hasSize(30).doesNotHaveDuplicates();
                assertThat(sample(consumer, "wsbridge_peer_events_forwarded_total",
                        "peer=\"" + puller.cluster().name() + "\""))
                        .as("plain and group offers of one event are one forwarded message").isEqualTo(30);

                there2.close();
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 2);
                for (int i = 30; i < 40; i++) {
                    consumer.publish(new Event("pub", null, "e" + i));
                }
                assertThat(here.take(5, WAIT)).hasSize(5);
                assertThat(there1.take(5, WAIT)).hasSize(5);
            }
        }
    }

    @Test
    void aGroupSpansTheBridgesPerPrincipal() throws Exception {
        try (Bridge consumer = bridgeWithUsers(); Bridge puller = bridgeWithUsers()) {
            puller.peers(Set.of(address(consumer)));
            try (TestClient aliceHere = TestClient.connect(uri(consumer, "/pub?group_id=g&token=user:alice"));
                    TestClient aliceThere = TestClient.connect(uri(puller, "/pub?group_id=g&token=user:alice"));
                    TestClient anonymousHere = TestClient.connect(uri(consumer, "/pub?group_id=g"));
                    TestClient anonymousThere = TestClient.connect(uri(puller, "/pub?group_id=g"));
                    TestClient bobThere = TestClient.connect(uri(puller, "/pub?group_id=g&token=user:bob"))) {
                await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 3);
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    sent.add("e" + i);
                    consumer.publish(new Event("pub", null, "e" + i));
                }

                List<String> alices = new ArrayList<>(aliceHere.take(10, WAIT));
                alices.addAll(aliceThere.take(10, WAIT));
                assertThat(alices).as("alice's members on both bridges share her group")
                        .containsExactlyInAnyOrderElementsOf(sent);
                List<String> anonymous = new ArrayList<>(anonymousHere.take(10, WAIT));
                anonymous.addAll(anonymousThere.take(10, WAIT));
                assertThat(anonymous).as("anonymous members on both bridges share theirs")
                        .containsExactlyInAnyOrderElementsOf(sent);
                assertThat(bobThere.take(20, WAIT)).as("bob's group is his alone").isEqualTo(sent);
                assertThat(consumer.router().groups("pub")).as("alice's and the anonymous group have members here")
                        .isEqualTo(2);
                assertThat(puller.router().groups("pub")).isEqualTo(3);
            }
        }
    }

    @Test
    void aLinkWithAnotherSecretIsRefusedAndKeepsTheBridgeNotReadyForAWhile() throws Exception {
        try (Bridge consumer = bridge(SECRET); Bridge stranger = bridge("another-secret-of-another-cluster")) {
            stranger.peers(Set.of(address(consumer)));

            await().atMost(WAIT).until(() -> sample(consumer, "wsbridge_upgrades_refused_total", "status=\"401\"") > 0);
            assertThat(stranger.cluster().linked(address(consumer))).isFalse();
            await().atMost(WAIT).untilAsserted(() -> assertThat(stranger.cluster().notReadyReason()).isEqualTo("no link to peer " + address(consumer)
                    + " (refused with HTTP 401 (is cluster.secret the same on every worker, and do they run the same"
                    + " wsbridge version?))"));
            assertThat(sample(stranger, "wsbridge_peer_link", "peer=\"" + address(consumer) + "\"")).isZero();
            assertThat(consumer.cluster().inboundLinks()).isZero();
        }
    }

    @Test
    void aLinkThatStaysDownStopsBlockingReadinessAfterTheLimit() throws Exception {
        Bridge consumer = bridge(SECRET);
        PeerAddress gone = address(consumer);
        try (Bridge puller = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).cluster(
                new ClusterSettings(SECRET, "127.0.0.1", Duration.ofMillis(1500), Duration.ofMillis(200))).build())) {
            puller.peers(Set.of(gone));
            await().atMost(WAIT).until(() -> puller.cluster().linked(gone));
            assertThat(puller.cluster().notReadyReason()).isNull();

            consumer.close();

            await().atMost(WAIT).until(() -> puller.cluster().notReadyReason() != null);
            assertThat(puller.cluster().notReadyReason()).startsWith("no link to peer " + gone + " (");
            await().atMost(WAIT).until(() -> puller.cluster().notReadyReason() == null);
            assertThat(puller.cluster().linked(gone)).isFalse();
        }
    }

    @Test
    void aDownPeerIsNamedOnTheOpsListenerOnlyThePublicPortSaysNotReady() throws Exception {
        Bridge consumer = bridge(SECRET);
        PeerAddress gone = address(consumer);
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        BridgeSettings settings = BridgeSettings.builder("127.0.0.1", port).shutdownGrace(Duration.ZERO)
                .ops(new BridgeSettings.Ops("127.0.0.1", 0))
                .cluster(new ClusterSettings(SECRET, "127.0.0.1", Duration.ofSeconds(30), Duration.ofMillis(200)))
                .build();
        try (Bridges.Lease lease = Bridges.shared().acquire(settings)) {
            Bridge puller = lease.bridge();
            puller.peers(Set.of(gone));
            await().atMost(WAIT).until(() -> puller.cluster().linked(gone));
            consumer.close();

            await().atMost(WAIT).until(() -> get(puller.opsPort(), "/readyz").statusCode() == 503);
            assertThat(get(puller.opsPort(), "/readyz").body())
                    .startsWith("{\"status\":\"NOT_READY\",\"reason\":\"no link to peer " + gone + " (");
            HttpResponse<String> bare = get(port, "/readyz");
            assertThat(bare.statusCode()).isEqualTo(503);
            assertThat(bare.body()).isEmpty();
            assertThat(sample(puller, "wsbridge_peer_link", "peer=\"" + gone + "\"")).isZero();
            HttpResponse<String> metrics = get(port, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(404);
            assertThat(metrics.body()).doesNotContain(gone.toString());
        }
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withTlsPeersLinkOverWssTrustingTheirOwnKeyStore(@TempDir Path dir) throws Exception {
        Path keyStore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "wsbridge", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=wsbridge.example", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass", "test-only-pass").inheritIO().start();
        assertThat(keytool.waitFor()).isZero();
        BridgeSettings settings = BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .tls(new BridgeSettings.Tls(keyStore, "PKCS12", "test-only-pass", null))
                .cluster(ClusterSettings.of(SECRET, "127.0.0.1")).build();
        try (Bridge consumer = Bridge.start(settings); Bridge puller = Bridge.start(settings)) {
            puller.peers(Set.of(address(consumer)));
            await().atMost(WAIT).until(() -> puller.cluster().linked(address(consumer)));
            List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
            puller.router().add(new Subscription() {
                @Override
                public String application() {
                    return "pub";
                }

                @Override
                public String channel() {
                    return null;
                }

                @Override
                public GroupKey group() {
                    return null;
                }

                @Override
                public boolean offer(Event event) {
                    received.add(event.text());
                    return true;
                }
            });
            await().atMost(WAIT).until(() -> consumer.router().remoteSubscriptions("pub") == 1);

            consumer.publish(new Event("pub", null, "{\"secure\":true}"));

            await().atMost(WAIT).until(() -> received.equals(List.of("{\"secure\":true}")));
        }
    }

    @Test
    void theReservedPathIsNotFoundOutsideClusterModeAndWithoutCredentials() throws Exception {
        try (Bridge single = bridge(null); Bridge clustered = bridge(SECRET)) {
            assertThat(TestClient.refusal(uri(single, "/_wsbridge/peer?node=x"))).isEqualTo(404);
            assertThat(TestClient.refusal(uri(clustered, "/_wsbridge/other"))).isEqualTo(404);
            assertThat(TestClient.refusal(uri(clustered, "/_wsbridge/peer?node=x"))).isEqualTo(401);
            assertThat(TestClient.refusal(uri(clustered, "/_wsbridge/peer?node=x"),
                    "Authorization", new PeerAuth("wrong-secret-wrong-secret").handshake("x", address(clustered).toString())
                            .authorization())).isEqualTo(401);
            assertThat(TestClient.refusal(uri(clustered, "/_wsbridge/peer"))).isEqualTo(400);
        }
    }

    @Test
    void forwardedEventsAreNeverForwardedAgain() throws Exception {
        try (Bridge a = bridge(SECRET); Bridge b = bridge(SECRET); Bridge c = bridge(SECRET)) {
            // Every bridge consumes: each links to both others.
            a.peers(Set.of(address(b), address(c)));
            b.peers(Set.of(address(a), address(c)));
            c.peers(Set.of(address(a), address(b)));
            try (TestClient onB = TestClient.connect(uri(b, "/pub"));
                    TestClient onC = TestClient.connect(uri(c, "/pub"))) {
                await().atMost(WAIT).until(() -> a.router().remoteSubscriptions("pub") == 2
                        && b.router().remoteSubscriptions("pub") == 1 && c.router().remoteSubscriptions("pub") == 1);
                for (int i = 0; i < 10; i++) {
                    a.publish(new Event("pub", null, "a" + i));
                    b.publish(new Event("pub", null, "b" + i));
                }

                List<String> atC = onC.take(20, WAIT);
                List<String> atB = onB.take(20, WAIT);
                assertThat(atC).hasSize(20).doesNotHaveDuplicates();
                assertThat(atB).hasSize(20).doesNotHaveDuplicates();
                assertThat(onB.drain()).isEmpty();
                assertThat(Map.of("a", a.router().published(), "b", b.router().published()))
                        .isEqualTo(Map.of("a", 10L, "b", 10L));
            }
        }
    }
}
