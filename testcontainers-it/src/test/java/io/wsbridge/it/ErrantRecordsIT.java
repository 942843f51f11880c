package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.consume;
import static io.wsbridge.it.ItSupport.header;
import static io.wsbridge.it.ItSupport.ids;
import static io.wsbridge.it.ItSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Records that are no valid CloudEvent: to the dead letter queue, failing the task, or wrapped into a
 * CloudEvent, as configured; valid events keep flowing around them.
 */
@ExtendWith(StackExtension.class)
class ErrantRecordsIT {

    private static final String DLQ_APP = "errant-dlq";
    private static final String DLQ_TOPIC = "events-" + DLQ_APP;
    private static final String DEAD_LETTERS = "errant-dlq-it-dead-letters";
    private static final String WRAP_APP = "errant-wrap";
    private static final String WRAP_TOPIC = "events-" + WRAP_APP;
    private static final String FAIL_APP = "errant-fail";
    private static final String FAIL_TOPIC = "events-" + FAIL_APP;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static SinkConnector reporting;
    private static SinkConnector wrapping;
    private static SinkConnector failing;

    @BeforeAll
    static void startConnectors(Stack stack) {
        for (String topic : List.of(DLQ_TOPIC, WRAP_TOPIC, FAIL_TOPIC)) {
            SinkConnector.createTopicIfAbsent(stack.kafka(), topic, 1);
        }
        reporting = SinkConnector.shipped(stack, "errant-dlq-it", Map.of(
                "topics.regex", DLQ_TOPIC,
                "auth.public.applications", DLQ_APP,
                "errors.non.cloudevent", "report",
                "errors.tolerance", "all",
                "errors.deadletterqueue.topic.name", DEAD_LETTERS,
                "errors.deadletterqueue.topic.replication.factor", "1",
                "errors.deadletterqueue.context.headers.enable", "true"));
        wrapping = SinkConnector.shipped(stack, "errant-wrap-it", Map.of(
                "topics.regex", WRAP_TOPIC,
                "auth.public.applications", WRAP_APP));
        // errors.tolerance=none, as by default
        failing = SinkConnector.shipped(stack, "errant-fail-it", Map.of(
                "topics.regex", FAIL_TOPIC,
                "auth.public.applications", FAIL_APP));
        reporting.create();
        wrapping.create();
        failing.create();
        reporting.awaitRunning().awaitFlowing(DLQ_APP, DLQ_TOPIC, 1);
        wrapping.awaitRunning().awaitFlowing(WRAP_APP, WRAP_TOPIC, 1);
        failing.awaitRunning().awaitFlowing(FAIL_APP, FAIL_TOPIC, 1);
    }

    @AfterAll
    static void deleteConnectors() {
        SinkConnector.closeAll(reporting, wrapping, failing);
    }

    @Test
    void errantRecordsGoToTheDeadLetterQueueAndValidEventsAroundThemStillArrive(Stack stack) {
        Events events = stack.events();
        try (WsClient ws = WsClient.connect(reporting.uri("/" + DLQ_APP), Map.of())) {
            reporting.awaitSubscribers(DLQ_APP, 1);
            List<String> valid = new ArrayList<>();
            List<ProducerRecord<byte[], byte[]>> errant = List.of(
                    new ProducerRecord<>(DLQ_TOPIC, null, bytes("k"), bytes("not an event"), new RecordHeaders()),
                    withSpecVersion(Events.binaryRecord(DLQ_TOPIC, Events.event(DLQ_APP, "device-1")), "9.9"),
                    structured(DLQ_TOPIC, "{\"specversion\":\"1.0\",\"id\":\"broken\",\"source\":"));
            List<RecordMetadata> errantSent = new ArrayList<>();
            valid.add(sendValid(events, DLQ_TOPIC, DLQ_APP));
            for (ProducerRecord<byte[], byte[]> record : errant) {
                errantSent.add(events.send(record));
                valid.add(sendValid(events, DLQ_TOPIC, DLQ_APP));
            }

            assertThat(ids(ws.awaitFrames(valid.size(), WAIT))).as("the valid events, in order")
                    .containsExactlyElementsOf(valid);
            assertThat(ws.nextFrame(Duration.ofMillis(500))).as("nothing of the errant records").isEmpty();

            List<ConsumerRecord<byte[], byte[]>> deadLetters = consume(stack, DEAD_LETTERS, errant.size(), WAIT);
            for (int i = 0; i < errant.size(); i++) {
                ConsumerRecord<byte[], byte[]> letter = deadLetters.get(i);
                RecordMetadata original = errantSent.get(i);
                assertThat(letter.value()).as("dead letter %d holds the original value", i).isEqualTo(errant.get(i).value());
                assertThat(header(letter, "__connect.errors.topic")).isEqualTo(DLQ_TOPIC);
                assertThat(header(letter, "__connect.errors.partition")).isEqualTo(Integer.toString(original.partition()));
                assertThat(header(letter, "__connect.errors.offset")).isEqualTo(Long.toString(original.offset()));
                assertThat(header(letter, "__connect.errors.exception.message"))
                        .as("the cause names the record")
                        .contains("Record " + DLQ_TOPIC + "/" + original.partition() + "/" + original.offset() + " ");
            }
            assertThat(header(deadLetters.get(0), "__connect.errors.exception.message")).contains("is not a CloudEvent");
            assertThat(header(deadLetters.get(1), "__connect.errors.exception.message"))
                    .contains("is not a valid CloudEvent in binary mode").contains("9.9");
            assertThat(header(deadLetters.get(2), "__connect.errors.exception.message"))
                    .contains("is not a valid CloudEvent in structured mode");

            ConnectorStatus status = stack.rest().status(reporting.name());
            assertThat(status.isRunning(1)).as("task still RUNNING: %s", status.describe()).isTrue();
        }
    }

    @Test
    void withToleranceNoneAnInvalidCloudEventFailsTheTaskNamingTheRecord(Stack stack) {
        RecordMetadata bad = stack.events().send(
                withSpecVersion(Events.binaryRecord(FAIL_TOPIC, Events.event(FAIL_APP, "device-1")), "9.9"));

        ConnectorStatus status = stack.rest().awaitStatus(failing.name(), WAIT, "task FAILED",
                s -> s.task(0).map(task -> "FAILED".equals(task.state())).orElse(false));
        assertThat(status.task(0).orElseThrow().trace())
                .contains("Record " + FAIL_TOPIC + "/" + bad.partition() + "/" + bad.offset()
                        + " is not a valid CloudEvent in binary mode")
                .contains("9.9");
    }

    @Test
    void underWrapPolicyAPlainRecordArrivesWrappedIntoACloudEvent(Stack stack) {
        try (WsClient ws = WsClient.connect(wrapping.uri("/" + WRAP_APP), Map.of())) {
            wrapping.awaitSubscribers(WRAP_APP, 1);
            RecordMetadata json = stack.events().sendPlain(WRAP_TOPIC, "door-1", "{\"open\":true}");
            RecordMetadata text = stack.events().sendPlain(WRAP_TOPIC, "door-2", "opened");

            List<String> frames = ws.awaitFrames(2, WAIT);
            JsonNode wrappedJson = json(frames.get(0));
            assertThat(wrappedJson.path("specversion").asText()).isEqualTo("1.0");
            assertThat(wrappedJson.path("id").asText()).isEqualTo(WRAP_TOPIC + "/" + json.partition() + "/" + json.offset());
            assertThat(wrappedJson.path("source").asText()).isEqualTo("/topics/" + WRAP_TOPIC);
            assertThat(wrappedJson.path("type").asText()).isEqualTo("io.wsbridge.kafka.record");
            assertThat(wrappedJson.path("subject").asText()).as("the key").isEqualTo("door-1");
            assertThat(OffsetDateTime.parse(wrappedJson.path("time").asText()).toInstant())
                    .as("the record timestamp").isEqualTo(Instant.ofEpochMilli(json.timestamp()));
            assertThat(wrappedJson.path("datacontenttype").asText()).isEqualTo("application/json");
            assertThat(wrappedJson.path("data")).isEqualTo(json("{\"open\":true}"));

            JsonNode wrappedText = json(frames.get(1));
            assertThat(wrappedText.path("id").asText()).isEqualTo(WRAP_TOPIC + "/" + text.partition() + "/" + text.offset());
            assertThat(wrappedText.path("datacontenttype").asText()).isEqualTo("text/plain; charset=utf-8");
            assertThat(wrappedText.path("data").asText()).isEqualTo("opened");
        }
    }

    private static String sendValid(Events events, String topic, String application) {
        Events.CloudEvent event = Events.event(application, "device-1");
        events.sendBinary(topic, event);
        return event.id();
    }

    private static ProducerRecord<byte[], byte[]> withSpecVersion(ProducerRecord<byte[], byte[]> record, String version) {
        record.headers().remove("ce_specversion");
        record.headers().add("ce_specversion", bytes(version));
        return record;
    }

    private static ProducerRecord<byte[], byte[]> structured(String topic, String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", bytes(Events.STRUCTURED_CONTENT_TYPE));
        return new ProducerRecord<>(topic, null, bytes("device-1"), bytes(value), headers);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
