package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.auth.SessionAccess;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Filters that access control pins, on a real server with a policy of the test's own: a pinned member's sessions (both
 * transports) get only what the pin matches, combined with AND with what they ask for; a pin that is not valid is
 * refused without showing it; a changed pin ends the session with 1012.
 */
class PinnedFiltersTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration QUIET = Duration.ofMillis(300);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CAROL = "token=user:carol:60000";
    static final String ALICE = "token=user:alice:60000";

    final SessionAccessTest.FakePolicy policy = new SessionAccessTest.FakePolicy();
    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    void start(Duration reauthorizeInterval) {
        policy.members.add("alice");
        policy.members.add("carol");
        policy.pins.put("carol", List.of("device = 'd1'"));
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).reauthorizeInterval(reauthorizeInterval)
                .identity(new SessionAccessTest.FakeProvider(policy)).build());
    }

    URI uri(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + bridge.port() + pathAndQuery);
    }

    static String filter(String expression) {
        return "&filter=" + URLEncoder.encode(expression, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static Event event(String id, String device, String subject) {
        return new Event("app", subject, "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"test\","
                + "\"type\":\"t\",\"subject\":\"" + subject + "\",\"device\":\"" + device + "\"}");
    }

    /** Publishes four events: d1 alarm, d2 alarm, d1 telemetry, d2 telemetry (ids 1 to 4). */
    void publishFour() {
        bridge.publish(event("1", "d1", "alarm"));
        bridge.publish(event("2", "d2", "alarm"));
        bridge.publish(event("3", "d1", "telemetry"));
        bridge.publish(event("4", "d2", "telemetry"));
    }

    static List<String> ids(List<String> frames) {
        return frames.stream().map(frame -> {
            try {
                return JSON.readTree(frame).path("id").asText();
            } catch (Exception e) {
                throw new AssertionError(frame, e);
            }
        }).toList();
    }

    @Test
    void aPinnedMemberGetsOnlyWhatThePinMatchesAndWhatItAsksForNarrowsItFurther() throws Exception {
        start(Duration.ofHours(1));
        try (TestClient pinned = TestClient.connect(uri("/app?" + CAROL));
             TestClient pinnedAlarms = TestClient.connect(uri("/app?" + CAROL + filter("subject = 'alarm'")));
             TestClient pinnedWidening = TestClient.connect(uri("/app?" + CAROL + filter("true OR device = 'd2'")));
             TestClient pinnedOtherDevice = TestClient.connect(uri("/app?" + CAROL + filter("device = 'd2'")));
             TestClient full = TestClient.connect(uri("/app?" + ALICE))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 5);

            publishFour();

            assertThat(ids(full.take(4, WAIT))).containsExactly("1", "2", "3", "4");
            assertThat(ids(pinned.take(2, WAIT))).containsExactly("1", "3");
            assertThat(ids(pinnedAlarms.take(1, WAIT))).as("pin AND asked").containsExactly("1");
            assertThat(ids(pinnedWidening.take(2, WAIT))).as("an OR of its own does not widen the pin")
                    .containsExactly("1", "3");
            await().during(QUIET).atMost(WAIT).until(() -> pinned.drain().isEmpty() && pinnedAlarms.drain().isEmpty()
                    && pinnedWidening.drain().isEmpty() && pinnedOtherDevice.drain().isEmpty());
            assertThat(bridge.router().filters().distinct()).as("the pin, and the pin with each request")
                    .isEqualTo(4);
        }
    }

    @Test
    void aServerSentEventsStreamIsPinnedTheSameWay() throws Exception {
        start(Duration.ofHours(1));
        try (SseClient pinned = SseClient.open(bridge.port(), "/app?" + CAROL + filter("subject = 'telemetry'"))) {
            assertThat(pinned.status).isEqualTo(200);
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);

            publishFour();

            assertThat(JSON.readTree(pinned.take(WAIT).data()).path("id").asText()).isEqualTo("3");
            assertThat(pinned.messages.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void aPinThatIsNotValidIsRefusedWith403WithoutShowingItAndAnotherUserIsNotConcerned() throws Exception {
        start(Duration.ofHours(1));
        policy.pins.put("carol", List.of("device = 'd1' AND secret-tenant-name ="));

        SseClient refused = SseClient.open(bridge.port(), "/app?" + CAROL);
        assertThat(refused.status).isEqualTo(403);
        assertThat(refused.body).contains(Admission.PINNED_FILTER_INVALID).doesNotContain("secret-tenant-name");
        assertThat(TestClient.refusal(uri("/app?" + CAROL + filter("subject = 'alarm'")))).isEqualTo(403);
        TestClient.connect(uri("/app?" + ALICE)).close();
        assertThat(bridge.router().filters().distinct()).isZero();
    }

    @Test
    void aChangedPinEndsTheSessionWith1012AndTheClientGetsTheNewPinWhenItConnectsAgain() throws Exception {
        start(Duration.ofMillis(200));
        try (TestClient pinned = TestClient.connect(uri("/app?" + CAROL));
             TestClient full = TestClient.connect(uri("/app?" + ALICE))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 2);

            policy.pins.put("carol", List.of("device = 'd1' AND subject = 'alarm'"));

            assertThat(pinned.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.ACCESS_CHANGED);
            assertThat(pinned.closeReason.get(1, TimeUnit.SECONDS)).isEqualTo(SessionAccess.PINNED_FILTER_CHANGED);
            await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 1);
            assertThat(full.isOpen()).as("a member without a pin is not concerned").isTrue();

            try (TestClient again = TestClient.connect(uri("/app?" + CAROL))) {
                await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == 2);
                publishFour();
                assertThat(ids(again.take(1, WAIT))).containsExactly("1");
                assertThat(ids(full.take(4, WAIT))).hasSize(4);
                await().during(QUIET).atMost(WAIT).until(() -> again.drain().isEmpty());

                policy.pins.remove("carol");
                assertThat(again.closeCode.get(10, TimeUnit.SECONDS)).as("a lifted pin ends it too")
                        .isEqualTo(CloseCodes.ACCESS_CHANGED);
            }
            policy.members.remove("carol");
            assertThat(TestClient.refusal(uri("/app?" + CAROL))).isEqualTo(404);
            assertThat(full.isOpen()).isTrue();
        }
    }
}
