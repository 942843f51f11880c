package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The limits on Keycloak lookups against a real Keycloak (the development realm) and a real Connect worker running
 * the packaged plugin: a flood of upgrades to made-up application names from one client address is refused quickly
 * with 429 and {@code Retry-After}, costs Keycloak no lookup beyond the address's rate, and does not keep a client of
 * another address out; a made-up name asked twice is looked up once. Then a Keycloak outage longer than
 * {@code auth.cache.max.stale.ms}: sessions keep going on cached answers, then end with 1008, and new upgrades get
 * 503 with {@code Retry-After}. The outage runs last.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakLookupLimitsIT {

    private static final String PUBLIC_APP = "drogue-public-temperature";
    private static final String PRIVATE_APP = "acme-private";
    private static final String ALICE_PASSWORD = "alice-dev-password";
    private static final String HOST = KafkaBroker.HOST;
    private static final String FLOODER = "127.0.0.2";
    private static final String NEIGHBOUR = "127.0.0.3";
    private static final int BURST = 4;
    private static final int FLOOD = 200;
    private static final Duration MAX_STALE = Duration.ofSeconds(8);
    private static final Duration CACHE_TTL = Duration.ofSeconds(1);
    private static final Duration REAUTHORIZE = Duration.ofMillis(500);
    private static final Duration EVENTS_TIMEOUT = Duration.ofSeconds(30);
    private static final String TOO_OLD = "access could not be checked again: the identity provider has been"
            + " unreachable too long";

    private Stack stack;
    private KeycloakServer keycloak;
    /** Lookups limited to 2 per second and 4 at once per address, 2 at once in all; made-up names cached for 60 s. */
    private SinkConnector limited;
    /** Answers live 1 s and serve at most 8 s while Keycloak is unreachable; sessions are checked every 0.5 s. */
    private SinkConnector stale;

    @BeforeAll
    void deployConnectors(Stack stack, KeycloakServer keycloak) {
        this.stack = stack;
        this.keycloak = keycloak;
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PUBLIC_APP), 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PRIVATE_APP), 1);
        Map<String, String> limits = keycloakConfig();
        limits.put("topics", topic(PUBLIC_APP));
        limits.put("auth.lookups.max.concurrent", "2");
        limits.put("auth.lookups.per.address.per.second", "2");
        limits.put("auth.lookups.per.address.burst", Integer.toString(BURST));
        limits.put("auth.cache.negative.ttl.ms", "60000");
        limited = SinkConnector.shipped(stack, "lookup-limits-it", limits);
        Map<String, String> staleness = keycloakConfig();
        staleness.put("topics", topic(PUBLIC_APP) + "," + topic(PRIVATE_APP));
        staleness.put("auth.cache.ttl.ms", Long.toString(CACHE_TTL.toMillis()));
        staleness.put("auth.cache.negative.ttl.ms", Long.toString(CACHE_TTL.toMillis()));
        staleness.put("auth.cache.max.stale.ms", Long.toString(MAX_STALE.toMillis()));
        staleness.put("auth.reauthorize.interval.ms", Long.toString(REAUTHORIZE.toMillis()));
        stale = SinkConnector.shipped(stack, "lookup-stale-it", staleness);
        limited.create();
        stale.create();
        limited.awaitRunning().awaitFlowing(PUBLIC_APP, topic(PUBLIC_APP), 1);
        stale.awaitRunning().awaitFlowing(PUBLIC_APP, topic(PUBLIC_APP), 1);
    }

    @AfterAll
    void deleteConnectors() {
        SinkConnector.closeAll(limited, stale);
    }

    /**
     * 200 upgrades to made-up names from 127.0.0.2, one after the other: the first ones are looked up (404), then the
     * address is over its rate and the rest answer 429 with {@code Retry-After} at once, without a lookup. Meanwhile
     * 127.0.0.3 reads the public application, and asks twice about a made-up name: one lookup. The metrics count the
     * refusals, and the lookups are exactly the flood's 404s plus that one.
     */
    @Test
    @Order(1)
    void aFloodOfMadeUpNamesFromOneAddressIsRefusedWith429WhileAnotherAddressIsServed() throws Exception {
        try (RawWsClient first = RawWsClient.connectFrom(NEIGHBOUR, HOST, limited.port(), "/" + PUBLIC_APP)) {
            assertThat(first.handshake().status()).isEqualTo(101);
        }
        double lookupsBefore = limited.metric("wsbridge_identity_lookups_total", "kind", "application");
        double refusedBefore = limited.metric("wsbridge_upgrades_refused_total", "status", "429",
                "reason", "too_many_lookups_from_address");
        List<Answer> flood = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> flooding = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < FLOOD; i++) {
                flood.add(upgrade(limited, FLOODER, "/made-up-" + UUID.randomUUID()));
            }
        });
        await("the flood's first 429").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> flood.stream().anyMatch(answer -> answer.status() == 429));

        try (WsClient neighbour = WsClient.connect(limited.uri("/" + PUBLIC_APP), Map.of())) {
            String madeUp = "/no-such-application-" + UUID.randomUUID();
            assertThat(upgrade(limited, NEIGHBOUR, madeUp).status()).as("a made-up name from another address")
                    .isEqualTo(404);
            assertThat(upgrade(limited, NEIGHBOUR, madeUp).status()).as("the same name again").isEqualTo(404);
            assertThat(upgrade(limited, NEIGHBOUR, "/" + PUBLIC_APP).status()).as("the public application")
                    .isEqualTo(101);
            assertEventsArrive(limited, neighbour, PUBLIC_APP);
        }
        flooding.get();

        List<Answer> refused = flood.stream().filter(answer -> answer.status() == 429).toList();
        long lookedUp = flood.stream().filter(answer -> answer.status() == 404).count();
        assertThat(flood).as("what the flood got").extracting(Answer::status).containsOnly(404, 429);
        assertThat(refused).as("refused: all but the burst and what the rate let through").hasSizeGreaterThan(150)
                .allSatisfy(answer -> {
                    assertThat(answer.retryAfter()).as("Retry-After").isPresent();
                    assertThat(Integer.parseInt(answer.retryAfter().get())).isBetween(1, 2);
                    assertThat(answer.millis()).as("ms to a refusal").isLessThan(2_000);
                });
        assertThat(lookedUp).as("looked up: the burst and the rate").isGreaterThanOrEqualTo(BURST)
                .isLessThan(FLOOD - 150);
        await("the refusals counted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> limited.metric("wsbridge_upgrades_refused_total", "status", "429",
                        "reason", "too_many_lookups_from_address") == refusedBefore + refused.size());
        assertThat(limited.metric("wsbridge_identity_lookups_total", "kind", "application"))
                .as("application lookups: the flood's 404s and one for the name asked twice")
                .isEqualTo(lookupsBefore + lookedUp + 1);
        assertThat(limited.ops().get("/readyz").status()).as("Keycloak still counts as answering").isEqualTo(200);
    }

    /**
     * Keycloak stops. For {@code auth.cache.max.stale.ms} (8 s) from their last answer, an anonymous session on the
     * public application and a token session on a private one keep receiving events and a known client is admitted;
     * after it both end with 1008 and new upgrades are refused with 503 and {@code Retry-After}. Keycloak back, the
     * application is served again.
     */
    @Test
    @Order(30)
    void afterTheMaximumStalenessOfAnOutageSessionsEndWith1008AndUpgradesGet503() {
        String alice = keycloak.passwordToken("alice", ALICE_PASSWORD);
        Map<String, String> bearer = Map.of("Authorization", "Bearer " + alice);
        double closesBefore = stale.metric("wsbridge_closes_total", "code", "1008");
        try (WsClient anonymous = WsClient.connect(stale.uri("/" + PUBLIC_APP), Map.of());
             WsClient member = WsClient.connect(stale.uri("/" + PRIVATE_APP), bearer)) {
            assertEventsArrive(stale, anonymous, PUBLIC_APP);
            assertEventsArrive(stale, member, PRIVATE_APP);

            long stoppedAt = System.nanoTime();
            keycloak.stop();
            try {
                long stopped = System.nanoTime();
                // well past the TTL and several re-authorizations, within the maximum staleness
                while (System.nanoTime() - stopped < MAX_STALE.minus(CACHE_TTL).minus(REAUTHORIZE)
                        .minusSeconds(2).toNanos()) {
                    assertEventsArrive(stale, anonymous, PUBLIC_APP);
                    assertEventsArrive(stale, member, PRIVATE_APP);
                }
                assertThat(upgrade(stale, HOST, "/" + PUBLIC_APP).status())
                        .as("a known application, within the maximum").isEqualTo(101);

                WsClient.CloseStatus anonymousEnd = anonymous.awaitClose(MAX_STALE.plusSeconds(20));
                long closedAfter = Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();
                WsClient.CloseStatus memberEnd = member.awaitClose(MAX_STALE.plusSeconds(20));
                assertThat(anonymousEnd).isEqualTo(new WsClient.CloseStatus(1008, TOO_OLD));
                assertThat(memberEnd).isEqualTo(new WsClient.CloseStatus(1008, TOO_OLD));
                assertThat(closedAfter).as("ms from the stop to the first end")
                        .isGreaterThanOrEqualTo(MAX_STALE.minus(CACHE_TTL).minus(REAUTHORIZE).toMillis())
                        .isLessThan(MAX_STALE.plusSeconds(15).toMillis());

                Answer refused = upgrade(stale, HOST, "/" + PUBLIC_APP);
                assertThat(refused.status()).as("an upgrade after the maximum").isEqualTo(503);
                assertThat(refused.retryAfter()).as("Retry-After").isPresent();
                Answer member503 = upgrade(stale, HOST, "/" + PRIVATE_APP, bearer);
                assertThat(member503.status()).isEqualTo(503);
                await("the ends counted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                        .until(() -> stale.metric("wsbridge_closes_total", "code", "1008") == closesBefore + 2);
                assertThat(stale.metric("wsbridge_upgrades_refused_total", "status", "503",
                        "reason", "identity_provider_answers_too_old")).isGreaterThanOrEqualTo(2);
            } finally {
                keycloak.start();
            }
            await("the public application served again").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> upgrade(stale, HOST, "/" + PUBLIC_APP).status() == 101);
        }
    }

    // ---- helpers

    /** What an upgrade got: status, {@code Retry-After}, and how long the answer took. */
    private record Answer(int status, Optional<String> retryAfter, long millis) {
    }

    private static Answer upgrade(SinkConnector sink, String source, String path) {
        return upgrade(sink, source, path, Map.of());
    }

    private static Answer upgrade(SinkConnector sink, String source, String path, Map<String, String> headers) {
        long start = System.nanoTime();
        try (RawWsClient client = RawWsClient.attemptFrom(source, HOST, sink.port(), path, headers)) {
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            return new Answer(client.handshake().status(),
                    Optional.ofNullable(client.handshake().headers().get("retry-after")), millis);
        }
    }

    /**
     * Produces events of {@code app} until one of them reaches {@code ws}. Frames of other events are skipped; a
     * close fails.
     */
    private void assertEventsArrive(SinkConnector sink, WsClient ws, String app) {
        long deadline = System.nanoTime() + EVENTS_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String id = "lookups-it-" + UUID.randomUUID();
            sink.sendTo(topic(app), 0, Events.event(app, "device-lookups").withId(id));
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

    private Map<String, String> keycloakConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        // the realm's public flag, not the shipped static list, makes the public application public: a lookup
        config.put("auth.public.applications", "");
        config.put("keycloak.url", keycloak.url());
        config.put("keycloak.realm", KeycloakServer.REALM);
        config.put("keycloak.client.id", KeycloakServer.BRIDGE_CLIENT);
        config.put("keycloak.client.secret", KeycloakServer.BRIDGE_CLIENT_SECRET);
        return config;
    }

    private static String topic(String app) {
        return "events-" + app;
    }
}
