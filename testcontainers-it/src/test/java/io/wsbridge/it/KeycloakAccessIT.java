package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ClientProcess;
import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient.CloseStatus;
import io.wsbridge.it.harness.WsClient;
import io.wsbridge.it.harness.WsbridgeCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Identity and access against a real Keycloak (the development realm {@code config/keycloak/wsbridge-realm.json}),
 * a real broker and a real Connect worker running the packaged plugin, configured from
 * {@code config/websocket-sink-keycloak.json}; API keys minted with the real {@code wsbridge} CLI.
 *
 * <p>The access matrix of the README, lookups Keycloak refuses (which must not pass for an outage), then sessions over
 * time (refresh, expiry, revoked membership and key), {@code wss://} with secrets through a config provider, a rotation
 * of the realm's signing keys, a Keycloak outage, and the logs. The rotation, the outage and the log check run last.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakAccessIT {

    private static final String PUBLIC_APP = "drogue-public-temperature";
    private static final String PRIVATE_APP = "acme-private";
    private static final String PRIVATE_GROUP = "/applications/" + PRIVATE_APP;
    private static final String ALICE_PASSWORD = "alice-dev-password";
    private static final String BOB_PASSWORD = "bob-dev-password";
    private static final Duration REAUTHORIZE = Duration.ofMillis(2000);
    private static final Duration CACHE_TTL = Duration.ofMillis(1000);
    /** The bridge accepts tokens this long after their expiry (clocks that disagree). */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Duration EVENTS_TIMEOUT = Duration.ofSeconds(60);
    /** The signing keys refresh interval of the key rotation test's connector. */
    private static final Duration KEYS_REFRESH = Duration.ofSeconds(3);
    private static final String KEYS_CONNECTOR = "keycloak-keys-it";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Stack stack;
    private KeycloakServer keycloak;
    private WsbridgeCli cli;
    private final String connector = "keycloak-access-it";
    private int port;
    /** The main connector's operations listener, where its metrics are. */
    private int opsPort;

    private String aliceKey;
    private String bobKey;
    private String expiredAliceToken;
    private String expiredBobToken;
    private Instant expiredAt;
    /** Every token and key handed to a bridge: none may appear in a worker's log. */
    private final List<String> credentialsUsed = new ArrayList<>();
    private final List<Path> workerLogs = new ArrayList<>();

    @BeforeAll
    void deployConnector(Stack stack, KeycloakServer keycloak) throws IOException {
        this.stack = stack;
        this.keycloak = keycloak;
        this.cli = WsbridgeCli.of(keycloak);
        // Real tokens that live one second: expired (beyond the clock skew) by the time the matrix uses them.
        expiredAliceToken = keycloak.shortLivedToken("alice", ALICE_PASSWORD, Duration.ofSeconds(1));
        expiredBobToken = keycloak.shortLivedToken("bob", BOB_PASSWORD, Duration.ofSeconds(1));
        expiredAt = expiry(expiredBobToken);
        used(expiredAliceToken, expiredBobToken);

        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PUBLIC_APP), 3);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PRIVATE_APP), 1);
        port = FreePorts.on(KafkaBroker.HOST);
        Map<String, String> config = keycloakConfig(port);
        opsPort = Integer.parseInt(config.get("ops.port"));
        stack.rest().createConnector(connector, config);
        workerLogs.add(stack.worker().logFile());
        stack.rest().awaitRunning(connector, 1);

        aliceKey = cli.createKey("alice");
        bobKey = cli.createKey("bob");
        used(aliceKey, bobKey);
        assertThat(aliceKey).matches("wsb_[0-9a-z]{8}_[0-9a-z]{52}");
    }

    @AfterAll
    void deleteConnector() {
        if (stack != null) {
            stack.rest().delete(connector);
        }
    }

    // ---- the access matrix

    @Test
    @Order(1)
    void anonymousReadsThePublicApplicationOnly() {
        assertEventsArrive(uri("/" + PUBLIC_APP), Map.of(), PUBLIC_APP);
        assertThat(status(uri("/" + PRIVATE_APP), Map.of())).as("private application, anonymous").isEqualTo(404);
        assertThat(status(uri("/no-such-application"), Map.of())).as("no such application").isEqualTo(404);
    }

    @Test
    @Order(2)
    void aValidTokenReadsPublicAndMemberApplications() {
        String alice = token("alice", ALICE_PASSWORD);
        String bob = token("bob", BOB_PASSWORD);

        assertEventsArrive(uri("/" + PUBLIC_APP), bearer(alice), PUBLIC_APP);
        assertEventsArrive(uri("/" + PUBLIC_APP + "?token=" + alice), Map.of(), PUBLIC_APP);
        assertEventsArrive(uri("/" + PRIVATE_APP), bearer(alice), PRIVATE_APP);
        assertEventsArrive(uri("/" + PRIVATE_APP + "?token=" + alice), Map.of(), PRIVATE_APP);
        assertThat(status(uri("/" + PRIVATE_APP), bearer(bob))).as("non-member, header").isEqualTo(404);
        assertThat(status(uri("/" + PRIVATE_APP + "?token=" + bob), Map.of())).as("non-member, query").isEqualTo(404);
        assertEventsArrive(uri("/" + PUBLIC_APP), bearer(bob), PUBLIC_APP);
    }

    @Test
    @Order(3)
    void aValidApiKeyReadsPublicAndMemberApplications() {
        assertEventsArrive(uri("/" + PUBLIC_APP), basic("alice", aliceKey), PUBLIC_APP);
        assertEventsArrive(uri("/" + PUBLIC_APP + apiKeyQuery("alice", aliceKey)), Map.of(), PUBLIC_APP);
        assertEventsArrive(uri("/" + PRIVATE_APP), basic("alice", aliceKey), PRIVATE_APP);
        assertEventsArrive(uri("/" + PRIVATE_APP + apiKeyQuery("alice", aliceKey)), Map.of(), PRIVATE_APP);
        assertThat(status(uri("/" + PRIVATE_APP), basic("bob", bobKey))).as("non-member, Basic").isEqualTo(404);
        assertThat(status(uri("/" + PRIVATE_APP + apiKeyQuery("bob", bobKey)), Map.of())).as("non-member, query")
                .isEqualTo(404);
        assertEventsArrive(uri("/" + PUBLIC_APP), basic("bob", bobKey), PUBLIC_APP);
    }

    @Test
    @Order(4)
    void expiredForgedAndWrongIssuerTokensAndWrongApiKeysAnswer401() throws Exception {
        String aliceToken = token("alice", ALICE_PASSWORD);
        String bobToken = token("bob", BOB_PASSWORD);
        KeyPair ours = rsaKeyPair();
        // Forged: a real token's header (the realm's key id) and claims, signed with a key of our own.
        String forgedAlice = resign(aliceToken, ours, claims -> { });
        String forgedBob = resign(bobToken, ours, claims -> { });
        // Another issuer: a real token of the same server's master realm, and one with the right claims but another
        // iss, signed by us.
        String masterRealm = keycloak.passwordTokens("master", "admin-cli", KeycloakServer.ADMIN_USERNAME,
                KeycloakServer.ADMIN_PASSWORD).path("access_token").asText();
        String otherIssuerAlice = resign(aliceToken, ours, claims -> claims.put("iss", keycloak.issuer("other")));
        String otherIssuerBob = resign(bobToken, ours, claims -> claims.put("iss", keycloak.issuer("other")));
        String wrongAliceKey = sameIdOtherSecret(aliceKey);
        String unknownBobKey = "wsb_" + "abcdefgh" + "_" + "0123456789abcdefghjkmnpqrstvwxyz".repeat(2).substring(0, 52);
        used(forgedAlice, forgedBob, masterRealm, otherIssuerAlice, otherIssuerBob, wrongAliceKey, unknownBobKey);

        await("the 1-second tokens being expired beyond the clock skew")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> Instant.now().isAfter(expiredAt.plus(CLOCK_SKEW).plusSeconds(2)));

        // {public app, private app as a member, private app as a non-member}
        Map<String, List<Credential>> rows = new LinkedHashMap<>();
        rows.put("expired token", List.of(new Token(expiredAliceToken), new Token(expiredAliceToken),
                new Token(expiredBobToken)));
        rows.put("forged token", List.of(new Token(forgedAlice), new Token(forgedAlice), new Token(forgedBob)));
        rows.put("token of another realm", List.of(new Token(masterRealm), new Token(masterRealm),
                new Token(masterRealm)));
        rows.put("token of another issuer", List.of(new Token(otherIssuerAlice), new Token(otherIssuerAlice),
                new Token(otherIssuerBob)));
        rows.put("wrong API key", List.of(new Key("alice", wrongAliceKey), new Key("alice", wrongAliceKey),
                new Key("bob", unknownBobKey)));
        rows.put("API key of another user", List.of(new Key("bob", aliceKey), new Key("bob", aliceKey),
                new Key("bob", aliceKey)));
        List<String> apps = List.of(PUBLIC_APP, PRIVATE_APP, PRIVATE_APP);
        rows.forEach((row, credentials) -> {
            for (int column = 0; column < 3; column++) {
                Credential credential = credentials.get(column);
                String path = "/" + apps.get(column);
                assertThat(status(uri(path), credential.headers())).as(row + " in the header, " + path)
                        .isEqualTo(401);
                assertThat(status(uri(path + credential.query()), Map.of())).as(row + " in the query, " + path)
                        .isEqualTo(401);
            }
        });
    }

    // ---- hostile lookups: one request must not make the bridge believe Keycloak is down

    @Test
    @Order(6)
    void usernamesThatCannotNameAUserAre401AndLookupsKeycloakRefusesLeaveTheBridgeReady() {
        String tooLong = "u".repeat(300);
        String control = "ali\u0007ce";
        assertThat(status(uri("/" + PUBLIC_APP), basic(tooLong, aliceKey))).as("300 characters, Basic")
                .isEqualTo(401);
        assertThat(status(uri("/" + PUBLIC_APP + apiKeyQuery(tooLong, aliceKey)), Map.of()))
                .as("300 characters, query").isEqualTo(401);
        assertThat(status(uri("/" + PUBLIC_APP), basic(control, aliceKey))).as("a control character, Basic")
                .isEqualTo(401);
        assertThat(status(uri("/" + PUBLIC_APP + apiKeyQuery(control, aliceKey)), Map.of()))
                .as("a control character, query").isEqualTo(401);
        assertThat(logOf(stack.worker().logFile())).as("no lookup of the refused usernames")
                .doesNotContain("user '" + tooLong).doesNotContain("user '" + control);

        // Never shown to the bridge: nothing is cached about it, so connecting with it asks Keycloak.
        String freshKey = cli.createKey("bob");
        used(freshKey);
        String bob = token("bob", BOB_PASSWORD);
        for (int round = 0; round < 3; round++) {
            // A ';' in a group path: Keycloak 26 answers 400 to the lookup of the group. A new name each time, so
            // that each upgrade asks Keycloak.
            List<String> refused = List.of("round-" + round + ";anonymous", "round-" + round + ";token",
                    "round-" + round + ";api-key");
            assertThat(status(uri("/" + encoded(refused.get(0))), Map.of())).as("anonymous").isEqualTo(404);
            assertThat(status(uri("/" + encoded(refused.get(1))), bearer(bob))).as("a token").isEqualTo(404);
            assertThat(status(uri("/" + encoded(refused.get(2))), basic("alice", aliceKey))).as("an API key")
                    .isEqualTo(404);
            assertThat(readyz()).as("/readyz right after Keycloak's refusals").isEqualTo(200);
        }
        // Within the 2 s in which an outage would fail every new question at once.
        assertEventsArrive(uri("/" + PUBLIC_APP), basic("bob", freshKey), PUBLIC_APP);
        assertThat(status(uri("/" + PRIVATE_APP), basic("bob", freshKey))).as("bob is no member").isEqualTo(404);

        assertThat(logOf(stack.worker().logFile())).as("Keycloak really refused those lookups")
                .contains("refused to read group /applications/round-2;api-key (HTTP 400)");
    }

    private static String encoded(String application) {
        return URLEncoder.encode(application, StandardCharsets.UTF_8);
    }

    // ---- sessions over time

    @Test
    @Order(5)
    void realThirdPartyClientsAuthenticateWithHeaderAndQueryForms() throws Exception {
        String alice = token("alice", ALICE_PASSWORD);
        String basic = "Basic " + Base64.getEncoder()
                .encodeToString(("alice:" + aliceKey).getBytes(StandardCharsets.UTF_8));
        Path work = ItEnvironment.newWorkDir("keycloak-clients");
        String privateUrl = uri("/" + PRIVATE_APP).toString();
        Path script = Path.of(KeycloakAccessIT.class.getResource("/clients/ws_subscribe.py").toURI());
        try (ClientProcess wscatBearer = ClientProcess.start("wscat-bearer", List.of("wscat", "-c", privateUrl,
                "-H", "Authorization: Bearer " + alice), work, Duration.ofSeconds(90));
                ClientProcess wscatApiKey = ClientProcess.start("wscat-api-key-query", List.of("wscat", "-c",
                        privateUrl + apiKeyQuery("alice", aliceKey)), work, Duration.ofSeconds(90));
                ClientProcess pythonToken = ClientProcess.start("python-token-query", List.of("/usr/bin/python3",
                        "-m", "websockets", privateUrl + "?token=" + alice), work, Duration.ofSeconds(90));
                ClientProcess scriptBasic = ClientProcess.start("ws_subscribe-basic", List.of("/usr/bin/python3",
                        script.toString(), privateUrl, "-H", "Authorization: " + basic), work,
                        Duration.ofSeconds(90))) {
            List<ClientProcess> clients = List.of(wscatBearer, wscatApiKey, pythonToken, scriptBasic);
            long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
            String id = null;
            while (System.nanoTime() < deadline) {
                String next = "kc-clients-" + UUID.randomUUID();
                stack.events().sendBinary(topic(PRIVATE_APP), Events.event(PRIVATE_APP, "device-kc").withId(next));
                String produced = next;
                try {
                    await().atMost(Duration.ofSeconds(2)).until(
                            () -> clients.stream().allMatch(client -> client.stdout().contains(produced)));
                    id = produced;
                    break;
                } catch (org.awaitility.core.ConditionTimeoutException notYet) {
                    clients.forEach(client -> assertThat(client.isAlive())
                            .as("%s still connected; stderr: %s", client.name(), client.stderr()).isTrue());
                }
            }
            assertThat(id).as("an event of %s reached wscat and python clients authenticated as alice", PRIVATE_APP)
                    .isNotNull();
        }
    }

    // ---- groups belong to their principal

    @Test
    @Order(6)
    void aGroupOfAPublicApplicationIsSharedOnlyByClientsOfTheSamePrincipal() {
        assertEventsArrive(uri("/" + PUBLIC_APP), Map.of(), PUBLIC_APP); // the connector consumes: nothing is lost
        String alice = token("alice", ALICE_PASSWORD);
        String bob = token("bob", BOB_PASSWORD);
        URI group = uri("/" + PUBLIC_APP + "?group_id=g");
        try (WsClient aliceByToken = WsClient.connect(group, bearer(alice));
             WsClient aliceByKey = WsClient.connect(group, basic("alice", aliceKey));
             WsClient anonymous = WsClient.connect(group, Map.of());
             WsClient bobByToken = WsClient.connect(group, bearer(bob))) {
            awaitSubscribersAndGroups(PUBLIC_APP, 4, 3);
            List<String> sent = sendEvents(PUBLIC_APP, 20);
            Set<String> ours = Set.copyOf(sent);

            List<String> byToken = idsReceived(aliceByToken, ours, 10);
            List<String> byKey = idsReceived(aliceByKey, ours, 10);
            assertThat(idsReceived(anonymous, ours, 20)).as("the anonymous client forms its own group: every event")
                    .containsExactlyInAnyOrderElementsOf(sent);
            assertThat(idsReceived(bobByToken, ours, 20)).as("bob forms his own group: every event")
                    .containsExactlyInAnyOrderElementsOf(sent);
            assertThat(byToken).as("alice's token member: half, round-robin").hasSize(10);
            assertThat(byKey).as("alice's API key member: the other half").hasSize(10)
                    .doesNotContainAnyElementsOf(byToken);
            List<String> alices = new ArrayList<>(byToken);
            alices.addAll(byKey);
            assertThat(alices).as("alice's two members share every event, none taken by anyone else")
                    .containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    @Order(7)
    void aRefreshWithAnotherUsersTokenEndsTheSessionAndItsGroupStaysWithItsPrincipal() {
        String alice = token("alice", ALICE_PASSWORD);
        String bob = token("bob", BOB_PASSWORD);
        URI group = uri("/" + PUBLIC_APP + "?group_id=refresh-g");
        try (WsClient switching = WsClient.connect(group, bearer(alice));
             WsClient staying = WsClient.connect(group, bearer(alice));
             WsClient bobs = WsClient.connect(group, bearer(bob))) {
            awaitSubscribersAndGroups(PUBLIC_APP, 3, 2);
            switching.send("{\"RefreshAccessToken\":\"" + bob + "\"}");

            CloseStatus closed = switching.awaitClose(Duration.ofSeconds(30));
            assertThat(closed).isEqualTo(new CloseStatus(1008,
                    "token refresh refused: the token is for another user than the session's; connect again to change"
                            + " users"));
            awaitSubscribersAndGroups(PUBLIC_APP, 2, 2);
            List<String> sent = sendEvents(PUBLIC_APP, 6);
            Set<String> ours = Set.copyOf(sent);
            assertThat(idsReceived(staying, ours, 6)).as("alice's remaining member gets all of her group's events")
                    .containsExactlyInAnyOrderElementsOf(sent);
            assertThat(idsReceived(bobs, ours, 6)).as("bob's group took no member from alice's")
                    .containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    @Order(10)
    void aTokenRefreshKeepsTheSessionPastTheFirstTokensExpiry() {
        String shortLived = keycloak.shortLivedToken("alice", ALICE_PASSWORD, Duration.ofSeconds(8));
        Instant firstExpiry = expiry(shortLived);
        used(shortLived);
        try (WsClient ws = WsClient.connect(uri("/" + PRIVATE_APP), bearer(shortLived))) {
            assertEventsArrive(ws, PRIVATE_APP);
            String fresh = token("alice", ALICE_PASSWORD);
            ws.send("{\"RefreshAccessToken\":\"" + fresh + "\"}");

            await("the first token's expiry").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Instant.now().isAfter(firstExpiry.plusSeconds(3)));
            assertThat(ws.closeStatus()).as("the session outlives its first token").isEmpty();
            assertEventsArrive(ws, PRIVATE_APP);
        }
    }

    @Test
    @Order(11)
    void anExpiringTokenEndsItsSessionWith1008() {
        String shortLived = keycloak.shortLivedToken("alice", ALICE_PASSWORD, Duration.ofSeconds(6));
        Instant expiry = expiry(shortLived);
        used(shortLived);
        try (WsClient ws = WsClient.connect(uri("/" + PRIVATE_APP), bearer(shortLived))) {
            assertEventsArrive(ws, PRIVATE_APP);
            CloseStatus closed = ws.awaitClose(Duration.ofSeconds(30));
            assertThat(closed.code()).as("closed: " + closed).isEqualTo(1008);
            assertThat(Instant.now()).as("closed at the token's expiry, not before")
                    .isAfterOrEqualTo(expiry.minusMillis(500));
        }
    }

    @Test
    @Order(12)
    void removingAMemberFromTheGroupEndsHerOpenSession() {
        String alice = token("alice", ALICE_PASSWORD);
        try (WsClient privateSession = WsClient.connect(uri("/" + PRIVATE_APP), bearer(alice));
             WsClient publicSession = WsClient.connect(uri("/" + PUBLIC_APP), bearer(alice))) {
            assertEventsArrive(privateSession, PRIVATE_APP);
            long removed = System.nanoTime();
            whileAliceIsNoMember(alice, () -> {
                CloseStatus closed = privateSession.awaitClose(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(10));
                Duration took = Duration.ofNanos(System.nanoTime() - removed);
                assertThat(closed.code()).as("closed: " + closed).isEqualTo(1008);
                assertThat(took).as("within cache TTL + reauthorization interval (+ slack for this machine)")
                        .isLessThan(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(5));
                assertThat(status(uri("/" + PRIVATE_APP), bearer(alice))).as("a new attempt").isEqualTo(404);
                assertThat(publicSession.closeStatus()).as("her session on the public application stays").isEmpty();
                assertEventsArrive(publicSession, PUBLIC_APP);
            });
        }
    }

    /** Takes alice out of the private application's group for {@code check}, then back, until her token reads it. */
    private void whileAliceIsNoMember(String alice, Runnable check) {
        keycloak.removeUserFromGroup("alice", PRIVATE_GROUP);
        try {
            check.run();
        } finally {
            keycloak.addUserToGroup("alice", PRIVATE_GROUP);
        }
        await("alice being a member again").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> status(uri("/" + PRIVATE_APP), bearer(alice)) == 0);
    }

    /**
     * Issue 12, point 7: re-authorization covers sessions that are still replaying. A client that never reads asks for
     * a backlog far larger than the sockets' buffers ({@code ?from=earliest}: 20,000 events of about 1.3 KB), so its
     * replay cannot end; when its user leaves the application's group, a round of re-authorization closes it with
     * 1008, as it closes a live session.
     */
    @Test
    @Order(8)
    void reauthorizationEndsASessionThatIsStillReplaying() {
        String alice = token("alice", ALICE_PASSWORD);
        String data = "{\"pad\":\"" + "x".repeat(1000) + "\"}";
        KafkaProducer<byte[], byte[]> producer = stack.events().producer();
        for (int i = 0; i < 20_000; i++) {
            producer.send(Events.binaryRecord(topic(PRIVATE_APP),
                    Events.event(PRIVATE_APP, "backlog").withId("kc-backlog-" + i).withData(data)));
        }
        producer.flush();
        assertEventsArrive(uri("/" + PRIVATE_APP), bearer(alice), PRIVATE_APP); // the task has read past the backlog
        BridgeHttp ops = new BridgeHttp(URI.create("http://" + KafkaBroker.HOST + ":" + opsPort + "/"));
        double closedBefore = ops.metrics().value("wsbridge_closes_total", "code", "1008", "transport", "websocket");
        try (WsClient replaying = WsClient.connect(uri("/" + PRIVATE_APP + "?from=earliest"), bearer(alice), false)) {
            awaitSubscribersAndGroups(PRIVATE_APP, 1, 0);
            assertThat(ops.metrics().value("wsbridge_closes_total", "code", "1008", "transport", "websocket"))
                    .as("no session closed by policy before alice leaves the group").isEqualTo(closedBefore);
            whileAliceIsNoMember(alice, () -> await("the replaying session closed by re-authorization")
                    .atMost(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        BridgeHttp.Scrape scrape = ops.metrics();
                        return scrape.value("wsbridge_subscribers", "application", PRIVATE_APP) == 0
                                && scrape.value("wsbridge_closes_total", "code", "1008", "transport", "websocket")
                                > closedBefore;
                    }));
        }
    }

    /**
     * Issue 12: a resume ({@code ?from=<cursor>}) takes every credential form, header and query, and gives the events
     * after the cursor exactly once; the cursor grants nothing: without credentials, or with a non-member's, the
     * private application stays 404.
     */
    @Test
    @Order(9)
    void resumingTakesEveryCredentialFormAndACursorGrantsNothing() {
        String alice = token("alice", ALICE_PASSWORD);
        String run = "kc-resume-" + UUID.randomUUID();
        String cursor;
        try (WsClient ws = WsClient.connect(uri("/" + PRIVATE_APP), bearer(alice))) {
            assertEventsArrive(ws, PRIVATE_APP); // live: what is produced from now on reaches it
            stack.events().sendBinary(topic(PRIVATE_APP), Events.event(PRIVATE_APP, "device-kc").withId(run + "-0"));
            cursor = cursorOf(ws, run + "-0");
        }
        for (int i = 1; i <= 3; i++) { // while nobody reads the application
            stack.events().sendBinary(topic(PRIVATE_APP), Events.event(PRIVATE_APP, "device-kc").withId(run + "-" + i));
        }
        String from = "from=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        List<String> expected = List.of(run + "-1", run + "-2", run + "-3");
        for (Credential credential : List.of(new Token(alice), new Key("alice", aliceKey))) {
            String kind = credential.getClass().getSimpleName();
            assertThat(resumedIds(uri("/" + PRIVATE_APP + "?" + from), credential.headers(), run))
                    .as("%s in a header", kind).isEqualTo(expected);
            assertThat(resumedIds(uri("/" + PRIVATE_APP + credential.query() + "&" + from), Map.of(), run))
                    .as("%s in the query", kind).isEqualTo(expected);
        }
        String bob = token("bob", BOB_PASSWORD);
        assertThat(status(uri("/" + PRIVATE_APP + "?" + from), Map.of())).as("a cursor, no credentials").isEqualTo(404);
        assertThat(status(uri("/" + PRIVATE_APP + "?" + from), bearer(bob))).as("a cursor, a non-member's token")
                .isEqualTo(404);
        assertThat(status(uri("/" + PRIVATE_APP + "?" + from), basic("bob", bobKey))).as("a cursor, a non-member's key")
                .isEqualTo(404);
    }

    /** The {@code wsbridgecursor} of the frame whose event has {@code id}. */
    private static String cursorOf(WsClient ws, String id) {
        long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> frame = ws.nextFrame(Duration.ofMillis(200));
            if (frame.isPresent() && id.equals(ItSupport.json(frame.get()).path("id").asText())) {
                String cursor = ItSupport.json(frame.get()).path("wsbridgecursor").asText();
                assertThat(cursor).as("the cursor of " + id).isNotEmpty();
                return cursor;
            }
        }
        throw new AssertionError("the event " + id + " did not arrive within " + EVENTS_TIMEOUT);
    }

    /** The ids starting with {@code run} that a session on {@code uri} gets until the third, and a second after. */
    private static List<String> resumedIds(URI uri, Map<String, String> headers, String run) {
        List<String> ids = new ArrayList<>();
        try (WsClient ws = WsClient.connect(uri, headers)) {
            long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                Optional<String> frame = ws.nextFrame(Duration.ofMillis(100));
                String id = frame.map(text -> ItSupport.json(text).path("id").asText()).orElse("");
                if (id.startsWith(run)) {
                    ids.add(id);
                    if (ids.size() == 3) { // a duplicate would come right behind
                        quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                    }
                }
                assertThat(ws.closeStatus()).as("the resumed session on " + uri.getPath()).isEmpty();
            }
        }
        return ids;
    }

    @Test
    @Order(13)
    void revokingAnApiKeyWithTheCliEndsItsSession() {
        String key = cli.createKey("alice");
        used(key);
        try (WsClient ws = WsClient.connect(uri("/" + PRIVATE_APP), basic("alice", key))) {
            assertEventsArrive(ws, PRIVATE_APP);
            long revoked = System.nanoTime();
            WsbridgeCli.Result result = cli.revokeKey("alice", WsbridgeCli.keyId(key));
            assertThat(result.stdout()).as("revoke prints nothing on standard output").isEmpty();
            CloseStatus closed = ws.awaitClose(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(10));
            assertThat(closed.code()).as("closed: " + closed).isEqualTo(1008);
            assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(5));
        }
        assertThat(status(uri("/" + PRIVATE_APP), basic("alice", key))).as("the revoked key").isEqualTo(401);
        assertThat(cli.listKeys("alice").stdout()).doesNotContain(WsbridgeCli.keyId(key)).contains(WsbridgeCli.keyId(aliceKey));
    }

    // ---- TLS and secrets

    @Test
    @Order(20)
    void wssWithSecretsFromAConfigProvider() throws Exception {
        Path dir = ItEnvironment.newWorkDir("keycloak-tls");
        String storePassword = "store-" + UUID.randomUUID();
        Path keyStore = dir.resolve("wsbridge.p12");
        keytool("-genkeypair", "-alias", "wsbridge", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", storePassword);
        Path certificate = dir.resolve("wsbridge.crt");
        keytool("-exportcert", "-rfc", "-alias", "wsbridge", "-keystore", keyStore.toString(), "-storepass",
                storePassword, "-file", certificate.toString());
        String trustPassword = "trust-" + UUID.randomUUID();
        Path trustStore = dir.resolve("client-truststore.p12");
        keytool("-importcert", "-noprompt", "-alias", "wsbridge", "-file", certificate.toString(), "-storetype",
                "PKCS12", "-keystore", trustStore.toString(), "-storepass", trustPassword);
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, "keycloak.client.secret=" + KeycloakServer.BRIDGE_CLIENT_SECRET + "\n"
                + "keystore.password=" + storePassword + "\n");

        try (ConnectWorker worker = new ConnectWorker(stack.kafka(), KafkaBroker.HOST, "keycloak-secrets-it", Map.of(
                "config.providers", "file",
                "config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"))) {
            worker.start();
            workerLogs.add(worker.logFile());
            int tlsPort = FreePorts.on(KafkaBroker.HOST);
            Map<String, String> config = keycloakConfig(tlsPort);
            String secretRef = "${file:" + secrets + ":keycloak.client.secret}";
            String passwordRef = "${file:" + secrets + ":keystore.password}";
            config.put("keycloak.client.secret", secretRef);
            config.put("websocket.tls.keystore.location", keyStore.toString());
            config.put("websocket.tls.keystore.password", passwordRef);
            worker.rest().createConnector("keycloak-tls-it", config);
            worker.rest().awaitRunning("keycloak-tls-it", 1);

            Map<String, String> stored = worker.rest().config("keycloak-tls-it");
            assertThat(stored.get("keycloak.client.secret")).isEqualTo(secretRef);
            assertThat(stored.get("websocket.tls.keystore.password")).isEqualTo(passwordRef);
            assertThat(stored.toString()).doesNotContain(KeycloakServer.BRIDGE_CLIENT_SECRET, storePassword);

            HttpClient trusting = HttpClient.newBuilder().sslContext(sslContextTrusting(trustStore, trustPassword))
                    .connectTimeout(Duration.ofSeconds(5)).build();
            URI wss = URI.create("wss://127.0.0.1:" + tlsPort + "/" + PRIVATE_APP);
            String alice = token("alice", ALICE_PASSWORD);
            WsClient.Handshake handshake = await("the wss:// server accepting alice")
                    .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> WsClient.attempt(trusting, wss, bearer(alice), true), WsClient.Handshake::isOpen);
            try (WsClient ws = handshake.client()) {
                assertEventsArrive(ws, PRIVATE_APP);
            }
            assertThat(WsClient.attempt(trusting, URI.create("wss://127.0.0.1:" + tlsPort + "/" + PRIVATE_APP),
                    bearer(token("bob", BOB_PASSWORD)), true).status()).as("bob over wss://").isEqualTo(404);
            assertThat(plainUpgradeFails(tlsPort)).as("no plain ws:// on a TLS port").isTrue();

            // A task that fails on a wrong key store password: its trace names the problem, never a secret.
            String wrongPassword = "wrong-" + UUID.randomUUID();
            Map<String, String> failing = keycloakConfig(FreePorts.on(KafkaBroker.HOST));
            failing.put("websocket.tls.keystore.location", keyStore.toString());
            failing.put("websocket.tls.keystore.password", wrongPassword);
            worker.rest().createConnector("keycloak-tls-failing-it", failing);
            ConnectorStatus status = worker.rest().awaitStatus("keycloak-tls-failing-it", Duration.ofSeconds(60),
                    "a FAILED task", ConnectorStatus::hasFailure);
            String traces = status.describe();
            assertThat(traces).as("the traces of the failed task").contains("FAILED")
                    .doesNotContain(wrongPassword, storePassword, KeycloakServer.BRIDGE_CLIENT_SECRET);
            worker.rest().delete("keycloak-tls-failing-it");
            worker.rest().delete("keycloak-tls-it");
            assertThat(logOf(worker.logFile())).as("the worker log")
                    .doesNotContain(wrongPassword, storePassword, trustPassword, KeycloakServer.BRIDGE_CLIENT_SECRET);
        }
    }

    // ---- key rotation (changes the realm's signing keys: after the tests that hold older tokens)

    @Test
    @Order(25)
    void aSigningKeyRemovedFromTheRealmStopsBeingTrustedAfterTheRefreshInterval() throws IOException {
        String realmPath = "/admin/realms/" + KeycloakServer.REALM;
        String oldToken = token("alice", ALICE_PASSWORD);
        String oldKid = kid(oldToken);
        assertThat(signingKids()).contains(oldKid);

        int keysPort = FreePorts.on(KafkaBroker.HOST);
        Map<String, String> config = keycloakConfig(keysPort);
        config.put("auth.token.keys.refresh.interval.ms", Long.toString(KEYS_REFRESH.toMillis()));
        stack.rest().createConnector(KEYS_CONNECTOR, config);
        try {
            stack.rest().awaitRunning(KEYS_CONNECTOR, 1);
            URI privateApp = URI.create("ws://" + KafkaBroker.HOST + ":" + keysPort + "/" + PRIVATE_APP);
            WsClient session = await("the bridge of " + KEYS_CONNECTOR + " accepting alice")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> WsClient.attempt(privateApp, bearer(oldToken), true), WsClient.Handshake::isOpen)
                    .client();
            try (session) {
                assertEventsArrive(session, PRIVATE_APP);

                // Rotate: a new RSA key with a higher priority signs from now on; the old one is removed.
                String realmId = keycloak.admin("GET", realmPath, null).path("id").asText();
                ObjectNode provider = JSON.createObjectNode()
                        .put("name", "rsa-rotated-it")
                        .put("providerId", "rsa-generated")
                        .put("providerType", "org.keycloak.keys.KeyProvider")
                        .put("parentId", realmId);
                ObjectNode providerConfig = provider.putObject("config");
                providerConfig.putArray("priority").add("1000");
                providerConfig.putArray("keySize").add("2048");
                providerConfig.putArray("algorithm").add("RS256");
                keycloak.admin("POST", realmPath + "/components", provider);
                for (JsonNode component : keycloak.admin("GET", realmPath
                        + "/components?type=org.keycloak.keys.KeyProvider", null)) {
                    if (component.path("providerId").asText().equals("rsa-generated")
                            && !component.path("name").asText().equals("rsa-rotated-it")) {
                        keycloak.admin("DELETE", realmPath + "/components/" + component.path("id").asText(), null);
                    }
                }
                long rotated = System.nanoTime();
                assertThat(signingKids()).as("the realm's published keys").doesNotContain(oldKid).isNotEmpty();

                // No token of the new key is shown to this bridge before: only the periodic refresh can drop the old.
                CloseStatus closed = session.awaitClose(KEYS_REFRESH.plus(REAUTHORIZE).plusSeconds(20));
                assertThat(closed.code()).as("closed: " + closed).isEqualTo(1008);
                assertThat(closed.reason()).isEqualTo("credentials no longer valid");
                assertThat(Duration.ofNanos(System.nanoTime() - rotated)).as("within refresh + re-authorization")
                        .isLessThan(KEYS_REFRESH.plus(REAUTHORIZE).plusSeconds(10));
                assertThat(status(privateApp, bearer(oldToken))).as("a new upgrade with the old key's token")
                        .isEqualTo(401);
            }

            String newToken = token("alice", ALICE_PASSWORD);
            assertThat(kid(newToken)).isNotEqualTo(oldKid);
            assertEventsArrive(privateApp, bearer(newToken), PRIVATE_APP);
            // The main connector learns the new key by its unknown id (at most one fetch per 30 s), and its service
            // account, whose token the removed key signed, logs in again.
            await("the main connector accepting a token of the new key").atMost(Duration.ofSeconds(45))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> status(uri("/" + PRIVATE_APP), bearer(newToken)) == 0);
            assertEventsArrive(uri("/" + PRIVATE_APP), bearer(newToken), PRIVATE_APP);
            assertEventsArrive(uri("/" + PRIVATE_APP), basic("alice", aliceKey), PRIVATE_APP);
            assertThat(readyz()).isEqualTo(200);
        } finally {
            stack.rest().delete(KEYS_CONNECTOR);
        }
    }

    // ---- outage (stops Keycloak: after the tests that need it)

    @Test
    @Order(30)
    void aKeycloakOutageKeepsOpenSessionsAndKnownCredentialsAndRefusesUnknownOnesWith503() {
        String alice = token("alice", ALICE_PASSWORD);
        String unusedKey = cli.createKey("bob"); // never shown to the bridge: nothing cached about it
        used(unusedKey);
        try (WsClient tokenSession = WsClient.connect(uri("/" + PRIVATE_APP), bearer(alice));
             WsClient keySession = WsClient.connect(uri("/" + PRIVATE_APP), basic("alice", aliceKey));
             WsClient anonymous = WsClient.connect(uri("/" + PUBLIC_APP), Map.of())) {
            assertEventsArrive(tokenSession, PRIVATE_APP);
            assertEventsArrive(keySession, PRIVATE_APP);
            assertEventsArrive(anonymous, PUBLIC_APP);

            keycloak.stop();
            try {
                await("/readyz reporting Keycloak unreachable").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(500)).until(() -> readyz() == 503);
                assertThat(status(uri("/" + PRIVATE_APP), basic("bob", unusedKey))).as("an unknown API key")
                        .isEqualTo(503);
                assertThat(status(uri("/never-asked-about"), Map.of())).as("an application never asked about")
                        .isEqualTo(503);

                // several reauthorization rounds with Keycloak down: the sessions stay and keep receiving
                long until = System.nanoTime() + CACHE_TTL.plus(REAUTHORIZE).multipliedBy(2).toNanos();
                while (System.nanoTime() < until) {
                    assertEventsArrive(tokenSession, PRIVATE_APP);
                    assertEventsArrive(keySession, PRIVATE_APP);
                    assertEventsArrive(anonymous, PUBLIC_APP);
                }
                assertThat(tokenSession.closeStatus()).isEmpty();
                assertThat(keySession.closeStatus()).isEmpty();
                assertThat(anonymous.closeStatus()).isEmpty();

                assertEventsArrive(uri("/" + PRIVATE_APP), bearer(alice), PRIVATE_APP);
                assertEventsArrive(uri("/" + PRIVATE_APP + apiKeyQuery("alice", aliceKey)), Map.of(), PRIVATE_APP);
                assertEventsArrive(uri("/" + PUBLIC_APP), Map.of(), PUBLIC_APP);
                assertThat(status(uri("/" + PRIVATE_APP), basic("bob", unusedKey))).as("still unknown").isEqualTo(503);
            } finally {
                keycloak.start();
            }

            await("the unknown key being answered once Keycloak is back").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> status(uri("/" + PUBLIC_APP), basic("bob", unusedKey)) == 0);
            assertEventsArrive(uri("/" + PUBLIC_APP), basic("bob", unusedKey), PUBLIC_APP);
            assertThat(status(uri("/" + PRIVATE_APP), basic("bob", unusedKey))).as("bob is no member").isEqualTo(404);
            String newAlice = token("alice", ALICE_PASSWORD);
            used(newAlice);
            assertEventsArrive(uri("/" + PRIVATE_APP), bearer(newAlice), PRIVATE_APP);
            await("/readyz").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> readyz() == 200);
            assertThat(tokenSession.closeStatus()).isEmpty();
        }
    }

    @Test
    @Order(40)
    void noTokenKeyOrSecretInTheWorkerLogs() {
        assertThat(credentialsUsed).hasSizeGreaterThan(10);
        for (Path log : workerLogs) {
            String text = logOf(log);
            assertThat(text).as(log.toString()).contains("io.wsbridge"); // the bridge logged there (DEBUG)
            for (String credential : credentialsUsed) {
                assertThat(text).as("a token or key in " + log).doesNotContain(credential);
                // a JWT's signature alone is as good as the token for a grep
                assertThat(text).doesNotContain(credential.substring(credential.lastIndexOf('.') + 1));
            }
            assertThat(text).as("anything that looks like a JWT or a wsbridge API key in " + log)
                    .doesNotContainPattern("eyJ[A-Za-z0-9_-]{10,}\\.eyJ")
                    .doesNotContainPattern("wsb_[0-9a-z]{8}_[0-9a-z]{52}");
            assertThat(text).as("the client secret in " + log).doesNotContain(KeycloakServer.BRIDGE_CLIENT_SECRET);
        }
    }

    // ---- helpers

    private Map<String, String> keycloakConfig(int wsPort) throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink-keycloak.json")
                .orElseThrow(() -> new IllegalStateException("no websocket-sink-keycloak.json in config/"));
        JsonNode shipped = JSON.readTree(file.toFile());
        Map<String, String> config = new LinkedHashMap<>();
        shipped.path("config").properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
        config.remove("topics.regex");
        config.put("topics", topic(PUBLIC_APP) + "," + topic(PRIVATE_APP));
        config.put("keycloak.url", keycloak.url());
        config.put("websocket.host", KafkaBroker.HOST);
        config.put("websocket.port", Integer.toString(wsPort));
        config.put("ops.port", Integer.toString(FreePorts.on(KafkaBroker.HOST))); // the shipped 8086, on a free port
        config.put("auth.reauthorize.interval.ms", Long.toString(REAUTHORIZE.toMillis()));
        config.put("auth.cache.ttl.ms", Long.toString(CACHE_TTL.toMillis()));
        config.put("kafka.bootstrap.servers", stack.kafka().bootstrapServers()); // ?from= reads Kafka
        return config;
    }

    private URI uri(String pathAndQuery) {
        return URI.create("ws://" + KafkaBroker.HOST + ":" + port + pathAndQuery);
    }

    private static String topic(String app) {
        return "events-" + app;
    }

    private String token(String user, String password) {
        String token = keycloak.passwordToken(user, password);
        used(token);
        return token;
    }

    private void used(String... credentials) {
        credentialsUsed.addAll(List.of(credentials));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static Map<String, String> basic(String user, String key) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + key).getBytes(StandardCharsets.UTF_8)));
    }

    private static String apiKeyQuery(String user, String key) {
        return "?username=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&api_key="
                + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }

    private sealed interface Credential permits Token, Key {
        Map<String, String> headers();

        String query();
    }

    private record Token(String token) implements Credential {
        public Map<String, String> headers() {
            return bearer(token);
        }

        public String query() {
            return "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        }
    }

    private record Key(String user, String key) implements Credential {
        public Map<String, String> headers() {
            return basic(user, key);
        }

        public String query() {
            return apiKeyQuery(user, key);
        }
    }

    /** The upgrade's status: 0 when it opened (the connection is closed again at once). */
    private static int status(URI uri, Map<String, String> headers) {
        WsClient.Handshake handshake = WsClient.attempt(uri, headers);
        if (handshake.isOpen()) {
            handshake.client().close();
            return 0;
        }
        return handshake.status();
    }

    /** Connects (the upgrade must succeed) and shows that a produced event arrives. */
    private void assertEventsArrive(URI uri, Map<String, String> headers, String app) {
        try (WsClient ws = WsClient.connect(uri, headers)) {
            assertEventsArrive(ws, app);
        }
    }

    /**
     * Produces events of {@code app} until one of them reaches {@code ws} (a connector that starts from
     * {@code latest} drops what comes before its consumer has a position). Frames of other tests' events on the
     * same topic are skipped.
     */
    private void assertEventsArrive(WsClient ws, String app) {
        long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String id = "kc-it-" + UUID.randomUUID();
            stack.events().sendBinary(topic(app), Events.event(app, "device-kc").withId(id));
            long roundEnd = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < roundEnd) {
                Optional<String> frame = ws.nextFrame(Duration.ofMillis(100));
                if (frame.isPresent() && id.equals(ItSupport.json(frame.get()).path("id").asText())) {
                    return;
                }
                if (ws.closeStatus().isPresent()) {
                    throw new AssertionError("the session on " + app + " was closed: " + ws.closeStatus().get());
                }
            }
        }
        throw new AssertionError("no event of " + app + " arrived within " + EVENTS_TIMEOUT);
    }

    /** Waits until the bridge counts {@code subscribers} subscribers and {@code groups} groups of {@code app}. */
    private void awaitSubscribersAndGroups(String app, int subscribers, int groups) {
        BridgeHttp http = new BridgeHttp(URI.create("http://" + KafkaBroker.HOST + ":" + opsPort + "/"));
        await("the bridge having " + subscribers + " subscribers in " + groups + " groups of " + app)
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    BridgeHttp.Scrape scrape = http.metrics();
                    return scrape.value("wsbridge_subscribers", "application", app) == subscribers
                            && scrape.value("wsbridge_groups", "application", app) == groups;
                });
    }

    /** Produces {@code count} events of {@code app} with ids of their own; returns the ids in the order sent. */
    private List<String> sendEvents(String app, int count) {
        String prefix = "kc-groups-" + UUID.randomUUID() + "-";
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
            stack.events().sendBinary(topic(app), Events.event(app, "device-" + i).withId(prefix + i));
        }
        return ids;
    }

    /**
     * The ids among {@code ours} that reach {@code ws}: it waits for {@code expected} of them (at most
     * {@link #EVENTS_TIMEOUT}), then one more second, so that an extra one would show. Frames of other events are
     * skipped.
     */
    private static List<String> idsReceived(WsClient ws, Set<String> ours, int expected) {
        List<String> ids = new ArrayList<>();
        long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
        while (ids.size() < expected && System.nanoTime() < deadline) {
            ws.nextFrame(Duration.ofMillis(200)).map(frame -> ItSupport.json(frame).path("id").asText())
                    .filter(ours::contains).ifPresent(ids::add);
        }
        long quietEnd = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < quietEnd) {
            ws.nextFrame(Duration.ofMillis(100)).map(frame -> ItSupport.json(frame).path("id").asText())
                    .filter(ours::contains).ifPresent(ids::add);
        }
        return ids;
    }

    /** The ids of the realm's published signing keys. */
    private List<String> signingKids() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(keycloak.issuer() + "/protocol/openid-connect/certs"))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            JsonNode keys = JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body()).path("keys");
            List<String> kids = new ArrayList<>();
            for (JsonNode key : keys) {
                if (key.path("use").asText("sig").equals("sig")) {
                    kids.add(key.path("kid").asText());
                }
            }
            return kids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String kid(String jwt) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0])).path("kid").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int readyz() {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + KafkaBroker.HOST + ":" + port + "/readyz"))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A plain (not TLS) upgrade on a wss:// port gets no WebSocket. */
    private static boolean plainUpgradeFails(int tlsPort) {
        try {
            WsClient.Handshake handshake = WsClient.attempt(URI.create("ws://127.0.0.1:" + tlsPort + "/" + PUBLIC_APP),
                    Map.of());
            if (handshake.isOpen()) {
                handshake.client().close();
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static Instant expiry(String jwt) {
        return Instant.ofEpochSecond(claims(jwt).path("exp").asLong());
    }

    private static ObjectNode claims(String jwt) {
        try {
            return (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static KeyPair rsaKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /** {@code jwt}'s header and claims (changed by {@code edit}), signed RS256 with {@code key} instead. */
    private static String resign(String jwt, KeyPair key, Consumer<ObjectNode> edit)
            throws Exception {
        String[] parts = jwt.split("\\.");
        ObjectNode claims = claims(jwt);
        edit.accept(claims);
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = parts[0] + "." + base64.encodeToString(JSON.writeValueAsBytes(claims));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key.getPrivate());
        signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + base64.encodeToString(signature.sign());
    }

    /** A well-formed key with the same key id and another secret. */
    private static String sameIdOtherSecret(String key) {
        String prefix = key.substring(0, key.lastIndexOf('_') + 1);
        String secret = key.substring(key.lastIndexOf('_') + 1);
        char first = secret.charAt(0) == 'a' ? 'b' : 'a';
        return prefix + first + secret.substring(1);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new AssertionError("keytool " + args[0] + " failed: " + output);
        }
    }

    private static SSLContext sslContextTrusting(Path trustStore, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(trustStore)) {
            store.load(in, password.toCharArray());
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), new SecureRandom());
        return context;
    }

    private static String logOf(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
