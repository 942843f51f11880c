package io.wsbridge.connect.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.EventView;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fast path against the SDK path on generated binary-mode records: wherever the fast path writes a frame, the
 * SDK path must give the same JSON, channel and application; where the SDK refuses a record, the fast path must
 * not have written one, unless the refusal is the application check that follows both, which the converter must
 * then make on the fast path too, with the same message.
 */
class BinaryModeWriterTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int RECORDS = 30_000;

    private final EventConverter converter =
            new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.REPORT);
    private final BinaryModeWriter writer = new BinaryModeWriter();

    @Test
    void agreesWithTheSdkOnGeneratedRecords() throws IOException {
        Random random = new Random(20261127);
        int fast = 0;
        int refused = 0;
        int mismatched = 0;
        int named = 0;
        for (int i = 0; i < RECORDS; i++) {
            SinkRecord record = generate(random, i);
            byte[] value = EventConverter.valueBytes(record);
            BinaryModeWriter.Result result = writer.write(record, value);
            Event reference;
            try {
                reference = converter.convertWithSdk(record, value);
            } catch (DataException e) {
                refused++;
                if (result == null) {
                    continue;
                }
                String context = "record " + i + " " + record.topic() + " " + record.headers();
                assertThat(e).as("record %d is refused by the SDK (%s), so the fast path must not write it: %s", i,
                                e.getMessage(), record.headers())
                        .hasCauseInstanceOf(ApplicationResolver.MismatchException.class);
                assertThatThrownBy(() -> converter.convert(record)).as(context)
                        .isInstanceOf(DataException.class)
                        .hasMessage(e.getMessage())
                        .hasCauseInstanceOf(ApplicationResolver.MismatchException.class);
                mismatched++;
                continue;
            }
            if (result == null) {
                continue;
            }
            fast++;
            if (result.application() != null && !result.application().isBlank()) {
                named++;
            }
            String context = "record " + i + " " + record.topic() + " " + record.headers() + " value " + text(value);
            assertThat(tree(result.frame())).as(context).isEqualTo(tree(reference.text()));
            assertThat(result.subject()).as(context).isEqualTo(reference.channel());
            Event converted = converter.convert(record);
            assertThat(converted.application()).as(context).isEqualTo(reference.application());
            assertThat(converted.text()).as(context).isEqualTo(new String(result.frame(), StandardCharsets.UTF_8));
            // What filters read: the attributes the fast path attached must be what reading the frame gives.
            assertThat(converted.attributes()).as(context).isNotNull();
            assertSameView(EventView.of(converted), EventView.of(converted.payload()), context);
            Event stamped = converted.withCursor("c-" + i);
            assertSameView(EventView.of(stamped), EventView.of(stamped.payload()), context);
        }
        // the generator must exercise every side, or the comparison proves nothing
        assertThat(fast).as("records written by the fast path").isGreaterThan(RECORDS / 5);
        assertThat(refused).as("records the SDK refused").isGreaterThan(RECORDS / 20);
        assertThat(named).as("records written by the fast path with an application extension")
                .isGreaterThan(RECORDS / 50);
        assertThat(mismatched).as("records on an application's topic whose extension names another one, refused"
                + " after the fast path wrote them").isGreaterThan(RECORDS / 100);
    }

    private static void assertSameView(EventView attached, EventView read, String context) {
        assertThat(attached.getAttributeNames()).as(context).isEqualTo(read.getAttributeNames());
        assertThat(attached.getExtensionNames()).as(context).isEqualTo(read.getExtensionNames());
        for (String name : read.getAttributeNames()) {
            assertThat(attached.value(name)).as(context + " " + name).isEqualTo(read.value(name));
        }
        for (String name : read.getExtensionNames()) {
            assertThat(attached.value(name)).as(context + " " + name).isEqualTo(read.value(name));
        }
    }

    @Test
    void refusesAnEventNamingAnotherApplicationThanItsTopicOnBothPathsAlike() {
        ConnectHeaders headers = minimal();
        headers.addBytes("ce_application", utf8("other-app"));
        SinkRecord record = record(headers, utf8("{}"));

        assertThat(writer.write(record, utf8("{}"))).as("the fast path writes the frame").isNotNull();
        assertThatThrownBy(() -> converter.convertWithSdk(record, utf8("{}")))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 names the application 'other-app' in its CloudEvent extension"
                        + " 'application', but its topic events-my-app belongs to the application 'my-app': an event"
                        + " may only name the application of its topic; produce it to the topic of 'other-app', or set"
                        + " the extension to 'my-app' or leave it out");
        assertThatThrownBy(() -> converter.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith("Record events-my-app/0/42 names the application 'other-app' in its");
    }

    @Test
    void writesTheDrogueEventOfTheBenchmarksItself() {
        ConnectHeaders headers = new ConnectHeaders();
        headers.addBytes("ce_specversion", utf8("1.0"));
        headers.addBytes("ce_id", utf8("id-1"));
        headers.addBytes("ce_source", utf8("drogue://app/device-1"));
        headers.addBytes("ce_type", utf8("io.drogue.event.v1"));
        headers.addBytes("ce_subject", utf8("telemetry"));
        headers.addBytes("ce_time", utf8("2024-05-01T12:00:00.000Z"));
        headers.addBytes("ce_application", utf8("my-app"));
        headers.addBytes("ce_device", utf8("device-1"));
        headers.addBytes("content-type", utf8("application/json"));
        byte[] data = utf8("{\"temp\":21.5,\"text\":\"a \\\"quoted\\\" ü\"}");
        SinkRecord record = record(headers, data);

        BinaryModeWriter.Result result = writer.write(record, data);

        assertThat(result).isNotNull();
        assertThat(new String(result.frame(), StandardCharsets.UTF_8)).isEqualTo("{\"specversion\":\"1.0\","
                + "\"id\":\"id-1\",\"source\":\"drogue://app/device-1\",\"type\":\"io.drogue.event.v1\","
                + "\"datacontenttype\":\"application/json\",\"subject\":\"telemetry\",\"time\":\"2024-05-01T12:00:00Z\","
                + "\"application\":\"my-app\",\"device\":\"device-1\",\"data\":" + text(data) + "}");
        assertThat(result.subject()).isEqualTo("telemetry");
        assertThat(result.application()).isEqualTo("my-app");
    }

    @Test
    void escapesControlCharactersQuotesAndBackslashesAsJackson() {
        BinaryModeWriter.JsonOut out = new BinaryModeWriter.JsonOut();
        out.string(utf8("a\"b\\c\n\t\r\b\f\u0001\u001f é €"));
        assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f é €\"");
    }

    @Test
    void anExtensionNamedDataIsRefusedInsteadOfWritingTwoDataMembers() {
        ConnectHeaders headers = minimal();
        headers.addBytes("ce_data", utf8("x"));
        SinkRecord record = record(headers, utf8("{}"));

        assertThat(writer.write(record, utf8("{}"))).isNull();
        assertThatThrownBy(() -> converter.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("it has a header ce_data, but 'data' is no attribute name");
    }

    @Test
    void anExtensionNamedLikeTheBridgesCursorIsRefused() {
        ConnectHeaders headers = minimal();
        headers.addBytes("ce_wsbridgecursor", utf8("AAAA"));
        SinkRecord record = record(headers, utf8("{}"));

        assertThat(writer.write(record, utf8("{}"))).isNull();
        assertThatThrownBy(() -> converter.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("in binary mode: it has a header ce_wsbridgecursor, but the extension "
                        + "'wsbridgecursor' is the bridge's own");
    }

    // --- the generator ---------------------------------------------------------------------------------------

    private static final List<String> IDS = List.of("id-1", "4711", "", "a\"b", "x\\y", "tab\there", "ü-€-😀",
            "ctl\u0001");
    private static final List<String> SOURCES = List.of("drogue://app/device-1", "/topics/t", "urn:x", "", "a b",
            "http://[::1]/p", "http://host:99999/", "rel/path", "%zz", "mailto:a@b", "drogue://",
            "http://ex.com/ä", "/a?q=1#f");
    private static final List<String> TYPES = List.of("io.drogue.event.v1", "t", "", "ty\"pe");
    private static final List<String> TIMES = List.of("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z",
            "2024-05-01t12:00:00.120z", "2024-05-01T12:00:00.123456789+05:30", "2024-05-01T12:00:00+00:00",
            "2024-05-01T12:00:00-00:00", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-05-01T12:00Z",
            "2024-05-01T24:00:00Z", "2024-05-01T12:00:60Z", "2024-13-01T00:00:00Z", "2024-05-01T12:00:00+18:00",
            "2024-05-01T12:00:00+18:01", "2024-05-01T12:00:00+05:30:10", "2024-05-01 12:00:00Z", "yesterday", "",
            "2024-05-01T12:00:00.1234567890Z", "2024-05-01T12:00:00.Z", "0000-01-01T00:00:00Z",
            "+12024-05-01T12:00:00Z", "2024-05-01T12:00:00+0530", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z");
    private static final List<String> CONTENT_TYPES = List.of("application/json", "application/json; charset=utf-8",
            "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/vnd.x+json",
            "Application/JSON", "application/xml", "text/json", "application/cloudevents+json", "image/png",
            "application/x+json", "application/v1.x+json", "text/csv", "application/json;charset=\"x\"");
    /** Values of the application extension: the topic's (events-my-app), another, blank, nearly the topic's. */
    private static final List<String> APPLICATIONS = List.of("my-app", "other-app", "", " ", "my-app ", "My-App",
            "events-my-app", "ü-app");
    /** Mostly an application's topic, where the topic decides; else one the pattern names no application in. */
    private static final List<String> TOPICS = List.of("events-my-app", "events-my-app", "events-my-app",
            "events-other-app", "telemetry", "events-");
    private static final List<String> EXTENSION_NAMES = List.of("application", "device", "zext", "x1", "Foo",
            "bad-name", "data", "datacontenttype", "traceparent", "", "specversion2");

    private static SinkRecord generate(Random random, int i) {
        String topic = pick(random, TOPICS);
        ConnectHeaders headers = new ConnectHeaders();
        String[] spec = {"1.0", "1.0", "1.0", "1.0", "1.0", "1.0", "1.0", "1.0", "0.3", "2.0", null};
        String specVersion = spec[random.nextInt(spec.length)];
        if (specVersion != null) {
            headers.addBytes("ce_specversion", utf8(specVersion));
        }
        maybe(random, 0.98, headers, "ce_id", pick(random, IDS) + (random.nextBoolean() ? "-" + i : ""));
        maybe(random, 0.98, headers, "ce_source", usually(random, "drogue://app/device-1", SOURCES));
        maybe(random, 0.98, headers, "ce_type", usually(random, "io.drogue.event.v1", TYPES));
        maybe(random, 0.6, headers, "ce_subject", random.nextBoolean() ? "telemetry" : pick(random, IDS));
        maybe(random, 0.6, headers, "ce_time", usually(random, "2024-05-01T12:00:00.250+02:00", TIMES));
        maybe(random, 0.1, headers, "ce_dataschema", pick(random, SOURCES));
        maybe(random, 0.8, headers, "content-type", usually(random, "application/json", CONTENT_TYPES));
        if (random.nextInt(3) == 0) {
            String own = topic.startsWith("events-") && topic.length() > 7 ? topic.substring(7) : "my-app";
            headers.addBytes("ce_application", utf8(usually(random, own, APPLICATIONS)));
        }
        int extensions = random.nextInt(3);
        for (int e = 0; e < extensions; e++) {
            headers.addBytes("ce_" + usually(random, "device", EXTENSION_NAMES), utf8(pick(random, IDS)));
        }
        if (random.nextInt(40) == 0) {
            headers.addBytes("ce_id", new byte[] {(byte) 0xC3, (byte) 0x28}); // not UTF-8, and repeated
        }
        if (random.nextInt(40) == 0) {
            headers.addBytes("ce_type", utf8("second"));
        }
        if (random.nextInt(30) == 0) {
            headers.add("ce_subject", null, null); // a header without value
        }
        headers.addBytes("traceparent", utf8("00-abc-01"));
        return record(topic, headers, value(random));
    }

    private static byte[] value(Random random) {
        switch (random.nextInt(9)) {
            case 0:
                return null;
            case 1:
                return new byte[0];
            case 2:
                return utf8("plain text with \"quotes\", \\ and \n lines ü");
            case 3:
                return new byte[] {0, 1, 2, (byte) 0xFF, (byte) 0xC3};
            case 4:
                return utf8("{\"a\": [1, 2.50, {\"b\": null}], \"s\": \"x\\u0041\"} ");
            case 5:
                return utf8("{\"broken\": ");
            case 6:
                return utf8("42");
            case 7:
                return utf8("\"a json string\"");
            default:
                return utf8("{\"temp\":" + random.nextInt(40) + ".5,\"device\":\"d\"}");
        }
    }

    private static void maybe(Random random, double probability, ConnectHeaders headers, String key, String value) {
        if (random.nextDouble() < probability) {
            headers.addBytes(key, utf8(value));
        }
    }

    private static String pick(Random random, List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Half of the time the common value, else any of the list. */
    private static String usually(Random random, String common, List<String> values) {
        return random.nextBoolean() ? common : pick(random, values);
    }

    private static ConnectHeaders minimal() {
        ConnectHeaders headers = new ConnectHeaders();
        headers.addBytes("ce_specversion", utf8("1.0"));
        headers.addBytes("ce_id", utf8("1"));
        headers.addBytes("ce_source", utf8("/s"));
        headers.addBytes("ce_type", utf8("t"));
        return headers;
    }

    private static SinkRecord record(ConnectHeaders headers, byte[] value) {
        return record("events-my-app", headers, value);
    }

    private static SinkRecord record(String topic, ConnectHeaders headers, byte[] value) {
        return new SinkRecord(topic, 0, Schema.OPTIONAL_BYTES_SCHEMA, null, Schema.OPTIONAL_BYTES_SCHEMA,
                value, 42, 1_714_564_800_000L, TimestampType.CREATE_TIME, headers);
    }

    private static JsonNode tree(byte[] json) throws IOException {
        return MAPPER.readTree(json);
    }

    private static JsonNode tree(String json) throws IOException {
        return MAPPER.readTree(json);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
