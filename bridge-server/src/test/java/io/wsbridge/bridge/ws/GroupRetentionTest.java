package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.cli.ListHistory;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A group whose last member leaves keeps its place for {@code websocket.group.retention.ms}: the next member to join
 * gets what the group missed, replayed from history, then the live stream.
 */
class GroupRetentionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ListHistory history = new ListHistory();
    private Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    private void start(Duration retention) {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .groupRetention(retention).build());
        bridge.started("pub", ListHistory.PARTITION.topic(), 0, 0);
        bridge.history(history, 2);
    }

    private URI uri(String query) {
        return URI.create("ws://127.0.0.1:" + bridge.port() + "/pub" + query);
    }

    private void publish(int from, int until) {
        for (int n = from; n < until; n++) {
            bridge.publish(history.append(n));
        }
    }

    private static List<Integer> numbers(List<String> frames) throws Exception {
        List<Integer> numbers = new ArrayList<>();
        for (String frame : frames) {
            numbers.add(JSON.readTree(frame).path("n").asInt());
        }
        return numbers;
    }

    private static List<Integer> range(int from, int until) {
        List<Integer> numbers = new ArrayList<>();
        for (int n = from; n < until; n++) {
            numbers.add(n);
        }
        return numbers;
    }

    private void leave(TestClient member) {
        member.close();
        await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 0);
    }

    @Test
    void theNextMemberGetsWhatTheGroupMissedThenLive() throws Exception {
        start(Duration.ofMinutes(1));
        try (TestClient first = TestClient.connect(uri("?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            publish(0, 5);
            assertThat(numbers(first.take(5, WAIT))).isEqualTo(range(0, 5));
            leave(first);
        }
        assertThat(bridge.server().retainedGroups()).isEqualTo(1);
        publish(5, 105); // nobody of the group is there

        try (TestClient next = TestClient.connect(uri("?group_id=g"))) {
            assertThat(numbers(next.take(100, WAIT))).as("the 100 the group missed, in order").isEqualTo(range(5, 105));
            publish(105, 107);
            assertThat(numbers(next.take(2, WAIT))).isEqualTo(range(105, 107));
            assertThat(next.drain()).as("nothing twice").isEmpty();
            assertThat(bridge.server().retainedGroups()).as("the place was taken").isZero();
        }
    }

    @Test
    void anotherGroupAFilteredOneOrAPlaceThatExpiredStartsLive() throws Exception {
        start(Duration.ofMillis(300));
        try (TestClient first = TestClient.connect(uri("?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            publish(0, 2);
            first.take(2, WAIT);
            leave(first);
        }
        publish(2, 4);
        try (TestClient other = TestClient.connect(uri("?group_id=other"));
             TestClient filtered = TestClient.connect(uri("?group_id=g&filter=n%20%3D%201"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 2);
            Thread.sleep(400); // the place of g expires meanwhile
            try (TestClient late = TestClient.connect(uri("?group_id=g"))) {
                await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 3);
                publish(4, 5);
                assertThat(numbers(other.take(1, WAIT))).isEqualTo(List.of(4));
                assertThat(numbers(late.take(1, WAIT))).as("only live: the place expired").isEqualTo(List.of(4));
                assertThat(late.drain()).isEmpty();
                assertThat(other.drain()).isEmpty();
                assertThat(filtered.drain()).isEmpty();
            }
        }
    }

    @Test
    void eachLastMemberToLeaveLeavesThePlaceAfterWhatTheGroupHad() throws Exception {
        start(Duration.ofMinutes(1));
        try (TestClient first = TestClient.connect(uri("?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            publish(0, 3);
            first.take(3, WAIT);
            leave(first);
        }
        try (TestClient next = TestClient.connect(uri("?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            publish(3, 6);
            assertThat(numbers(next.take(3, WAIT))).isEqualTo(range(3, 6));
            leave(next);
        }
        publish(6, 8);
        try (TestClient third = TestClient.connect(uri("?group_id=g"))) {
            assertThat(numbers(third.take(2, WAIT))).as("after the last event the group had").isEqualTo(range(6, 8));
            assertThat(third.drain()).isEmpty();
        }
    }

    @Test
    void aLastMemberWhoseClientGotAWriteBeforeItsCompletionWasReportedLeavesThePlaceAfterIt() throws Exception {
        start(Duration.ofMinutes(1));
        SubscriberTest.StalledSession session = new SubscriberTest.StalledSession();
        Subscriber only = new Subscriber(bridge.server(), "pub", null, "g", Credentials.ANONYMOUS,
                AccessDecision.ANONYMOUS, "test");
        only.onOpen(session, Callback.NOOP);
        publish(0, 5); // 0 is written at once, 1 to 4 wait for that write
        session.pending.get(0).succeeded();
        await().atMost(WAIT).until(() -> session.pending.size() == 2); // 1 to 4, in one write
        assertThat(numbers(session.frames)).isEqualTo(range(0, 5));

        // The client got them all and closed; the write's completion is reported after the close.
        only.onClosed(new CloseStatus(CloseStatus.NORMAL, "bye"), Callback.NOOP);
        session.pending.get(1).succeeded();
        assertThat(bridge.server().retainedGroups()).isEqualTo(1);
        publish(5, 8);

        try (TestClient next = TestClient.connect(uri("?group_id=g"))) {
            assertThat(numbers(next.take(3, WAIT))).as("what the group missed, and nothing it had")
                    .isEqualTo(range(5, 8));
            await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> next.drain().isEmpty());
        }
    }
}
