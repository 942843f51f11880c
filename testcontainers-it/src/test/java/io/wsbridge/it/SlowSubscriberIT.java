package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.idsOf;
import static io.wsbridge.it.ItSupport.json;
import static io.wsbridge.it.ItSupport.receiveIds;
import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient.CloseStatus;
import io.wsbridge.it.harness.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A subscriber that stops reading neither slows the task nor the other subscribers; the overflow policy
 * decides what happens to it. The burst (12 MB) is far larger than what the TCP buffers and the slow
 * subscriber's small queue hold (about 1200 events of 4 KB here).
 *
 * <p>The burst goes out in chunks smaller than the queue, each once the reading subscriber has the previous
 * one: a reader is never more than a chunk behind, however busy the machine, so only the subscriber that
 * does not read can overflow. Were it to hold up the task, the reader would stop getting chunks.
 */
@ExtendWith(StackExtension.class)
class SlowSubscriberIT {

    private static final int QUEUE_SIZE = 256;
    private static final int BURST = 3000;
    /** Fewer events than the queue holds. */
    private static final int CHUNK = 200;
    /** About 4 KB of JSON data per event: a burst of 12 MB. */
    private static final String PADDING = "x".repeat(4000);
    private static final String CLOSE_APP = "slow-close";
    private static final String DROP_APP = "slow-drop";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static SinkConnector closing;
    private static SinkConnector dropping;

    @BeforeAll
    static void startConnectors(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), "events-" + CLOSE_APP, 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), "events-" + DROP_APP, 1);
        closing = SinkConnector.shipped(stack, "slow-close-it", Map.of(
                "topics.regex", "events-" + CLOSE_APP,
                "auth.public.applications", CLOSE_APP,
                "websocket.subscriber.queue.size", Integer.toString(QUEUE_SIZE),
                "websocket.subscriber.overflow.policy", "close"));
        dropping = SinkConnector.shipped(stack, "slow-drop-it", Map.of(
                "topics.regex", "events-" + DROP_APP,
                "auth.public.applications", DROP_APP,
                "websocket.subscriber.queue.size", Integer.toString(QUEUE_SIZE),
                "websocket.subscriber.overflow.policy", "drop-oldest"));
        closing.create();
        dropping.create();
        closing.awaitRunning().awaitFlowing(CLOSE_APP, "events-" + CLOSE_APP, 1);
        dropping.awaitRunning().awaitFlowing(DROP_APP, "events-" + DROP_APP, 1);
    }

    @AfterAll
    static void deleteConnectors() {
        for (SinkConnector sink : new SinkConnector[] {closing, dropping}) {
            if (sink != null) {
                sink.close();
            }
        }
    }

    @Test
    void underClosePolicyTheSlowSubscriberIsClosedWhileTheOthersGetEverything(Stack stack) {
        try (WsClient normal = WsClient.connect(closing.uri("/" + CLOSE_APP), Map.of());
             WsClient slow = WsClient.connect(closing.uri("/" + CLOSE_APP), Map.of(), false)) {
            closing.awaitSubscribers(CLOSE_APP, 2);
            burst(stack, CLOSE_APP, normal);
            assertTaskRunning(stack, closing);
            await("the server dropping the slow subscriber").atMost(Duration.ofSeconds(10))
                    .until(() -> closing.metric("wsbridge_subscribers", "application", CLOSE_APP) == 1);
            assertThat(closing.metric("wsbridge_slow_consumer_closes_total", "application", CLOSE_APP)).isEqualTo(1.0);
            assertThat(closing.metric("wsbridge_closes_total", "code", "1013")).isEqualTo(1.0);

            slow.startReading();
            CloseStatus closed = slow.awaitClose(Duration.ofSeconds(30));
            // 1013 if it reads the close frame in time; cut off (-1) if it reads only after the server gave up
            assertThat(closed.code()).as("how the slow subscriber ended: %s", closed).isIn(1013, -1);
            if (closed.code() == 1013) {
                assertThat(closed.reason()).isEqualTo("subscriber too slow: " + QUEUE_SIZE + " events queued");
            }
            assertThat(slow.pendingFrames()).as("frames the slow subscriber got before it was dropped").isLessThan(BURST);
            assertThat(normal.closeStatus()).as("the reading subscriber stays connected").isEmpty();
        }
    }

    @Test
    void underDropOldestPolicyTheSlowSubscriberStaysAndGetsTheNewestEvents(Stack stack) {
        try (WsClient normal = WsClient.connect(dropping.uri("/" + DROP_APP), Map.of());
             WsClient slow = WsClient.connect(dropping.uri("/" + DROP_APP), Map.of(), false)) {
            dropping.awaitSubscribers(DROP_APP, 2);
            List<String> sent = burst(stack, DROP_APP, normal);
            assertTaskRunning(stack, dropping);
            await("the slow subscriber's queue dropping events").atMost(Duration.ofSeconds(10))
                    .until(() -> dropping.metric("wsbridge_events_dropped_total", "application", DROP_APP) > 0);
            assertThat(slow.closeStatus()).as("the slow subscriber stays connected").isEmpty();
            assertThat(dropping.metric("wsbridge_subscribers", "application", DROP_APP)).isEqualTo(2.0);

            slow.startReading();
            List<String> received = new ArrayList<>();
            long[] announced = {0};
            String last = sent.get(BURST - 1);
            await("the slow subscriber reading up to the last event of the burst").atMost(WAIT).pollInterval(Duration.ZERO)
                    .until(() -> {
                        for (Optional<String> frame = slow.nextFrame(Duration.ofMillis(200)); frame.isPresent();
                             frame = slow.nextFrame(Duration.ofMillis(200))) {
                            var event = json(frame.get());
                            if (event.path("type").asText().equals("io.wsbridge.gap")) {
                                // the bridge's notice of the events dropped just before what follows
                                assertThat(event.path("source").asText()).isEqualTo("/wsbridge");
                                assertThat(event.path("data").path("reason").asText()).isEqualTo("overflow");
                                announced[0] += event.path("data").path("dropped").asLong();
                                continue;
                            }
                            received.add(event.path("id").asText());
                        }
                        return !received.isEmpty() && received.get(received.size() - 1).equals(last);
                    });
            assertThat(received).as("events dropped").hasSizeLessThan(BURST);
            assertThat(received).as("what is left is in order").doesNotHaveDuplicates()
                    .isSortedAccordingTo(Comparator.comparingInt(sent::indexOf));
            assertThat(received).as("its queue held the newest events")
                    .endsWith(sent.subList(BURST - QUEUE_SIZE, BURST).toArray(String[]::new));
            assertThat(dropping.metric("wsbridge_events_dropped_total", "application", DROP_APP))
                    .as("every event not received was counted as dropped").isEqualTo((double) (BURST - received.size()));
            assertThat(announced[0]).as("and announced to the subscriber in gap notices")
                    .isEqualTo(BURST - received.size());

            Events.CloudEvent after = Events.event(DROP_APP, "device-1");
            stack.events().sendBinary("events-" + DROP_APP, after);
            assertThat(receiveIds(slow, 1, WAIT)).containsExactly(after.id());
            assertThat(receiveIds(normal, 1, WAIT)).containsExactly(after.id());
        }
    }

    /**
     * Sends {@value #BURST} events of about 4 KB in chunks of {@value #CHUNK}, each once {@code reader} has
     * received the previous one in order; returns their ids in order.
     */
    private static List<String> burst(Stack stack, String application, WsClient reader) {
        List<String> sent = new ArrayList<>(BURST);
        for (int start = 0; start < BURST; start += CHUNK) {
            List<Events.CloudEvent> chunk = IntStream.range(start, Math.min(start + CHUNK, BURST))
                    .mapToObj(i -> Events.event(application, "device-1")
                            .withId(application + "-" + i)
                            .withData("{\"seq\":" + i + ",\"padding\":\"" + PADDING + "\"}"))
                    .toList();
            sendAll(stack.events(), chunk.stream().map(event -> Events.binaryRecord("events-" + application, event)).toList());
            assertThat(receiveIds(reader, chunk.size(), WAIT))
                    .as("the reading subscriber gets events %d to %d, in order", start, start + chunk.size() - 1)
                    .containsExactlyElementsOf(idsOf(chunk));
            sent.addAll(idsOf(chunk));
        }
        return sent;
    }

    private static void assertTaskRunning(Stack stack, SinkConnector sink) {
        ConnectorStatus status = stack.rest().status(sink.name());
        assertThat(status.isRunning(1)).as("task still RUNNING: %s", status.describe()).isTrue();
    }
}
