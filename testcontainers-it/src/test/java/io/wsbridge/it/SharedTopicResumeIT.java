package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.net.URLEncoder;
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
 * On a shared topic (one the topic pattern names no application in: each event's {@code application} extension
 * names its application), an application's cursor names every partition of the topic from where the task started,
 * also partitions it has had no event in yet: a resume neither reads them from their beginning (which would give
 * the application's events from before its subscriber came) nor skips one of its events.
 */
@ExtendWith(StackExtension.class)
class SharedTopicResumeIT {

    private static final String TOPIC = "shared-resume";
    private static final String APP = "shared-resume-a";
    private static final String OTHER = "shared-resume-b";
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SinkConnector sink;
    private static final List<String> beforeTheConnector = new ArrayList<>();

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, PARTITIONS);
        // events of the application in partition 1 that the connector never publishes: it starts at the log end
        for (int i = 0; i < 5; i++) {
            Events.CloudEvent event = Events.event(APP, "d").withId("old-" + i);
            beforeTheConnector.add(event.id());
            sendTo(stack, 1, event);
        }
        sink = SinkConnector.shipped(stack, "shared-resume-it", Map.of(
                "topics", TOPIC,
                "auth.public.applications", APP + "," + OTHER,
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers(),
                "consumer.override.auto.offset.reset", "latest"));
        sink.create().awaitRunning();
        sink.awaitFlowing(OTHER, TOPIC, PARTITIONS); // probes of the other application only
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    private static void sendTo(Stack stack, int partition, Events.CloudEvent event) {
        ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, event);
        stack.events().send(new ProducerRecord<>(TOPIC, partition, record.key(), record.value(), record.headers()));
    }

    @Test
    void aCursorNamesThePartitionsOfASharedTopicTheApplicationHadNoEventInYet(Stack stack) throws Exception {
        String cursor;
        try (WsClient subscriber = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT)) {
            sink.awaitSubscribers(APP, 1);
            List<String> own = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Events.CloudEvent event = Events.event(APP, "d").withId("new-" + i);
                own.add(event.id());
                sendTo(stack, 0, event); // the application's events in partition 0 only
                sendTo(stack, i % PARTITIONS, Events.event(OTHER, "d").withId("other-" + i));
            }
            List<String> frames = subscriber.awaitFrames(own.size(), WAIT);
            assertThat(frames.stream().map(SharedTopicResumeIT::id).toList()).containsExactlyElementsOf(own);
            cursor = JSON.readTree(frames.get(frames.size() - 1)).path("wsbridgecursor").asText();
        }

        try (WsClient resumed = WsClient.awaitConnect(sink.uri("/" + APP + "?from="
                + URLEncoder.encode(cursor, StandardCharsets.UTF_8)), Map.of(), WAIT)) {
            sink.awaitSubscribers(APP, 1);
            sendTo(stack, 2, Events.event(APP, "d").withId("after"));
            List<String> ids = new ArrayList<>();
            ids.add(id(resumed.awaitFrames(1, WAIT).get(0)));
            resumed.nextFrame(Duration.ofSeconds(1)).ifPresent(frame -> ids.add(id(frame)));
            assertThat(ids).as("only what came after the cursor, none of %s from before the subscriber",
                    beforeTheConnector).containsExactly("after");
        }
    }

    private static String id(String frame) {
        try {
            return JSON.readTree(frame).path("id").asText();
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + frame, e);
        }
    }
}
