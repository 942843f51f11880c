package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replay gives the events the task was given: the connector's transformations (Kafka's own {@code Filter} with a
 * {@code HasHeaderKey} predicate, and {@code InsertHeader}) apply to the records the replay reads as they did to the
 * task's, on the real stack.
 */
@ExtendWith(StackExtension.class)
class ReplayTransformsIT {

    private static final String APP = "replay-transforms";
    private static final String TOPIC = "events-" + APP;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        sink = SinkConnector.shipped(stack, "replay-transforms-it", Map.ofEntries(
                Map.entry("topics", TOPIC),
                Map.entry("auth.public.applications", APP),
                Map.entry("kafka.bootstrap.servers", stack.kafka().bootstrapServers()),
                Map.entry("transforms", "skip,region"),
                Map.entry("transforms.skip.type", "org.apache.kafka.connect.transforms.Filter"),
                Map.entry("transforms.skip.predicate", "marked"),
                Map.entry("transforms.region.type", "org.apache.kafka.connect.transforms.InsertHeader"),
                Map.entry("transforms.region.header", "ce_region"),
                Map.entry("transforms.region.value.literal", "eu"),
                Map.entry("predicates", "marked"),
                Map.entry("predicates.marked.type",
                        "org.apache.kafka.connect.transforms.predicates.HasHeaderKey"),
                Map.entry("predicates.marked.name", "skip")));
        sink.create().awaitRunning();
        sink.awaitFlowing(APP, TOPIC, 1);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void aReplayDropsAndChangesTheRecordsAsTheTasksTransformationsDid(Stack stack) throws Exception {
        List<String> kept = new ArrayList<>();
        List<String> live;
        try (WsClient subscriber = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT)) {
            sink.awaitSubscribers(APP, 1);
            for (int i = 0; i < 20; i++) {
                Events.CloudEvent event = Events.event(APP, "d").withId("t-" + i).withData("{\"i\":" + i + "}");
                ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, event);
                if (i % 4 == 0) {
                    record.headers().add("skip", "yes".getBytes(StandardCharsets.UTF_8));
                } else {
                    kept.add(event.id());
                }
                stack.events().send(record);
            }
            live = subscriber.awaitFrames(kept.size(), WAIT);
        }
        assertThat(ids(live)).as("live: the records the filter kept").containsExactlyElementsOf(kept);
        assertThat(live).allMatch(frame -> "eu".equals(tree(frame).path("region").asText()));

        try (WsClient replaying = WsClient.awaitConnect(sink.uri("/" + APP + "?from=earliest"), Map.of(), WAIT)) {
            List<String> replayed = new ArrayList<>();
            while (replayed.isEmpty() || !replayed.get(replayed.size() - 1).contains("\"t-19\"")) {
                replayed.add(replaying.awaitFrames(1, WAIT).get(0));
            }
            List<String> ours = replayed.stream().filter(frame -> tree(frame).path("id").asText().startsWith("t-"))
                    .toList();
            assertThat(ids(ours)).as("replayed: the same records, none the filter dropped")
                    .containsExactlyElementsOf(kept);
            assertThat(withoutCursor(ours)).as("replayed frames are the live ones, the header inserted")
                    .isEqualTo(withoutCursor(live));
            assertThat(replaying.nextFrame(Duration.ofSeconds(1))).as("nothing more").isEmpty();
        }
    }

    private static JsonNode tree(String frame) {
        try {
            return JSON.readTree(frame);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + frame, e);
        }
    }

    private static List<String> ids(List<String> frames) {
        return frames.stream().map(frame -> tree(frame).path("id").asText()).toList();
    }

    private static List<String> withoutCursor(List<String> frames) {
        return frames.stream().map(frame -> {
            ObjectNode node = (ObjectNode) tree(frame);
            node.remove("wsbridgecursor");
            return node.toString();
        }).toList();
    }
}
