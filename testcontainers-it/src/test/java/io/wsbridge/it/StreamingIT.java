package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.ids;
import static io.wsbridge.it.ItSupport.idsOf;
import static io.wsbridge.it.ItSupport.json;
import static io.wsbridge.it.ItSupport.sendAll;
import static io.wsbridge.it.ItSupport.toPartition;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Drogue-style CloudEvents produced to Kafka reach WebSocket subscribers as structured JSON CloudEvents:
 * unchanged, in partition order, filtered by channel.
 */
@ExtendWith(StackExtension.class)
class StreamingIT {

    private static final String APP = "drogue-public-temperature";
    private static final String TOPIC = "events-" + APP;
    private static final String PARTITIONED_APP = "streaming-partitioned";
    private static final String PARTITIONED_TOPIC = "events-" + PARTITIONED_APP;
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration QUIET = Duration.ofMillis(500);

    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), PARTITIONED_TOPIC, PARTITIONS);
        sink = SinkConnector.shipped(stack, "streaming-it", Map.of(
                "topics.regex", TOPIC + "|" + PARTITIONED_TOPIC,
                "auth.public.applications", APP + "," + PARTITIONED_APP));
        sink.create().awaitRunning();
        sink.awaitFlowing(APP, TOPIC, 1);
        sink.awaitFlowing(PARTITIONED_APP, PARTITIONED_TOPIC, PARTITIONS);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void binaryModeDrogueEventsArriveUnchangedAndInOrder(Stack stack) {
        List<Events.CloudEvent> sent = IntStream.range(0, 200)
                .mapToObj(i -> Events.event(APP, "device-" + i % 4)
                        .withExtension("instance", "drogue")
                        .withData("{\"temp\":" + (20 + i % 10) + ".5,\"seq\":" + i + "}"))
                .toList();

        try (WsClient ws = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            sendAll(stack.events(), sent.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());

            List<String> frames = ws.awaitFrames(sent.size(), WAIT);
            assertThat(ids(frames)).containsExactlyElementsOf(idsOf(sent));
            for (int i = 0; i < sent.size(); i++) {
                assertSameEvent(frames.get(i), sent.get(i));
            }
            assertThat(json(frames.get(0)).path("data").isObject()).as("JSON data stays a JSON object").isTrue();
            assertThat(ws.nextFrame(QUIET)).as("no frame beyond the events sent").isEmpty();
            assertThat(ws.binaryFrames()).isZero();
        }
    }

    @Test
    void structuredModeEventsArriveUnchanged(Stack stack) {
        List<Events.CloudEvent> sent = List.of(
                Events.event(APP, "device-1").withData("{\"temp\":19.5,\"tags\":[\"a\",\"b\"],\"ok\":true}"),
                Events.event(APP, "device-2").withData("text/plain", "door opened".getBytes(StandardCharsets.UTF_8)),
                Events.event(APP, "device-3").withData("application/octet-stream", new byte[] {0, 1, 2, (byte) 0xff}),
                Events.event(APP, "device-4").withSubject("door").withExtension("instance", "drogue"));

        try (WsClient ws = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            sendAll(stack.events(), sent.stream().map(event -> Events.structuredRecord(TOPIC, event)).toList());

            List<String> frames = ws.awaitFrames(sent.size(), WAIT);
            for (int i = 0; i < sent.size(); i++) {
                assertSameEvent(frames.get(i), sent.get(i));
            }
            assertThat(ws.nextFrame(QUIET)).isEmpty();
        }
    }

    @Test
    void channelSubscribersGetOnlyTheEventsWithTheirSubject(Stack stack) {
        List<String> subjects = List.of("telemetry", "door", "building/door");
        List<Events.CloudEvent> sent = IntStream.range(0, 30)
                .mapToObj(i -> Events.event(APP, "device-1").withSubject(subjects.get(i % subjects.size())))
                .toList();

        try (WsClient all = WsClient.connect(sink.uri("/" + APP), Map.of());
             WsClient door = WsClient.connect(sink.uri("/" + APP + "/door"), Map.of());
             WsClient buildingDoor = WsClient.connect(sink.uri("/" + APP + "/building%2Fdoor"), Map.of())) {
            sink.awaitSubscribers(APP, 3);
            sendAll(stack.events(), sent.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());

            assertThat(ids(all.awaitFrames(30, WAIT))).containsExactlyElementsOf(idsOf(sent));
            assertThat(ids(door.awaitFrames(10, WAIT)))
                    .containsExactlyElementsOf(idsOf(sent.stream().filter(e -> e.subject().equals("door")).toList()));
            assertThat(ids(buildingDoor.awaitFrames(10, WAIT)))
                    .containsExactlyElementsOf(idsOf(sent.stream().filter(e -> e.subject().equals("building/door")).toList()));
            assertThat(door.nextFrame(QUIET)).as("no other subject on /door").isEmpty();
            assertThat(buildingDoor.nextFrame(Duration.ZERO)).as("no other subject on /building%2Fdoor").isEmpty();
        }
    }

    @Test
    void eventsOfAMultiPartitionTopicKeepTheirPartitionOrder(Stack stack) {
        int perPartition = 50;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < perPartition; seq++) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                Events.CloudEvent event = Events.event(PARTITIONED_APP, "device-" + partition)
                        .withId("p" + partition + "-" + seq)
                        .withData("{\"partition\":" + partition + ",\"seq\":" + seq + "}");
                records.add(toPartition(Events.binaryRecord(PARTITIONED_TOPIC, event), partition));
            }
        }

        try (WsClient ws = WsClient.connect(sink.uri("/" + PARTITIONED_APP), Map.of())) {
            sink.awaitSubscribers(PARTITIONED_APP, 1);
            sendAll(stack.events(), records);

            List<String> received = ids(ws.awaitFrames(records.size(), WAIT));
            Map<String, List<String>> byPartition = new LinkedHashMap<>();
            received.forEach(id -> byPartition.computeIfAbsent(id.substring(0, id.indexOf('-')), p -> new ArrayList<>()).add(id));
            assertThat(byPartition).hasSize(PARTITIONS);
            for (int partition = 0; partition < PARTITIONS; partition++) {
                int p = partition;
                assertThat(byPartition.get("p" + p))
                        .as("events of partition %d in the order they were produced", p)
                        .containsExactlyElementsOf(IntStream.range(0, perPartition).mapToObj(seq -> "p" + p + "-" + seq).toList());
            }
            assertThat(ws.nextFrame(QUIET)).isEmpty();
        }
    }

    @Test
    void eventWithoutApplicationExtensionGoesToTheApplicationNamedByItsTopic(Stack stack) {
        Events.CloudEvent event = Events.event(PARTITIONED_APP, "device-1").withoutApplication();

        try (WsClient ws = WsClient.connect(sink.uri("/" + PARTITIONED_APP), Map.of())) {
            sink.awaitSubscribers(PARTITIONED_APP, 1);
            stack.events().sendBinary(PARTITIONED_TOPIC, event);

            String frame = ws.awaitFrames(1, WAIT).get(0);
            assertSameEvent(frame, event);
            assertThat(json(frame).has("application")).as("the event is not changed").isFalse();
        }
    }

    /**
     * The frame is the sent event in structured JSON: the same attributes, extensions and data, nothing
     * more but the bridge's {@code wsbridgecursor}; the time may be written differently but is the same instant.
     */
    private static void assertSameEvent(String frame, Events.CloudEvent sent) {
        JsonNode received = json(frame);
        JsonNode expected = json(sent.toStructuredJson());
        List<String> receivedFields = new ArrayList<>();
        received.fieldNames().forEachRemaining(receivedFields::add);
        List<String> expectedFields = new ArrayList<>();
        expected.fieldNames().forEachRemaining(expectedFields::add);
        assertThat(receivedFields.get(0)).as("first field of event %s", sent.id()).isEqualTo("wsbridgecursor");
        assertThat(received.get("wsbridgecursor").asText()).matches("[A-Za-z0-9_-]+");
        receivedFields.remove(0);
        assertThat(receivedFields).as("fields of event %s: %s", sent.id(), frame)
                .containsExactlyInAnyOrderElementsOf(expectedFields);
        for (String field : expectedFields) {
            if (field.equals("time")) {
                assertThat(OffsetDateTime.parse(received.get(field).asText()).toInstant())
                        .as("time of event %s", sent.id())
                        .isEqualTo(OffsetDateTime.parse(expected.get(field).asText()).toInstant());
            } else {
                assertThat(received.get(field)).as("%s of event %s", field, sent.id()).isEqualTo(expected.get(field));
            }
        }
    }
}
