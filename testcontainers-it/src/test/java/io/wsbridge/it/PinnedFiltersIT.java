package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.SseStream;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import io.wsbridge.it.harness.WsClient.CloseStatus;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Filters that access control pins, against a real Keycloak, a real broker and a real Connect worker running the
 * packaged plugin: a private application of its own, a subgroup {@code site-north} whose attribute {@code filter} pins
 * its members to the north site's events, a member of that subgroup (carol), a member of the application's group
 * itself (erin) and a user of neither (dave). Carol's sessions, WebSocket and Server-Sent Events, get only what the pin
 * matches, combined with AND with what she asks for; dave is refused as before; narrowing the attribute ends carol's
 * session with 1012 and her next one gets only the new filter's events; removing her from the subgroup ends her
 * session with 1008. The users and groups are created for the run and deleted after it.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PinnedFiltersIT {

    private static final Duration REAUTHORIZE = Duration.ofMillis(2000);
    private static final Duration CACHE_TTL = Duration.ofMillis(1000);
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** How long after the expected events nothing else may arrive. */
    private static final Duration QUIET = Duration.ofSeconds(1);
    private static final String NORTH = "EXISTS site AND site = 'north'";
    private static final String NORTH_ALARMS = "EXISTS site AND site = 'north' AND subject = 'alarm'";

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String app = "pinned-it-" + run;
    private final String topic = "events-" + app;
    private final String password = "pinned-" + UUID.randomUUID();
    private final String carol = "carol-" + run;
    private final String dave = "dave-" + run;
    private final String erin = "erin-" + run;
    private final List<String> users = List.of(carol, dave, erin);

    private Stack stack;
    private KeycloakServer keycloak;
    private SinkConnector sink;
    private String appGroup;
    private String northGroup;

    @BeforeAll
    void setUp(Stack stack, KeycloakServer keycloak) throws IOException {
        this.stack = stack;
        this.keycloak = keycloak;
        appGroup = keycloak.createGroup("/applications", app);
        northGroup = keycloak.createGroup(appGroup, "site-north");
        keycloak.setGroupAttribute(northGroup, "filter", NORTH);
        for (String user : users) {
            keycloak.createUser(user, password);
        }
        keycloak.addUserToGroup(carol, northGroup);
        keycloak.addUserToGroup(erin, appGroup);

        SinkConnector.createTopicIfAbsent(stack.kafka(), topic, 1);
        sink = SinkConnector.shipped(stack, app, connectorConfig());
        sink.create().awaitRunning();
        try (WsClient everything = WsClient.connect(uri("/" + app), bearer(erin))) {
            awaitEventArriving(everything, this::northAlarm);
        }
    }

    @AfterAll
    void tearDown() {
        if (sink != null) {
            sink.close();
        }
        if (keycloak == null) {
            return;
        }
        for (String user : users) {
            try {
                keycloak.deleteUser(user);
            } catch (RuntimeException e) {
                // not created
            }
        }
        if (appGroup != null) {
            keycloak.deleteGroup(appGroup); // and its subgroup
        }
    }

    @Test
    @Order(1)
    void aPinnedMemberGetsOnlyTheMatchingEventsAndWhatSheAsksForIsCombinedWithAnd() {
        try (WsClient everything = WsClient.connect(uri("/" + app), bearer(erin));
             WsClient pinned = WsClient.connect(uri("/" + app), bearer(carol));
             WsClient pinnedAlarms = WsClient.connect(uri("/" + app + filter("subject = 'alarm'")), bearer(carol));
             WsClient pinnedWidening = WsClient.connect(uri("/" + app + filter("true OR site = 'south'")),
                     bearer(carol));
             WsClient pinnedSouth = WsClient.connect(uri("/" + app + filter("site = 'south'")), bearer(carol));
             SseStream pinnedStream = SseStream.open(http("/" + app), bearer(carol))) {
            assertThat(pinnedStream.status()).isEqualTo(200);
            sink.awaitSubscribers(app, 6);
            double membershipLookups = sink.metric("wsbridge_identity_lookups_total", "kind", "membership");

            String prefix = "pin-" + UUID.randomUUID() + "-";
            List<Events.CloudEvent> events = new ArrayList<>();
            for (int round = 0; round < 10; round++) {
                events.add(event(prefix + round + "-north-alarm", "alarm", "north"));
                events.add(event(prefix + round + "-south-alarm", "alarm", "south"));
                events.add(event(prefix + round + "-north-telemetry", "telemetry", "north"));
                events.add(event(prefix + round + "-no-site", "alarm", null));
            }
            events.forEach(event -> sink.sendTo(topic, 0, event));
            List<String> all = events.stream().map(Events.CloudEvent::id).toList();
            List<String> north = all.stream().filter(id -> id.contains("-north-")).toList();
            List<String> northAlarms = all.stream().filter(id -> id.endsWith("-north-alarm")).toList();

            assertThat(received(everything, prefix, all.size())).as("a member of the application's group: everything")
                    .containsExactlyElementsOf(all);
            assertThat(received(pinned, prefix, north.size())).as("the pin").containsExactlyElementsOf(north);
            assertThat(received(pinnedAlarms, prefix, northAlarms.size())).as("the pin AND what she asks for")
                    .containsExactlyElementsOf(northAlarms);
            assertThat(received(pinnedWidening, prefix, north.size())).as("an OR of her own does not widen the pin")
                    .containsExactlyElementsOf(north);
            assertThat(received(pinnedSouth, prefix, 0)).as("the pin AND another site: nothing").isEmpty();
            assertThat(receivedSse(pinnedStream, prefix, north.size())).as("Server-Sent Events are pinned the same")
                    .containsExactlyElementsOf(north);

            assertThat(sink.metric("wsbridge_identity_lookups_total", "kind", "membership") - membershipLookups)
                    .as("pins come with cached membership answers: no Keycloak lookup per event (%d events, 6 "
                            + "sessions; re-authorization rounds refresh the expired answers meanwhile)", events.size())
                    .isLessThan(events.size());
            assertThat(sink.metric("wsbridge_filters")).as("the pin, and the pin with each of three requests")
                    .isEqualTo(4);
        }
    }

    @Test
    @Order(2)
    void aUserWhoIsInNoGroupOfTheApplicationIsRefusedAsBefore() {
        assertThat(status(uri("/" + app), bearer(dave))).isEqualTo(404);
        assertThat(status(uri("/" + app + filter(NORTH)), bearer(dave))).as("asking for the pin grants nothing")
                .isEqualTo(404);
        assertThat(SseStream.open(http("/" + app), bearer(dave)).status()).isEqualTo(404);
        assertThat(status(uri("/" + app), Map.of())).as("anonymous").isEqualTo(404);
    }

    @Test
    @Order(3)
    void narrowingThePinEndsTheSessionWith1012AndTheNextSessionGetsOnlyWhatTheNewPinMatches() {
        try (WsClient everything = WsClient.connect(uri("/" + app), bearer(erin));
             WsClient pinned = WsClient.connect(uri("/" + app), bearer(carol));
             SseStream pinnedStream = SseStream.open(http("/" + app), bearer(carol))) {
            awaitEventArriving(pinned, this::northTelemetry);
            long changed = System.nanoTime();
            keycloak.setGroupAttribute(northGroup, "filter", NORTH_ALARMS);
            try {
                CloseStatus closed = pinned.awaitClose(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(10));
                Duration took = Duration.ofNanos(System.nanoTime() - changed);
                assertThat(closed.code()).as("closed: " + closed).isEqualTo(1012);
                assertThat(closed.reason())
                        .isEqualTo("access changed: the filter your access is restricted to changed; connect again");
                assertThat(took).as("within cache TTL + reauthorization interval (+ slack for this machine)")
                        .isLessThan(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(5));
                JsonNode notice = closingNotice(pinnedStream);
                assertThat(notice.path("data").path("code").asInt()).isEqualTo(1012);
                assertThat(everything.closeStatus()).as("a member without a pin is not concerned").isEmpty();

                try (WsClient again = WsClient.connect(uri("/" + app), bearer(carol))) {
                    sink.awaitSubscribers(app, 2);
                    String prefix = "narrowed-" + UUID.randomUUID() + "-";
                    List<Events.CloudEvent> events = List.of(event(prefix + "north-telemetry", "telemetry", "north"),
                            event(prefix + "north-alarm", "alarm", "north"),
                            event(prefix + "south-alarm", "alarm", "south"));
                    events.forEach(event -> sink.sendTo(topic, 0, event));
                    assertThat(received(again, prefix, 1)).as("only the new pin's events")
                            .containsExactly(prefix + "north-alarm");
                    assertThat(received(everything, prefix, 3)).hasSize(3);
                }
            } finally {
                keycloak.setGroupAttribute(northGroup, "filter", NORTH);
            }
        }
    }

    @Test
    @Order(4)
    void removingTheMemberFromThePinnedGroupEndsHerSessionWith1008() {
        await("carol's pin being the north site's again").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    try (WsClient probe = WsClient.connect(uri("/" + app), bearer(carol))) {
                        return eventArrives(probe, this::northTelemetry, Duration.ofSeconds(3));
                    }
                });
        try (WsClient pinned = WsClient.connect(uri("/" + app), bearer(carol))) {
            awaitEventArriving(pinned, this::northTelemetry);
            long removed = System.nanoTime();
            keycloak.removeUserFromGroup(carol, northGroup);

            CloseStatus closed = pinned.awaitClose(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(10));
            assertThat(closed.code()).as("closed: " + closed).isEqualTo(1008);
            assertThat(closed.reason()).isEqualTo("access revoked");
            assertThat(Duration.ofNanos(System.nanoTime() - removed))
                    .isLessThan(CACHE_TTL.plus(REAUTHORIZE).plusSeconds(5));
            assertThat(status(uri("/" + app), bearer(carol))).as("a new attempt").isEqualTo(404);
        }
    }

    // ---- helpers

    private Map<String, String> connectorConfig() throws IOException {
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
        return config;
    }

    private URI uri(String pathAndQuery) {
        return sink.uri(pathAndQuery);
    }

    /** The same route over plain HTTP, for Server-Sent Events. */
    private URI http(String pathAndQuery) {
        return URI.create("http://" + KafkaBroker.HOST + ":" + sink.port() + pathAndQuery);
    }

    private Map<String, String> bearer(String user) {
        return Map.of("Authorization", "Bearer " + keycloak.passwordToken(user, password));
    }

    private static String filter(String expression) {
        return "?filter=" + URLEncoder.encode(expression, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** An event of the application with the subject and, unless {@code null}, the extension {@code site}. */
    private Events.CloudEvent event(String id, String subject, String site) {
        Events.CloudEvent event = Events.event(app, "device-1").withId(id).withSubject(subject);
        return site == null ? event : event.withExtension("site", site);
    }

    private Events.CloudEvent northAlarm(String id) {
        return event(id, "alarm", "north");
    }

    private Events.CloudEvent northTelemetry(String id) {
        return event(id, "telemetry", "north");
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

    /**
     * Produces events until one of them reaches {@code ws} (the connector's consumer may not have its position yet, a
     * refreshed answer may still be on its way).
     */
    private void awaitEventArriving(WsClient ws, Function<String, Events.CloudEvent> event) {
        await("an event reaching " + ws).atMost(WAIT).pollInterval(Duration.ZERO).until(() -> {
            if (ws.closeStatus().isPresent()) {
                throw new AssertionError("the session was closed: " + ws.closeStatus().get());
            }
            return eventArrives(ws, event, Duration.ofSeconds(1));
        });
    }

    /** Produces one event and waits {@code within} for it to reach {@code ws}; {@code false} if it did not. */
    private boolean eventArrives(WsClient ws, Function<String, Events.CloudEvent> event, Duration within) {
        String id = "probe-" + UUID.randomUUID();
        sink.sendTo(topic, 0, event.apply(id));
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> frame = ws.nextFrame(Duration.ofMillis(100));
            if (frame.isPresent() && id.equals(ItSupport.json(frame.get()).path("id").asText())) {
                return true;
            }
            if (ws.closeStatus().isPresent()) {
                return false;
            }
        }
        return false;
    }

    /**
     * The ids starting with {@code prefix} that reach {@code ws}: it waits for {@code expected} of them (at most
     * {@link #WAIT}), then {@link #QUIET}, so that an extra one would show. Other frames (probes) are skipped.
     */
    private static List<String> received(WsClient ws, String prefix, int expected) {
        List<String> ids = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ids.size() < expected && System.nanoTime() < deadline) {
            ws.nextFrame(Duration.ofMillis(200)).map(frame -> ItSupport.json(frame).path("id").asText())
                    .filter(id -> id.startsWith(prefix)).ifPresent(ids::add);
        }
        long quietEnd = System.nanoTime() + QUIET.toNanos();
        while (System.nanoTime() < quietEnd) {
            ws.nextFrame(Duration.ofMillis(100)).map(frame -> ItSupport.json(frame).path("id").asText())
                    .filter(id -> id.startsWith(prefix)).ifPresent(ids::add);
        }
        return ids;
    }

    /** As {@link #received}, from a Server-Sent Events stream. */
    private static List<String> receivedSse(SseStream stream, String prefix, int expected) {
        List<String> ids = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        long quietEnd = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietEnd)) {
            stream.next(Duration.ofMillis(100)).map(message -> ItSupport.json(message.data()).path("id").asText())
                    .filter(id -> id.startsWith(prefix)).ifPresent(ids::add);
            if (ids.size() >= expected && quietEnd == Long.MAX_VALUE) {
                quietEnd = System.nanoTime() + QUIET.toNanos();
            }
        }
        return ids;
    }

    /** The {@code io.wsbridge.closed} notice that ends a stream, skipping the events before it. */
    private static JsonNode closingNotice(SseStream stream) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<SseStream.Message> message = stream.next(Duration.ofMillis(200));
            if (message.isPresent()) {
                JsonNode event = ItSupport.json(message.get().data());
                if ("io.wsbridge.closed".equals(event.path("type").asText())) {
                    return event;
                }
            } else if (stream.ended()) {
                break;
            }
        }
        throw new AssertionError("the stream did not end with io.wsbridge.closed within " + WAIT);
    }
}
