package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.consume;
import static io.wsbridge.it.ItSupport.header;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Records that are incomplete, not what their content type says, empty (tombstones), huge, not CloudEvents at all,
 * or events that name another application than their topic's, each between two valid events, under both policies
 * for records that are not CloudEvents ({@code errors.non.cloudevent=wrap|report}) with a dead letter queue: each is
 * delivered (wrapped, or with its data as {@code data_base64}) or dead-lettered with its topic, partition and offset,
 * as the README says; the valid events around them arrive in order, nothing reaches a subscriber of the application
 * that the errant events name, and the task keeps running. {@code ErrantRecordsIT} covers a plain record under
 * {@code report}, a bad spec version and truncated structured JSON; this class covers the rest.
 */
@ExtendWith(StackExtension.class)
class BadRecordsIT {

    private static final String WRAP_APP = "bad-records-wrap";
    private static final String REPORT_APP = "bad-records-report";
    private static final String BIG_APP = "bad-records-big";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Five megabytes of JSON data: over Kafka's default record limit (1 MB), so the topic allows 8 MB. */
    private static final int BIG_BYTES = 5 * 1024 * 1024;
    private static final int BIG_TOPIC_LIMIT = 8 * 1024 * 1024;

    private static SinkConnector wrapping;
    private static SinkConnector reporting;
    private static SinkConnector big;

    @BeforeAll
    static void startConnectors(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(WRAP_APP), 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(REPORT_APP), 1);
        stack.kafka().createTopic(topic(BIG_APP), 1, Map.of("max.message.bytes", Integer.toString(BIG_TOPIC_LIMIT)));
        wrapping = SinkConnector.shipped(stack, "bad-records-wrap-it", withDeadLetters(WRAP_APP, "wrap"));
        reporting = SinkConnector.shipped(stack, "bad-records-report-it", withDeadLetters(REPORT_APP, "report"));
        big = SinkConnector.shipped(stack, "bad-records-big-it", withDeadLetters(BIG_APP, "wrap"));
        wrapping.create();
        reporting.create();
        big.create();
        wrapping.awaitRunning().awaitFlowing(WRAP_APP, topic(WRAP_APP), 1);
        reporting.awaitRunning().awaitFlowing(REPORT_APP, topic(REPORT_APP), 1);
        big.awaitRunning().awaitFlowing(BIG_APP, topic(BIG_APP), 1);
    }

    @AfterAll
    static void deleteConnectors() {
        SinkConnector.closeAll(wrapping, reporting, big);
    }

    @Test
    void underWrapRecordsThatAreNoCloudEventArriveWrappedAndInvalidCloudEventsAreDeadLettered(Stack stack) {
        run(stack, wrapping, WRAP_APP, true);
    }

    @Test
    void underReportRecordsThatAreNoCloudEventAreDeadLetteredLikeInvalidCloudEvents(Stack stack) {
        run(stack, reporting, REPORT_APP, false);
    }

    /**
     * There is no size limit of its own: a record that Kafka accepts (here a topic with {@code max.message.bytes} of
     * 8 MB and a producer with {@code max.request.size} to match) and the worker's consumer fetches (a record larger
     * than {@code max.partition.fetch.bytes} still comes, alone) is delivered like any other, in one message.
     */
    @Test
    void aFiveMegabyteEventReachesTheSubscriberBetweenTheEventsAroundIt(Stack stack) throws Exception {
        String padding = "x".repeat(BIG_BYTES);
        Events.CloudEvent huge = Events.event(BIG_APP, "device-1").withId("huge")
                .withData("{\"padding\":\"" + padding + "\"}");
        try (WsClient ws = WsClient.connect(big.uri("/" + BIG_APP), Map.of());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                     ProducerConfig.MAX_REQUEST_SIZE_CONFIG, BIG_TOPIC_LIMIT,
                     ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * BIG_TOPIC_LIMIT,
                     ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            big.awaitSubscribers(BIG_APP, 1);
            Events.CloudEvent before = Events.event(BIG_APP, "device-1");
            Events.CloudEvent after = Events.event(BIG_APP, "device-1");
            for (Events.CloudEvent event : List.of(before, huge, after)) {
                producer.send(Events.binaryRecord(topic(BIG_APP), event)).get(60, TimeUnit.SECONDS);
            }

            assertThat(id(ws.nextFrame(WAIT))).isEqualTo(before.id());
            String frame = ws.nextFrame(WAIT).orElseThrow(() -> new AssertionError("no frame for the 5 MB event"
                    + ws.closeStatus().map(status -> "; closed: " + status).orElse("")));
            JsonNode event = json(frame);
            assertThat(event.path("id").asText()).isEqualTo("huge");
            String data = event.path("data").path("padding").asText();
            assertThat(data.length()).as("the length of the data").isEqualTo(BIG_BYTES);
            assertThat(data.equals(padding)).as("the data, unchanged").isTrue();
            assertThat(id(ws.nextFrame(WAIT))).isEqualTo(after.id());
            assertThat(ws.closeStatus()).as("the subscriber stays connected").isEmpty();
        }
        assertRunning(stack, big);
    }

    /**
     * Sends each case between two valid events and checks the frames (valid events and delivered cases, in order)
     * and the dead letters (the other cases, with their coordinates and the reason).
     */
    private static void run(Stack stack, SinkConnector sink, String app, boolean wrap) {
        String topic = topic(app);
        List<Case> cases = cases(app);
        List<Expected> frames = new ArrayList<>();
        Map<Long, DeadLetter> deadLetters = new HashMap<>();
        try (WsClient ws = WsClient.connect(sink.uri("/" + app), Map.of());
             WsClient other = WsClient.connect(sink.uri("/" + other(app)), Map.of())) {
            sink.awaitSubscribers(app, 1);
            sink.awaitSubscribers(other(app), 1);
            frames.add(sendValid(stack, app));
            for (Case current : cases) {
                RecordMetadata sent = stack.events().send(current.record(topic));
                Outcome outcome = wrap ? current.underWrap() : current.underReport();
                if (outcome instanceof Delivered delivered) {
                    frames.add(new Expected(current.name(), sent, delivered.check()));
                } else {
                    deadLetters.put(sent.offset(), new DeadLetter(current, sent, ((DeadLettered) outcome).reason()));
                }
                frames.add(sendValid(stack, app));
            }

            List<String> received = ws.awaitFrames(frames.size(), WAIT);
            for (int i = 0; i < frames.size(); i++) {
                Expected expected = frames.get(i);
                JsonNode event = json(received.get(i));
                try {
                    expected.check().accept(event, expected.sent());
                } catch (AssertionError e) {
                    throw new AssertionError("frame " + i + " (" + expected.name() + "): " + e.getMessage()
                            + "\nframe: " + received.get(i), e);
                }
            }
            assertThat(ws.nextFrame(Duration.ofMillis(500))).as("no frame for a dead-lettered record").isEmpty();
            // the events naming the other application came before the last valid event, which has arrived
            await("nothing for the subscriber of " + other(app) + ", the application the errant events name")
                    .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> other.pendingFrames() == 0 && other.closeStatus().isEmpty());
        }

        List<ConsumerRecord<byte[], byte[]>> letters = consume(stack, deadLetterTopic(app), deadLetters.size(), WAIT);
        for (ConsumerRecord<byte[], byte[]> letter : letters) {
            long offset = Long.parseLong(header(letter, "__connect.errors.offset"));
            DeadLetter expected = deadLetters.remove(offset);
            assertThat(expected).as("a dead letter for offset %d of %s", offset, topic).isNotNull();
            String message = header(letter, "__connect.errors.exception.message");
            String coordinates = topic + "/" + expected.sent().partition() + "/" + expected.sent().offset();
            assertThat(header(letter, "__connect.errors.topic")).isEqualTo(topic);
            assertThat(header(letter, "__connect.errors.partition")).isEqualTo(Integer.toString(expected.sent().partition()));
            assertThat(message).as("the reason for %s", expected.current().name())
                    .startsWith("Record " + coordinates + " ").contains(expected.reason());
            assertThat(letter.value()).as("the original value of %s", expected.current().name())
                    .isEqualTo(expected.current().value());
        }
        assertThat(deadLetters).as("records not dead-lettered").isEmpty();
        assertRunning(stack, sink);
    }

    /**
     * The cases; each record is produced to the application's topic, without the {@code application} extension but
     * for the cases that name another application in it.
     */
    private static List<Case> cases(String app) {
        byte[] allBytes = new byte[256];
        for (int i = 0; i < allBytes.length; i++) {
            allBytes[i] = (byte) i;
        }
        byte[] notUtf8 = {'t', 'e', 'm', 'p', ' ', (byte) 0xC3, (byte) 0x28, ' ', (byte) 0xFF, '!'};
        String structured = Events.STRUCTURED_CONTENT_TYPE;
        List<Case> cases = new ArrayList<>();

        // binary mode, attributes missing
        cases.add(new Case("ce_id only", binary(Map.of("ce_specversion", "1.0", "ce_id", "only-id"), "application/json",
                bytes("{\"temp\":1}")), deadLettered("is not a valid CloudEvent in binary mode")));
        cases.add(new Case("no ce_id", binary(Map.of("ce_specversion", "1.0", "ce_source", "/s", "ce_type", "t"),
                "application/json", bytes("{\"temp\":2}")), deadLettered("is not a valid CloudEvent in binary mode")));
        cases.add(new Case("no ce_type", binary(Map.of("ce_specversion", "1.0", "ce_id", "no-type", "ce_source", "/s"),
                "application/json", bytes("{\"temp\":3}")), deadLettered("is not a valid CloudEvent in binary mode")));
        cases.add(new Case("ce_id, ce_source and ce_type without ce_specversion",
                binary(Map.of("ce_id", "no-version", "ce_source", "/s", "ce_type", "t"), "application/json",
                        bytes("{\"temp\":4}")),
                wrapped("application/json", data -> assertThat(data.path("data")).isEqualTo(json("{\"temp\":4}"))),
                deadLettered("is not a CloudEvent: it has no ce_specversion header")));

        // binary mode, data that is not text
        cases.add(new Case("octet-stream with every byte value", binary(complete("octets"), "application/octet-stream",
                allBytes), delivered("octets", event -> {
                    assertThat(event.path("datacontenttype").asText()).isEqualTo("application/octet-stream");
                    assertThat(event.has("data")).isFalse();
                    assertThat(Base64.getDecoder().decode(event.path("data_base64").asText())).isEqualTo(allBytes);
                })));
        cases.add(new Case("text/plain that is not UTF-8", binary(complete("bad-text"), "text/plain; charset=utf-8",
                notUtf8), delivered("bad-text", event -> {
                    assertThat(event.path("datacontenttype").asText()).isEqualTo("text/plain; charset=utf-8");
                    assertThat(event.has("data")).as("not as a string").isFalse();
                    assertThat(Base64.getDecoder().decode(event.path("data_base64").asText())).isEqualTo(notUtf8);
                })));
        cases.add(new Case("application/json that is not JSON", binary(complete("bad-json"), "application/json",
                bytes("{\"temp\":")), delivered("bad-json", event -> {
                    assertThat(event.has("data")).isFalse();
                    assertThat(event.path("data_base64").asText()).isEqualTo(base64("{\"temp\":"));
                })));

        // binary mode, content types nobody knows
        cases.add(new Case("an unknown content type", binary(complete("unknown-type"), "application/x-wsbridge-unknown",
                bytes("some words")), delivered("unknown-type", event -> {
                    assertThat(event.path("datacontenttype").asText()).isEqualTo("application/x-wsbridge-unknown");
                    assertThat(event.path("data_base64").asText()).isEqualTo(base64("some words"));
                })));
        cases.add(new Case("a content type that is no media type", binary(complete("garbage-type"), "garbage ;; \u0001",
                bytes("{\"temp\":5}")), delivered("garbage-type", event -> {
                    assertThat(event.path("datacontenttype").asText()).isEqualTo("garbage ;; \u0001");
                    assertThat(event.path("data_base64").asText()).isEqualTo(base64("{\"temp\":5}"));
                })));
        cases.add(new Case("no content type, data not JSON", binary(complete("no-type"), null, bytes("plain words")),
                delivered("no-type", event -> {
                    assertThat(event.has("datacontenttype")).isFalse();
                    assertThat(event.path("data_base64").asText()).isEqualTo(base64("plain words"));
                })));

        // null values (tombstones)
        cases.add(new Case("a tombstone with the ce_* headers", binary(complete("tombstone"), null, null),
                delivered("tombstone", event -> {
                    assertThat(event.has("data")).isFalse();
                    assertThat(event.has("data_base64")).isFalse();
                })));
        cases.add(new Case("a tombstone without headers", new Record(new RecordHeaders(), bytes("door-1"), null),
                wrapped(null, event -> {
                    assertThat(event.path("subject").asText()).as("the key").isEqualTo("door-1");
                    assertThat(event.has("datacontenttype")).isFalse();
                    assertThat(event.has("data")).isFalse();
                    assertThat(event.has("data_base64")).isFalse();
                }),
                deadLettered("is not a CloudEvent: it has no ce_specversion header and no content-type header")));
        cases.add(new Case("a tombstone in structured mode", structured(structured, null),
                deadLettered("is not a valid CloudEvent in structured mode (application/cloudevents+json): the record"
                        + " has no value")));

        // records that are no CloudEvent at all
        cases.add(new Case("a plain binary value", new Record(new RecordHeaders(), null, allBytes),
                wrapped("application/octet-stream", event ->
                        assertThat(Base64.getDecoder().decode(event.path("data_base64").asText())).isEqualTo(allBytes)),
                deadLettered("is not a CloudEvent: it has no ce_specversion header and no content-type header")));
        cases.add(new Case("a plain value with an unknown content type",
                binary(Map.of(), "application/x-wsbridge-unknown", bytes("just text")),
                wrapped("text/plain; charset=utf-8", event -> assertThat(event.path("data").asText()).isEqualTo("just text")),
                deadLettered("its content-type is 'application/x-wsbridge-unknown' instead of application/cloudevents+json")));

        // structured mode that is not a CloudEvent
        cases.add(new Case("structured: a JSON array", structured(structured, bytes("[1,2,3]")),
                deadLettered("is not a valid CloudEvent in structured mode")));
        cases.add(new Case("structured: no id", structured(structured,
                bytes("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}")),
                deadLettered("is not a valid CloudEvent in structured mode")));
        cases.add(new Case("structured: not UTF-8", structured(structured, notUtf8),
                deadLettered("is not a valid CloudEvent in structured mode")));
        cases.add(new Case("structured: trailing garbage", structured(structured,
                bytes("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\"} garbage")),
                deadLettered("is not a valid CloudEvent in structured mode")));
        cases.add(new Case("structured: data_base64 that is not base64", structured(structured,
                bytes("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\",\"data_base64\":\"@@@\"}")),
                deadLettered("is not a valid CloudEvent in structured mode")));
        cases.add(new Case("structured: an unsupported format", structured("application/cloudevents+xml", bytes("<e/>")),
                deadLettered("is a CloudEvent in the unsupported structured format 'application/cloudevents+xml'")));
        cases.add(new Case("structured: a batch", structured("application/cloudevents-batch+json", bytes("[]")),
                deadLettered("holds a batch of CloudEvents (application/cloudevents-batch+json), which is not supported")));

        // events that name another application than their topic's: the topic decides, they must not reach the other
        String other = other(app);
        String naming = "names the application '" + other + "' in its CloudEvent extension 'application', but its"
                + " topic " + topic(app) + " belongs to the application '" + app + "'";
        Map<String, String> namingOther = new HashMap<>(complete("naming-other"));
        namingOther.put("ce_application", other);
        cases.add(new Case("binary: ce_application naming another application", binary(namingOther,
                "application/json", bytes("{\"temp\":6}")), deadLettered(naming)));
        namingOther.put("ce_time", "2024-05-01T12:00Z"); // valid, in a form that takes the SDK path
        cases.add(new Case("binary, through the SDK: ce_application naming another application", binary(namingOther,
                "application/json", bytes("{\"temp\":7}")), deadLettered(naming)));
        cases.add(new Case("structured: an application naming another application", structured(structured,
                bytes("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\",\"application\":\""
                        + other + "\"}")), deadLettered(naming)));

        // the bridge's own extension: a frame would carry two cursors
        Map<String, String> withCursor = new HashMap<>(complete("own-cursor"));
        withCursor.put("ce_wsbridgecursor", "AAAA");
        cases.add(new Case("binary: ce_wsbridgecursor", binary(withCursor, "application/json", bytes("{\"temp\":8}")),
                deadLettered("in binary mode: it has a header ce_wsbridgecursor, but the extension 'wsbridgecursor' is"
                        + " the bridge's own")));
        cases.add(new Case("structured: a member wsbridgecursor", structured(structured,
                bytes("{\"specversion\":\"1.0\",\"id\":\"y\",\"source\":\"/s\",\"type\":\"t\","
                        + "\"wsbridgecursor\":\"AAAA\"}")),
                deadLettered("in structured mode: it has a member wsbridgecursor, but the extension 'wsbridgecursor'"
                        + " is the bridge's own")));
        return cases;
    }

    // --- building records

    /** The attributes of a valid event without the application extension: the topic names the application. */
    private static Map<String, String> complete(String id) {
        return Map.of("ce_specversion", "1.0", "ce_id", id, "ce_source", "drogue://bad-records/device-1",
                "ce_type", "io.drogue.event.v1");
    }

    private static Record binary(Map<String, String> ceHeaders, String contentType, byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        ceHeaders.forEach((name, headerValue) -> headers.add(name, bytes(headerValue)));
        if (contentType != null) {
            headers.add("content-type", bytes(contentType));
        }
        return new Record(headers, bytes("device-1"), value);
    }

    private static Record structured(String contentType, byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", bytes(contentType));
        return new Record(headers, bytes("device-1"), value);
    }

    private static Expected sendValid(Stack stack, String app) {
        Events.CloudEvent event = Events.event(app, "device-1");
        RecordMetadata sent = stack.events().sendBinary(topic(app), event);
        return new Expected("valid event " + event.id(), sent, (frame, metadata) ->
                assertThat(frame.path("id").asText()).as("a valid event").isEqualTo(event.id()));
    }

    // --- outcomes

    private static Outcome deadLettered(String reason) {
        return new DeadLettered(reason);
    }

    /** Delivered as the CloudEvent it is, with this id. */
    private static Outcome delivered(String id, Consumer<JsonNode> check) {
        return new Delivered((event, sent) -> {
            assertThat(event.path("id").asText()).isEqualTo(id);
            assertThat(event.path("source").asText()).isEqualTo("drogue://bad-records/device-1");
            check.accept(event);
        });
    }

    /** Wrapped into a CloudEvent named after the record, with this data content type (null: no data). */
    private static Outcome wrapped(String contentType, Consumer<JsonNode> check) {
        return new Delivered((event, sent) -> {
            assertThat(event.path("id").asText()).isEqualTo(sent.topic() + "/" + sent.partition() + "/" + sent.offset());
            assertThat(event.path("source").asText()).isEqualTo("/topics/" + sent.topic());
            assertThat(event.path("type").asText()).isEqualTo("io.wsbridge.kafka.record");
            if (contentType != null) {
                assertThat(event.path("datacontenttype").asText()).isEqualTo(contentType);
            }
            check.accept(event);
        });
    }

    private sealed interface Outcome permits Delivered, DeadLettered {
    }

    private record Delivered(BiConsumer<JsonNode, RecordMetadata> check) implements Outcome {
    }

    private record DeadLettered(String reason) implements Outcome {
    }

    private record Record(RecordHeaders headers, byte[] key, byte[] value) {
    }

    /** A record and what becomes of it under each policy. */
    private record Case(String name, Record content, Outcome underWrap, Outcome underReport) {

        /** A record that is (or claims to be) a CloudEvent: the policy does not matter. */
        Case(String name, Record content, Outcome outcome) {
            this(name, content, outcome, outcome);
        }

        ProducerRecord<byte[], byte[]> record(String topic) {
            return new ProducerRecord<>(topic, 0, content.key(), content.value(), new RecordHeaders(content.headers().toArray()));
        }

        byte[] value() {
            return content.value();
        }
    }

    private record Expected(String name, RecordMetadata sent, BiConsumer<JsonNode, RecordMetadata> check) {
    }

    private record DeadLetter(Case current, RecordMetadata sent, String reason) {
    }

    // --- helpers

    private static Map<String, String> withDeadLetters(String app, String policy) {
        return Map.of(
                "topics", topic(app),
                "auth.public.applications", app + "," + other(app),
                "errors.non.cloudevent", policy,
                "errors.tolerance", "all",
                "errors.deadletterqueue.topic.name", deadLetterTopic(app),
                "errors.deadletterqueue.topic.replication.factor", "1",
                "errors.deadletterqueue.context.headers.enable", "true");
    }

    private static String topic(String app) {
        return "events-" + app;
    }

    /** The application that errant events on {@code app}'s topic name; it has a subscriber, and no topic. */
    private static String other(String app) {
        return app + "-other";
    }

    private static String deadLetterTopic(String app) {
        return app + "-dead-letters";
    }

    private static void assertRunning(Stack stack, SinkConnector sink) {
        ConnectorStatus status = stack.rest().status(sink.name());
        assertThat(status.isRunning(1)).as("task still RUNNING: %s", status.describe()).isTrue();
    }

    private static String id(Optional<String> frame) {
        return json(frame.orElseThrow(() -> new AssertionError("no frame"))).path("id").asText();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(bytes(text));
    }

    private static byte[] bytes(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }
}
