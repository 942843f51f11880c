package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.auth.Membership;
import io.wsbridge.bridge.auth.SessionAccess;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sessions over time: expiry, token refresh, re-authorization, origins, TLS. */
class SessionAccessTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * Tokens are {@code user:<name>:<millis-valid>}; a user may read "app" while listed in {@code members}. Anything
     * else is a bad token.
     */
    static final class FakePolicy implements AccessPolicy {
        final Set<String> members = ConcurrentHashMap.newKeySet();
        /** The filters access control pins on a member, by name; a member not listed reads everything. */
        final Map<String, List<String>> pins = new ConcurrentHashMap<>();
        volatile boolean unavailable;
        /** Whether anonymous clients may read "app". */
        volatile boolean publicApplication;
        /** The bridges that checked the setup, one entry per check. */
        final Queue<String> setupChecks = new ConcurrentLinkedQueue<>();

        @Override
        public AccessDecision check(Credentials credentials, String application) {
            if (unavailable) {
                return AccessDecision.unavailable("identity provider unreachable");
            }
            if (credentials instanceof Credentials.Anonymous && publicApplication) {
                return AccessDecision.ANONYMOUS;
            }
            if (!(credentials instanceof Credentials.Bearer bearer) || !bearer.token().startsWith("user:")) {
                return AccessDecision.unauthorized("bad token");
            }
            String[] parts = bearer.token().split(":");
            Instant expiresAt = Instant.now().plusMillis(Long.parseLong(parts[2]));
            if (!members.contains(parts[1])) {
                return AccessDecision.notFound();
            }
            List<String> pinned = pins.get(parts[1]);
            return AccessDecision.allow(new Identity(parts[1], parts[1], expiresAt),
                    pinned == null ? Membership.FULL : new Membership(true, pinned));
        }

        @Override
        public String describe() {
            return "fake identity provider";
        }

        @Override
        public void checkSetup(String bridge) {
            setupChecks.add(bridge);
        }
    }

    record FakeProvider(FakePolicy policy) implements IdentityProvider {
        @Override
        public AccessPolicy accessPolicy(Set<String> staticPublicApplications) {
            return policy;
        }
    }

    final FakePolicy policy = new FakePolicy();
    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    Bridge start(BridgeSettings.Builder builder) {
        bridge = Bridge.start(builder.identity(new FakeProvider(policy)).build());
        return bridge;
    }

    URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + bridge.port() + path);
    }

    @Test
    void theIdentityProvidersSetupIsCheckedOnceWhenTheBridgeStarts() {
        start(BridgeSettings.builder("127.0.0.1", 0));

        await().atMost(WAIT).until(() -> !policy.setupChecks.isEmpty());
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> policy.setupChecks.size() == 1);
        assertThat(policy.setupChecks).containsExactly("bridge on 127.0.0.1:" + bridge.port());
    }

    @Test
    void sessionEndsWith1008WhenItsTokenExpires() throws Exception {
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0));
        try (TestClient client = TestClient.connect(uri("/app?token=user:alice:1500"))) {
            assertThat(client.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.POLICY_VIOLATION);
        }
    }

    @Test
    void refreshExtendsTheSession() throws Exception {
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0));
        try (TestClient client = TestClient.connect(uri("/app"), "Authorization", "Bearer user:alice:1500")) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            client.send("{\"RefreshAccessToken\":\"user:alice:60000\"}");
            await().atMost(WAIT).until(() -> bridge.server().subscribers().iterator().next().expiresAt()
                    .isAfter(Instant.now().plusSeconds(30)));
            Thread.sleep(2_000); // past the first token's expiry: the session must still be open
            bridge.publish(new Event("app", null, "{\"after\":\"expiry\"}"));
            assertThat(client.take(1, WAIT)).containsExactly("{\"after\":\"expiry\"}");
            assertThat(client.closeCode).isNotDone();
        }
    }

    @Test
    void refusedRefreshClosesWith1008() throws Exception {
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0));
        try (TestClient client = TestClient.connect(uri("/app?token=user:alice:60000"))) {
            client.send("{\"RefreshAccessToken\":\"forged\"}");
            assertThat(client.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.POLICY_VIOLATION);
        }
    }

    @Test
    void aRefreshWithAnotherUsersTokenClosesWith1008AndTheSessionLeavesItsGroup() throws Exception {
        policy.members.add("alice");
        policy.members.add("bob");
        start(BridgeSettings.builder("127.0.0.1", 0));
        try (TestClient alice = TestClient.connect(uri("/app?group_id=g&token=user:alice:60000"));
                TestClient otherAlice = TestClient.connect(uri("/app?group_id=g&token=user:alice:60000"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 2);
            alice.send("{\"RefreshAccessToken\":\"user:bob:60000\"}");

            assertThat(alice.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.POLICY_VIOLATION);
            assertThat(alice.closeReason.get(10, TimeUnit.SECONDS)).isEqualTo(
                    "token refresh refused: the token is for another user than the session's; connect again to"
                            + " change users");
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            for (int i = 0; i < 3; i++) {
                bridge.publish(new Event("app", null, "{\"n\":" + i + "}"));
            }
            assertThat(otherAlice.take(3, WAIT)).as("alice's other member now gets all of her group's events")
                    .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}");
            assertThat(bridge.router().groups("app")).isEqualTo(1);
        }
    }

    @Test
    void anAnonymousSessionCannotRefreshIntoAUser() throws Exception {
        policy.members.add("alice");
        policy.publicApplication = true;
        start(BridgeSettings.builder("127.0.0.1", 0));
        try (TestClient anonymous = TestClient.connect(uri("/app?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            anonymous.send("{\"RefreshAccessToken\":\"user:alice:60000\"}");

            assertThat(anonymous.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.POLICY_VIOLATION);
            assertThat(anonymous.closeReason.get(10, TimeUnit.SECONDS))
                    .isEqualTo(SessionAccess.REFRESH_FOR_ANOTHER_PRINCIPAL);
        }
    }

    @Test
    void revokedAccessEndsOpenSessionsWithinTheInterval() throws Exception {
        policy.members.add("alice");
        policy.members.add("bob");
        start(BridgeSettings.builder("127.0.0.1", 0).reauthorizeInterval(Duration.ofMillis(300)));
        try (TestClient alice = TestClient.connect(uri("/app?token=user:alice:60000"));
                TestClient bob = TestClient.connect(uri("/app?token=user:bob:60000"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 2);
            policy.members.remove("alice");

            assertThat(alice.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.POLICY_VIOLATION);
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            assertThat(bob.closeCode).isNotDone();
        }
    }

    @Test
    void providerOutageKeepsOpenSessionsAndRefusesNewOnesWith503() throws Exception {
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0).reauthorizeInterval(Duration.ofMillis(200)));
        try (TestClient alice = TestClient.connect(uri("/app?token=user:alice:60000"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            policy.unavailable = true;
            assertThat(TestClient.refusal(uri("/app?token=user:alice:60000"))).isEqualTo(503);
            Thread.sleep(1_000); // several re-authorization rounds while the provider is down
            bridge.publish(new Event("app", null, "{\"still\":\"served\"}"));
            assertThat(alice.take(1, WAIT)).containsExactly("{\"still\":\"served\"}");
        }
    }

    @Test
    void originOutsideTheAllowListIsRefusedWith403() throws Exception {
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0).allowedOrigins(Set.of("https://app.example")));
        assertThat(TestClient.refusal(uri("/app?token=user:alice:60000"), "Origin", "https://evil.example"))
                .isEqualTo(403);
        TestClient.connect(uri("/app?token=user:alice:60000"), "Origin", "https://app.example").close();
        TestClient.connect(uri("/app?token=user:alice:60000")).close();
        // the bridge's own origin: its console page
        TestClient.connect(uri("/app?token=user:alice:60000"), "Origin", "http://127.0.0.1:" + bridge.port()).close();
        assertThat(TestClient.refusal(uri("/app?token=user:alice:60000"), "Origin", "http://127.0.0.1:1"))
                .as("another port is another origin").isEqualTo(403);
    }

    @Test
    void tlsServesWss(@TempDir Path dir) throws Exception {
        Path keyStore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "wsbridge", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", "test-only-pass").inheritIO().start();
        assertThat(keytool.waitFor()).isZero();
        policy.members.add("alice");
        start(BridgeSettings.builder("127.0.0.1", 0)
                .tls(new BridgeSettings.Tls(keyStore, "PKCS12", "test-only-pass", null)));

        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keyStore)) {
            trust.load(in, "test-only-pass".toCharArray());
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, trustManagers.getTrustManagers(), null);
        var http = java.net.http.HttpClient.newBuilder().sslContext(ssl).build();
        var received = new java.util.concurrent.LinkedBlockingQueue<String>();
        var socket = http.newWebSocketBuilder().buildAsync(
                URI.create("wss://127.0.0.1:" + bridge.port() + "/app?token=user:alice:60000"),
                new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws,
                            CharSequence data, boolean last) {
                        received.add(data.toString());
                        ws.request(1);
                        return null;
                    }
                }).join();
        await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
        bridge.publish(new Event("app", null, "{\"secure\":true}"));
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"secure\":true}");
        assertThat(bridge.server().limitedConnections()).as("the wss connection's slot").isEqualTo(1);
        socket.abort();
        await("the slot given back: its TLS connection ended").atMost(WAIT)
                .until(() -> bridge.server().limitedConnections() == 0);
        assertThat(bridge.settings().toString()).doesNotContain("test-only-pass");
    }
}
