package io.wsbridge.connect.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.rw.CloudEventRWException;
import io.wsbridge.bridge.bus.Event;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventConverterTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TOPIC = "events-my-app";
    /** 2024-05-01T12:00:00Z */
    private static final long TIMESTAMP = 1_714_564_800_000L;

    private final EventConverter wrapping =
            new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.WRAP);
    private final EventConverter reporting =
            new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.REPORT);

    // --- binary mode -------------------------------------------------------------------------------------------

    @Test
    void drogueBinaryModeEventKeepsAttributesExtensionsAndJsonData() {
        Headers headers = drogueHeaders()
                .addBytes("ce_subject", utf8("temperature"))
                .addBytes("ce_time", utf8("2024-05-01T12:00:00Z"))
                .addBytes("content-type", utf8("application/json"))
                .addBytes("traceparent", utf8("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

        Event event = reporting.convert(record(TOPIC, "device-1", utf8("{\"temp\":21.5}"), headers));

        assertThat(event.application()).isEqualTo("my-app");
        assertThat(event.channel()).isEqualTo("temperature");
        assertThat(event.text()).contains("\"data\":{\"temp\":21.5}");
        assertThat(json(event)).isEqualTo(json("{\"specversion\":\"1.0\",\"id\":\"4711\","
                + "\"source\":\"drogue://my-app/device-1\",\"type\":\"io.drogue.event.v1\","
                + "\"datacontenttype\":\"application/json\",\"subject\":\"temperature\","
                + "\"time\":\"2024-05-01T12:00:00Z\",\"application\":\"my-app\",\"device\":\"device-1\","
                + "\"data\":{\"temp\":21.5}}"));
        assertThat(json(event).get("data").isObject()).isTrue();
    }

    @Test
    void binaryModeTextDataStaysAString() {
        Headers headers = drogueHeaders().addBytes("content-type", utf8("text/plain; charset=utf-8"));

        Event event = reporting.convert(record(TOPIC, null, utf8("héllo wörld"), headers));

        assertThat(json(event).get("data").isTextual()).isTrue();
        assertThat(json(event).get("data").textValue()).isEqualTo("héllo wörld");
        assertThat(json(event).has("data_base64")).isFalse();
    }

    @Test
    void binaryModeBinaryDataIsWrittenAsDataBase64() {
        Headers headers = drogueHeaders().addBytes("content-type", utf8("application/octet-stream"));

        Event event = reporting.convert(record(TOPIC, null, new byte[] {0, 1, 2, (byte) 0xFF}, headers));

        assertThat(json(event).get("data_base64").textValue()).isEqualTo("AAEC/w==");
        assertThat(json(event).has("data")).isFalse();
        assertThat(json(event).get("datacontenttype").textValue()).isEqualTo("application/octet-stream");
    }

    @Test
    void binaryModeJsonDataWithVendorOrUpperCaseContentTypeStaysJson() {
        for (String contentType : new String[] {"application/vnd.drogue.v1+json", "Application/JSON; charset=UTF-8"}) {
            Headers headers = drogueHeaders().addBytes("content-type", utf8(contentType));

            Event event = reporting.convert(record(TOPIC, null, utf8("{\"temp\": [1, 2]}"), headers));

            assertThat(json(event).get("data")).as(contentType).isEqualTo(json("{\"temp\":[1,2]}"));
            assertThat(json(event).get("datacontenttype").textValue()).isEqualTo(contentType);
        }
    }

    @Test
    void binaryModeDataThatIsNotTheJsonItClaimsIsWrittenAsDataBase64() {
        Headers headers = drogueHeaders().addBytes("content-type", utf8("application/json"));

        Event event = reporting.convert(record(TOPIC, null, utf8("{\"temp\":21.5} trailing"), headers));

        assertThat(json(event).get("data_base64").textValue()).isEqualTo("eyJ0ZW1wIjoyMS41fSB0cmFpbGluZw==");
        assertThat(json(event).get("datacontenttype").textValue()).isEqualTo("application/json");
    }

    @Test
    void binaryModeWithoutContentTypeEmbedsJsonDataAndEncodesOtherData() {
        Event json = reporting.convert(record(TOPIC, null, utf8("[1,2,3]"), drogueHeaders()));
        Event text = reporting.convert(record(TOPIC, null, utf8("plain"), drogueHeaders()));

        assertThat(json(json).get("data")).isEqualTo(json("[1,2,3]"));
        assertThat(json(json).has("datacontenttype")).isFalse();
        assertThat(json(text).get("data_base64").textValue()).isEqualTo("cGxhaW4=");
    }

    @Test
    void binaryModeWithoutValueGivesEventWithoutData() {
        Event event = reporting.convert(record(TOPIC, null, null, drogueHeaders()));

        assertThat(json(event).has("data")).isFalse();
        assertThat(json(event).has("data_base64")).isFalse();
        assertThat(json(event).get("id").textValue()).isEqualTo("4711");
    }

    @Test
    void binaryModeReadsHeadersThatAHeaderConverterTurnedIntoNumbersAndStrings() {
        SimpleHeaderConverter converter = new SimpleHeaderConverter();
        Headers headers = new ConnectHeaders();
        for (Map.Entry<String, String> header : Map.of("ce_specversion", "1.0", "ce_id", "42",
                "ce_source", "drogue://drogue-app/device-1", "ce_type", "io.drogue.event.v1",
                "content-type", "application/json").entrySet()) {
            SchemaAndValue converted = converter.toConnectHeader(TOPIC, header.getKey(), utf8(header.getValue()));
            headers.add(header.getKey(), converted);
        }
        headers.addInt("ce_count", 7).addString("ce_device", "device-1");
        assertThat(headers.lastWithName("ce_specversion").value()).isNotInstanceOf(String.class);
        assertThat(headers.lastWithName("ce_id").value()).isInstanceOf(Number.class);

        Event event = reporting.convert(record(TOPIC, null, utf8("{\"temp\":21.5}"), headers));

        assertThat(json(event)).isEqualTo(json("{\"specversion\":\"1.0\",\"id\":\"42\","
                + "\"source\":\"drogue://drogue-app/device-1\",\"type\":\"io.drogue.event.v1\","
                + "\"datacontenttype\":\"application/json\",\"count\":\"7\",\"device\":\"device-1\","
                + "\"data\":{\"temp\":21.5}}"));
    }

    @Test
    void binaryModeIgnoresHeadersWithoutValue() {
        Headers headers = drogueHeaders().addBytes("ce_dataschema", null).addBytes("content-type", null);

        Event event = reporting.convert(record(TOPIC, null, utf8("{}"), headers));

        assertThat(json(event).has("dataschema")).isFalse();
        assertThat(json(event).get("data")).isEqualTo(json("{}"));
    }

    // --- the application ---------------------------------------------------------------------------------------

    @Test
    void binaryModeEventNamingAnotherApplicationThanItsTopicIsRefusedOnTheFastPath() {
        Headers headers = drogueHeaders().remove("ce_application")
                .addBytes("ce_application", utf8("other-app"))
                .addBytes("content-type", utf8("application/json"));
        SinkRecord record = record(TOPIC, null, utf8("{\"temp\":21.5}"), headers);
        assertThat(new BinaryModeWriter().write(record, utf8("{\"temp\":21.5}"))).as("the fast path takes it")
                .isNotNull();

        for (EventConverter converter : new EventConverter[] {wrapping, reporting}) {
            assertThatThrownBy(() -> converter.convert(record))
                    .isInstanceOf(DataException.class)
                    .hasMessage("Record events-my-app/0/42 names the application 'other-app' in its CloudEvent"
                            + " extension 'application', but its topic events-my-app belongs to the application"
                            + " 'my-app': an event may only name the application of its topic; produce it to the topic"
                            + " of 'other-app', or set the extension to 'my-app' or leave it out")
                    .hasCauseInstanceOf(ApplicationResolver.MismatchException.class);
        }
    }

    @Test
    void binaryModeEventNamingAnotherApplicationIsRefusedOnTheSdkPathAlike() {
        Headers headers = drogueHeaders().remove("ce_application")
                .addBytes("ce_application", utf8("other-app"))
                .addBytes("ce_time", utf8("2024-05-01T12:00Z")); // valid, but a form the fast path leaves to the SDK
        SinkRecord record = record(TOPIC, null, utf8("{}"), headers);
        assertThat(new BinaryModeWriter().write(record, utf8("{}"))).as("the SDK path takes it").isNull();

        assertThatThrownBy(() -> reporting.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith("Record events-my-app/0/42 names the application 'other-app' in its"
                        + " CloudEvent extension 'application', but its topic events-my-app belongs to the application"
                        + " 'my-app':")
                .hasCauseInstanceOf(ApplicationResolver.MismatchException.class);
    }

    @Test
    void structuredModeEventWithTheBridgesCursorExtensionIsRefused() {
        String structured = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                + "\"wsbridgecursor\":\"mine\"}";
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8(structured), headers)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent for the bridge in structured mode: it"
                        + " has a member wsbridgecursor, but the extension 'wsbridgecursor' is the bridge's own: it"
                        + " carries each frame's resume cursor; give the extension another name");
    }

    @Test
    void structuredModeEventNamingAnotherApplicationThanItsTopicIsRefused() {
        String structured = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                + "\"application\":\"other-app\"}";
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8(structured), headers)))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith("Record events-my-app/0/42 names the application 'other-app' in its"
                        + " CloudEvent extension 'application', but its topic events-my-app belongs to the application"
                        + " 'my-app':")
                .hasCauseInstanceOf(ApplicationResolver.MismatchException.class);
    }

    @Test
    void theApplicationExtensionDecidesOnATopicThePatternNamesNoApplicationIn() {
        Headers headers = drogueHeaders().addBytes("content-type", utf8("application/json"));

        Event event = reporting.convert(record("telemetry", null, utf8("{}"), headers));

        assertThat(event.application()).isEqualTo("my-app");
    }

    @Test
    void aBlankApplicationExtensionLeavesTheTopicsApplication() {
        Headers headers = drogueHeaders().remove("ce_application").addBytes("ce_application", utf8(" "));

        assertThat(reporting.convert(record(TOPIC, null, utf8("{}"), headers)).application()).isEqualTo("my-app");
    }

    // --- structured mode ---------------------------------------------------------------------------------------

    @Test
    void structuredModeEventKeepsAttributesExtensionsAndJsonData() {
        String structured = "{\"specversion\":\"1.0\",\"id\":\"4711\",\"source\":\"drogue://drogue-app/device-1\","
                + "\"type\":\"io.drogue.event.v1\",\"datacontenttype\":\"application/json\",\"subject\":\"temperature\","
                + "\"application\":\"drogue-app\",\"device\":\"device-1\",\"data\":{\"temp\":21.5}}";
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));

        Event event = wrapping.convert(record("telemetry", null, utf8(structured), headers));

        assertThat(event.application()).isEqualTo("drogue-app");
        assertThat(event.channel()).isEqualTo("temperature");
        assertThat(json(event)).isEqualTo(json(structured));
    }

    @Test
    void structuredModeKeepsTextDataAStringAndBinaryDataBase64() {
        Headers headers = new ConnectHeaders()
                .addBytes("content-type", utf8("application/cloudevents+json; charset=UTF-8"));
        String text = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                + "\"datacontenttype\":\"text/plain\",\"data\":\"hello\"}";
        String binary = "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"/s\",\"type\":\"t\","
                + "\"datacontenttype\":\"application/octet-stream\",\"data_base64\":\"AAEC/w==\"}";

        assertThat(json(reporting.convert(record(TOPIC, null, text, headers)))).isEqualTo(json(text));
        assertThat(json(reporting.convert(record(TOPIC, null, binary, headers)))).isEqualTo(json(binary));
    }

    @Test
    void structuredModeEventWithoutSubjectHasNoChannel() {
        String structured = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}";
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));

        Event event = reporting.convert(record(TOPIC, null, ByteBuffer.wrap(utf8(structured)), headers));

        assertThat(event.channel()).isNull();
        assertThat(event.application()).isEqualTo("my-app");
        assertThat(json(event)).isEqualTo(json(structured));
    }

    @Test
    void everyEventCarriesThePositionItsRecordWasConsumedAtOnBothPathsAndWhenWrapped() {
        SinkRecord fast = record(TOPIC, "device-1", utf8("{\"temp\":21.5}"), drogueHeaders()
                .addBytes("content-type", utf8("application/json")));
        SinkRecord sdk = new SinkRecord(TOPIC, 0, null, null, null,
                utf8("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}"), 42, TIMESTAMP,
                TimestampType.CREATE_TIME, new ConnectHeaders().addBytes("content-type",
                        utf8("application/cloudevents+json")));
        SinkRecord wrapped = new SinkRecord(TOPIC, 0, null, null, null, utf8("plain"), 42, TIMESTAMP,
                TimestampType.CREATE_TIME, new ConnectHeaders());
        for (SinkRecord record : new SinkRecord[] {fast, sdk, wrapped}) {
            // a transformation renamed the topic and moved the partition; the position is where Kafka holds it
            SinkRecord transformed = record.newRecord("renamed", 7, null, record.key(), null, record.value(),
                    record.timestamp(), record.headers());

            Event event = wrapping.convert(transformed);

            assertThat(event.hasPosition()).isTrue();
            assertThat(event.topic()).isEqualTo(TOPIC);
            assertThat(event.partition()).isZero();
            assertThat(event.offset()).isEqualTo(42);
        }
        assertThat(wrapping.topicApplication(TOPIC)).isEqualTo("my-app");
        assertThat(wrapping.topicApplication("telemetry")).isEqualTo("telemetry");
    }

    // --- not a CloudEvent --------------------------------------------------------------------------------------

    @Test
    void wrapsJsonRecordIntoCloudEventNamedAfterItsCoordinates() {
        SinkRecord record = new SinkRecord(TOPIC, 3, Schema.STRING_SCHEMA, "device-1", null, utf8("{\"temp\":21.5}"),
                42, TIMESTAMP, TimestampType.CREATE_TIME, new ConnectHeaders());

        Event event = wrapping.convert(record);

        assertThat(event.application()).isEqualTo("my-app");
        assertThat(event.channel()).isEqualTo("device-1");
        assertThat(json(event)).isEqualTo(json("{\"specversion\":\"1.0\",\"id\":\"events-my-app/3/42\","
                + "\"source\":\"/topics/events-my-app\",\"type\":\"io.wsbridge.kafka.record\","
                + "\"datacontenttype\":\"application/json\",\"subject\":\"device-1\","
                + "\"time\":\"2024-05-01T12:00:00Z\",\"data\":{\"temp\":21.5}}"));
    }

    @Test
    void wrapsTextRecordWithTextData() {
        Event event = wrapping.convert(record(TOPIC, utf8("device-1"), "hello wörld", new ConnectHeaders()));

        assertThat(event.channel()).isEqualTo("device-1");
        assertThat(json(event).get("datacontenttype").textValue()).isEqualTo("text/plain; charset=utf-8");
        assertThat(json(event).get("data").textValue()).isEqualTo("hello wörld");
    }

    @Test
    void wrapsBinaryRecordWithDataBase64() {
        byte[] notUtf8 = {(byte) 0xC0, (byte) 0x80, 0x01};

        Event event = wrapping.convert(record(TOPIC, notUtf8, ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xFF}),
                new ConnectHeaders().addBytes("content-type", utf8("application/octet-stream"))));

        assertThat(event.channel()).isNull();
        assertThat(json(event).has("subject")).isFalse();
        assertThat(json(event).get("datacontenttype").textValue()).isEqualTo("application/octet-stream");
        assertThat(json(event).get("data_base64").textValue()).isEqualTo("AAEC/w==");
    }

    @Test
    void wrapsRecordWithoutValueIntoEventWithoutData() {
        SinkRecord record = new SinkRecord("telemetry", 0, null, null, null, null, 7, null, TimestampType.NO_TIMESTAMP_TYPE,
                new ConnectHeaders());

        Event event = wrapping.convert(record);

        assertThat(event.application()).isEqualTo("telemetry");
        assertThat(event.channel()).isNull();
        assertThat(json(event)).isEqualTo(json("{\"specversion\":\"1.0\",\"id\":\"telemetry/0/7\","
                + "\"source\":\"/topics/telemetry\",\"type\":\"io.wsbridge.kafka.record\"}"));
    }

    @Test
    void readsOnlyTheRemainingBytesOfByteBufferValuesAndKeys() {
        ByteBuffer value = ByteBuffer.wrap(utf8("xx{\"temp\":21.5}yy"), 2, 13);
        ByteBuffer key = ByteBuffer.wrap(utf8("--device-1"), 2, 8);

        Event event = wrapping.convert(record(TOPIC, key, value, new ConnectHeaders()));

        assertThat(event.channel()).isEqualTo("device-1");
        assertThat(json(event).get("data")).isEqualTo(json("{\"temp\":21.5}"));
        assertThat(value.position()).isEqualTo(2);
    }

    @Test
    void reportsRecordThatIsNotACloudEvent() {
        SinkRecord withContentType = record(TOPIC, null, utf8("{\"temp\":21.5}"),
                new ConnectHeaders().addBytes("content-type", utf8("application/json")));
        SinkRecord withoutHeaders = record(TOPIC, null, utf8("{\"temp\":21.5}"), new ConnectHeaders());

        assertThatThrownBy(() -> reporting.convert(withContentType))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a CloudEvent: it has no ce_specversion header and its"
                        + " content-type is 'application/json' instead of application/cloudevents+json; produce"
                        + " CloudEvents in binary or structured mode, or set the policy for records that are not"
                        + " CloudEvents to wrap");
        assertThatThrownBy(() -> reporting.convert(withoutHeaders))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a CloudEvent: it has no ce_specversion header and no"
                        + " content-type header instead of application/cloudevents+json; produce CloudEvents in"
                        + " binary or structured mode, or set the policy for records that are not CloudEvents to wrap");
    }

    // --- invalid CloudEvents -----------------------------------------------------------------------------------

    @Test
    void rejectsUnknownSpecVersionWhateverThePolicy() {
        Headers headers = drogueHeaders().addBytes("ce_specversion", utf8("0.9"));

        for (EventConverter converter : new EventConverter[] {wrapping, reporting}) {
            assertThatThrownBy(() -> converter.convert(record(TOPIC, null, utf8("{}"), headers)))
                    .isInstanceOf(DataException.class)
                    .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in binary mode:"
                            + " Invalid specversion: 0.9")
                    .hasCauseInstanceOf(CloudEventRWException.class);
        }
    }

    @Test
    void rejectsBinaryModeEventWithoutMandatoryAttribute() {
        Headers withData = new ConnectHeaders().addBytes("ce_specversion", utf8("1.0"))
                .addBytes("ce_source", utf8("/s")).addBytes("ce_type", utf8("t"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8("{}"), withData)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in binary mode:"
                        + " Attribute 'id' cannot be null")
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, null, withData)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in binary mode:"
                        + " Attribute 'id' cannot be null")
                .hasCauseInstanceOf(CloudEventRWException.class);
    }

    @Test
    void rejectsBinaryModeEventWithInvalidAttributeValue() {
        Headers headers = drogueHeaders().addBytes("ce_time", utf8("yesterday"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8("{}"), headers)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in binary mode:"
                        + " Invalid attribute/extension value for \"time\": yesterday")
                .hasCauseInstanceOf(CloudEventRWException.class);
    }

    @Test
    void rejectsMalformedStructuredJson() {
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));
        SinkRecord record = record(TOPIC, null, utf8("{\"specversion\":\"1.0\",\"id\":}"), headers);

        assertThatThrownBy(() -> wrapping.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): Unexpected character ('}' (code 125)): expected a value"
                        + " (line 1, column 27)")
                .hasCauseInstanceOf(EventDeserializationException.class);
    }

    @Test
    void rejectsStructuredJsonWithAnythingAfterTheEvent() {
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));
        String event = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}";

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8(event + " garbage"), headers)))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): Unrecognized token 'garbage'")
                .hasCauseInstanceOf(EventDeserializationException.class);
        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8(event + event), headers)))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): Trailing token (of type START_OBJECT) found after value");
        assertThat(json(wrapping.convert(record(TOPIC, null, utf8(event + " \n"), headers))).path("id").asText())
                .as("white space after the event is fine").isEqualTo("1");
    }

    @Test
    void rejectsStructuredEventWithoutMandatoryAttribute() {
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));
        SinkRecord record = record(TOPIC, null, utf8("{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}"), headers);

        assertThatThrownBy(() -> wrapping.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): Missing mandatory source attribute")
                .hasCauseInstanceOf(EventDeserializationException.class);
    }

    @Test
    void rejectsStructuredEventWithUnknownSpecVersion() {
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));
        SinkRecord record = record(TOPIC, null,
                utf8("{\"specversion\":\"2.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}"), headers);

        assertThatThrownBy(() -> reporting.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): Invalid specversion: 2.0");
    }

    @Test
    void rejectsStructuredContentTypeWithoutValue() {
        Headers headers = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+json"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, null, headers)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is not a valid CloudEvent in structured mode"
                        + " (application/cloudevents+json): the record has no value");
    }

    @Test
    void rejectsBatchesAndOtherStructuredFormats() {
        Headers batch = new ConnectHeaders()
                .addBytes("content-type", utf8("application/cloudevents-batch+json"));
        Headers avro = new ConnectHeaders().addBytes("content-type", utf8("application/cloudevents+avro"));

        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, utf8("[]"), batch)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 holds a batch of CloudEvents"
                        + " (application/cloudevents-batch+json), which is not supported: produce one CloudEvent"
                        + " per record");
        assertThatThrownBy(() -> wrapping.convert(record(TOPIC, null, new byte[] {1}, avro)))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 is a CloudEvent in the unsupported structured format"
                        + " 'application/cloudevents+avro': produce application/cloudevents+json or binary mode");
    }

    @Test
    void rejectsValueThatIsNotRawBytes() {
        Schema schema = SchemaBuilder.struct().field("temp", Schema.FLOAT64_SCHEMA).build();
        SinkRecord record = new SinkRecord(TOPIC, 0, null, null, schema, new Struct(schema).put("temp", 21.5), 42,
                TIMESTAMP, TimestampType.CREATE_TIME, drogueHeaders());

        assertThatThrownBy(() -> wrapping.convert(record))
                .isInstanceOf(DataException.class)
                .hasMessage("Record events-my-app/0/42 has a value of type org.apache.kafka.connect.data.Struct,"
                        + " expected raw bytes: set value.converter=org.apache.kafka.connect.converters.ByteArrayConverter");
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private static Headers drogueHeaders() {
        return new ConnectHeaders()
                .addBytes("ce_specversion", utf8("1.0"))
                .addBytes("ce_id", utf8("4711"))
                .addBytes("ce_source", utf8("drogue://my-app/device-1"))
                .addBytes("ce_type", utf8("io.drogue.event.v1"))
                .addBytes("ce_application", utf8("my-app"))
                .addBytes("ce_device", utf8("device-1"));
    }

    private static SinkRecord record(String topic, Object key, Object value, Headers headers) {
        return new SinkRecord(topic, 0, null, key, null, value, 42, TIMESTAMP, TimestampType.CREATE_TIME, headers);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode json(Event event) {
        return json(event.text());
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("Not JSON: " + text, e);
        }
    }
}
