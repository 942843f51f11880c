package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.ManyWsClients;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many WebSocket sessions, authenticated with real Keycloak tokens that expire soon, all send
 * {@code {"RefreshAccessToken": ...}} with a fresh token (one of its own each) at the same moment, while the
 * membership of some of their users is revoked. The protocol has no acknowledgement of a refresh: a refresh that was
 * dropped shows as a session closed with 1008 when its first token expires. So:
 * <ul>
 *   <li>every session of a user who stays a member is still open well after the first tokens expired, and receives
 *       every event produced then (so each refresh was applied);</li>
 *   <li>every session of a revoked user is closed with 1008 (by the check of its refresh or by re-authorization),
 *       and no other session is.</li>
 * </ul>
 * Sessions use {@code ?token=}, spread over {@value #USERS} users, of a private application created for the run.
 * {@link TokenRefreshUnderLoadIT} runs it with 1,500 sessions, {@link TokenRefreshHeavyIT} with 10,000.
 */
final class TokenRefreshStorm {

    private static final Logger LOG = LoggerFactory.getLogger(TokenRefreshStorm.class);
    static final int USERS = 20;
    /** Users whose membership is revoked during the storm: 2 of 20, a tenth of the sessions. */
    private static final int REVOKED_USERS = 2;
    private static final int EVENTS = 5;
    private static final Duration CACHE_TTL = Duration.ofSeconds(1);
    private static final Duration REAUTHORIZE = Duration.ofSeconds(2);
    private static final List<String> SOURCE_ADDRESSES = IntStream.rangeClosed(1, 8).mapToObj(i -> "127.0.0." + i)
            .toList();

    private final Stack stack;
    private final KeycloakServer keycloak;
    private final int sessions;
    private final Duration firstLifespan;
    private final Duration wait;

    /**
     * @param sessions WebSocket sessions
     * @param firstLifespan how long their first tokens live: enough to connect them all and send the refreshes
     * @param wait the limit of each wait (connecting, closing, receiving)
     */
    TokenRefreshStorm(Stack stack, KeycloakServer keycloak, int sessions, Duration firstLifespan, Duration wait) {
        this.stack = stack;
        this.keycloak = keycloak;
        this.sessions = sessions;
        this.firstLifespan = firstLifespan;
        this.wait = wait;
    }

    void run() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String app = "refresh-storm-" + run;
        String topic = "events-" + app;
        String password = "load-" + UUID.randomUUID();
        List<String> users = IntStream.range(0, USERS).mapToObj(i -> "storm-" + run + "-" + i).toList();
        String group = keycloak.createGroup("/applications", app);
        try {
            for (String user : users) {
                keycloak.createUser(user, password);
                keycloak.addUserToGroup(user, group);
            }
            SinkConnector.createTopicIfAbsent(stack.kafka(), topic, 1);
            try (SinkConnector sink = connector(app, topic)) {
                sink.create().awaitRunning();
                storm(sink, app, topic, group, users, password);
            }
        } finally {
            for (String user : users) {
                try {
                    keycloak.deleteUser(user);
                } catch (RuntimeException e) {
                    LOG.debug("user {} was not created", user, e);
                }
            }
            keycloak.deleteGroup(group);
        }
    }

    private void storm(SinkConnector sink, String app, String topic, String group, List<String> users, String password)
            throws Exception {
        // The fresh tokens first, one per session, from each user's refresh token; then the short first tokens.
        List<String> refreshTokens = users.stream()
                .map(user -> keycloak.passwordTokens(KeycloakServer.REALM, KeycloakServer.USER_CLIENT, user, password)
                        .path("refresh_token").asText())
                .toList();
        long minting = System.nanoTime();
        List<String> fresh = freshTokens(refreshTokens);
        LOG.info("{} fresh tokens minted in {} ms", fresh.size(), (System.nanoTime() - minting) / 1_000_000);
        List<String> first = shortLivedTokens(users, password);
        Instant firstExpiry = first.stream().map(TokenRefreshStorm::expiry).max(Instant::compareTo).orElseThrow();

        long connecting = System.nanoTime();
        try (ManyWsClients clients = ManyWsClients.open(KafkaBroker.HOST, sink.port(),
                index -> "/" + app + "?token=" + URLEncoder.encode(first.get(index % USERS), StandardCharsets.UTF_8),
                sessions, SOURCE_ADDRESSES, "storm-")) {
            clients.awaitOpen(wait);
            await("the bridge registering " + sessions + " subscribers").atMost(wait)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> sink.metric("wsbridge_subscribers", "application", app) == sessions);
            LOG.info("{} sessions open in {} ms; their first tokens expire at {}, in {} s", sessions,
                    (System.nanoTime() - connecting) / 1_000_000, firstExpiry,
                    Duration.between(Instant.now(), firstExpiry).toSeconds());
            assertThat(Instant.now()).as("all sessions open before their first tokens expire (raise the lifespan)")
                    .isBefore(firstExpiry.minusSeconds(5));

            int sent = clients.sendText(index -> "{\"RefreshAccessToken\":\"" + fresh.get(index) + "\"}");
            for (int revoked = 0; revoked < REVOKED_USERS; revoked++) {
                keycloak.removeUserFromGroup(users.get(revoked), group);
            }
            LOG.info("{} refreshes sent at once, {} users revoked", sent, REVOKED_USERS);
            assertThat(sent).isEqualTo(sessions);

            await("every session of a revoked user closed").atMost(wait).pollInterval(Duration.ofMillis(500))
                    .until(() -> IntStream.range(0, sessions).filter(TokenRefreshStorm::revoked)
                            .allMatch(index -> clients.closeCode(index) != 0));
            await("the first tokens expired, and a little more").atMost(firstLifespan.plus(wait))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> Instant.now().isAfter(firstExpiry.plusSeconds(3)));

            Map<Integer, Integer> codesOfRevoked = new TreeMap<>();
            Map<Integer, Integer> endedOthers = new LinkedHashMap<>();
            for (int index = 0; index < sessions; index++) {
                int code = clients.closeCode(index);
                if (revoked(index)) {
                    codesOfRevoked.merge(code, 1, Integer::sum);
                } else if (code != 0) {
                    endedOthers.put(index, code);
                }
            }
            assertThat(endedOthers.size()).as("sessions of members that ended, of %d (the first, by index, with their"
                    + " close code: %s); %s", sessions - sessions / USERS * REVOKED_USERS,
                    endedOthers.entrySet().stream().limit(10).toList(), clients).isZero();
            assertThat(codesOfRevoked).as("close codes of the revoked users' sessions")
                    .containsOnlyKeys(1008);

            sendAll(stack.events(), IntStream.range(0, EVENTS)
                    .mapToObj(i -> Events.binaryRecord(topic, Events.event(app, "device-1").withId("storm-" + i)))
                    .toList());
            clients.awaitEveryOpenConnectionReceived(EVENTS, wait);
            assertThat(clients.sequenceErrors()).as("%s", clients).isZero();
            LOG.info("after the first tokens expired every member's session received all {} events: {}", EVENTS,
                    clients);
        }
    }

    /** Whether session {@code index} belongs to a user whose membership is revoked. */
    private static boolean revoked(int index) {
        return index % USERS < REVOKED_USERS;
    }

    /** One fresh access token per session (distinct: each refresh grant issues a new one), minted 4 at a time. */
    private List<String> freshTokens(List<String> refreshTokens) throws Exception {
        JsonNode realm = keycloak.admin("GET", "/admin/realms/" + KeycloakServer.REALM, null);
        int lifespan = realm.path("accessTokenLifespan").asInt();
        keycloak.setRealmAttribute("accessTokenLifespan", 1800);
        ExecutorService minters = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> tokens = new ArrayList<>(sessions);
            for (int index = 0; index < sessions; index++) {
                String refreshToken = refreshTokens.get(index % USERS);
                tokens.add(minters.submit(() -> keycloak.refreshTokens(refreshToken).path("access_token").asText()));
            }
            List<String> result = new ArrayList<>(sessions);
            for (Future<String> token : tokens) {
                result.add(token.get());
            }
            return result;
        } finally {
            minters.shutdownNow();
            keycloak.setRealmAttribute("accessTokenLifespan", lifespan);
        }
    }

    /** One token per user that lives {@link #firstLifespan}. */
    private List<String> shortLivedTokens(List<String> users, String password) {
        JsonNode realm = keycloak.admin("GET", "/admin/realms/" + KeycloakServer.REALM, null);
        int lifespan = realm.path("accessTokenLifespan").asInt();
        keycloak.setRealmAttribute("accessTokenLifespan", (int) firstLifespan.toSeconds());
        try {
            return users.stream().map(user -> keycloak.passwordToken(user, password)).toList();
        } finally {
            keycloak.setRealmAttribute("accessTokenLifespan", lifespan);
        }
    }

    /** The shipped Keycloak connector (audience set) on free ports, reading {@code topic} from its start. */
    private SinkConnector connector(String app, String topic) throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink-keycloak.json")
                .orElseThrow(() -> new IllegalStateException("no websocket-sink-keycloak.json in config/"));
        Map<String, String> config = new LinkedHashMap<>();
        ItSupport.JSON.readTree(file.toFile()).path("config").properties()
                .forEach(e -> config.put(e.getKey(), e.getValue().asText()));
        config.keySet().removeAll(List.of("websocket.host", "websocket.port", "ops.host", "ops.port", "topics.regex"));
        config.put("topics", topic);
        config.put("keycloak.url", keycloak.url());
        config.put("consumer.override.auto.offset.reset", "earliest");
        config.put("auth.cache.ttl.ms", Long.toString(CACHE_TTL.toMillis()));
        config.put("auth.reauthorize.interval.ms", Long.toString(REAUTHORIZE.toMillis()));
        config.put("websocket.max.connections", Integer.toString(sessions + 100));
        config.put("websocket.max.connections.per.address", Integer.toString(sessions + 100));
        // Twenty users connect at once: more distinct Keycloak lookups at a time than the default 8, over which an
        // upgrade is refused with 503 and Retry-After (a real client retries; these do not).
        config.put("auth.lookups.max.concurrent", "64");
        return SinkConnector.shipped(stack, app + "-it", config);
    }

    private static Instant expiry(String jwt) {
        try {
            JsonNode claims = ItSupport.JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
            return Instant.ofEpochSecond(claims.path("exp").asLong());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
