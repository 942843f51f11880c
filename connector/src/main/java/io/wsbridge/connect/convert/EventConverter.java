package io.wsbridge.connect.convert;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.core.format.EventSerializationException;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.jackson.JsonFormatOptions;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventAttributes;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Values;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * Turns a sink record into the {@link Event} the bridge delivers: one CloudEvent in structured JSON.
 *
 * <p>Input: CloudEvents in Kafka binary mode ({@code ce_*} headers and {@code content-type}, decoded with
 * cloudevents-kafka) or structured mode ({@code content-type: application/cloudevents+json}). Values and
 * headers are expected as raw bytes ({@code ByteArrayConverter}); {@code String} and {@code ByteBuffer} values
 * and headers that another header converter turned into numbers or strings are accepted too.
 *
 * <p>Output data: JSON data is embedded as JSON, text data ({@code text/*}, XML, a {@code charset} parameter)
 * as a string, anything else, and data that does not match its JSON or text content type, as
 * {@code data_base64}. Extensions are kept.
 *
 * <p>A record that is no CloudEvent is handled by the {@link NonCloudEventPolicy}. When wrapped, it becomes a
 * CloudEvent 1.0 with id {@code <topic>/<partition>/<offset>}, source {@code /topics/<topic>} (so that id and
 * source together name the record uniquely and stably across redeliveries), type {@value #WRAPPED_TYPE}, time
 * from the record timestamp, subject from a non-empty UTF-8 key, and content type {@code application/json},
 * {@code text/plain; charset=utf-8} or {@code application/octet-stream} after what the value holds. The record
 * coordinates are those the record was consumed with, before any transformation.
 *
 * <p>The common case, a binary-mode CloudEvent 1.0 with JSON, text or binary data, takes a fast path
 * ({@link BinaryModeWriter}) that writes the frame straight from the header bytes; every other record, and any
 * record the fast path is unsure of, goes through the SDK as described above, which decides and words the errors.
 *
 * <p>The application comes from the {@link ApplicationResolver}: a record on an application's topic whose
 * {@code application} extension names another application is refused, on either path.
 *
 * <p>Every failure is a {@link DataException} naming the record as {@code topic/partition/offset}.
 * Thread-safe: build one per task and reuse it.
 */
public final class EventConverter {

    /** CloudEvent type of a record wrapped by {@link NonCloudEventPolicy#WRAP}. */
    public static final String WRAPPED_TYPE = "io.wsbridge.kafka.record";

    static final String STRUCTURED_JSON = JsonFormat.CONTENT_TYPE;
    static final String JSON = "application/json";
    static final String TEXT = "text/plain; charset=utf-8";
    static final String BINARY = "application/octet-stream";

    private static final Logger log = LoggerFactory.getLogger(EventConverter.class);

    private static final String CONTENT_TYPE_HEADER = "content-type";
    private static final String SPEC_VERSION_HEADER = "ce_specversion";
    private static final String CE_HEADER_PREFIX = "ce_";
    private static final String DATA = "data";
    /** The extension the bridge stamps each frame's cursor in (see {@code LiveStream}). */
    static final String CURSOR_EXTENSION = "wsbridgecursor";
    static final String STRUCTURED_PREFIX = "application/cloudevents";
    private static final String BATCH_JSON = "application/cloudevents-batch+json";
    private static final String BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";

    private final ApplicationResolver resolver;
    private final NonCloudEventPolicy policy;
    /**
     * Reads structured mode as the SDK's {@link JsonFormat} does, but refuses anything after the event: a record is
     * one CloudEvent, and bytes the SDK would ignore mean the record is not what its producer meant.
     */
    private final ObjectReader structuredReader;
    /** Embeds JSON data as JSON and writes any other data as a string. */
    private final JsonFormat textFormat;
    /** Writes any data that is not a JSON tree as {@code data_base64}. */
    private final JsonFormat base64Format;
    private final ObjectReader strictTreeReader;
    private final BinaryModeWriter binaryModeWriter = new BinaryModeWriter();

    public EventConverter(ApplicationResolver resolver, NonCloudEventPolicy policy) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.structuredReader = new ObjectMapper().registerModule(JsonFormat.getCloudEventJacksonModule())
                .readerFor(CloudEvent.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.textFormat = new JsonFormat(JsonFormatOptions.builder().forceStringSerialization(true).build());
        this.base64Format = new JsonFormat(JsonFormatOptions.builder().forceDataBase64Serialization(true).build());
        this.strictTreeReader = new ObjectMapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /**
     * @return the event with its application, channel (the CloudEvent subject) and frame text
     * @throws DataException if the record is no valid CloudEvent and cannot or may not be wrapped into one
     */
    public Event convert(SinkRecord record) {
        byte[] value = valueBytes(record);
        BinaryModeWriter.Result fast = binaryModeWriter.write(record, value);
        if (fast != null) {
            return positioned(record, application(record, fast.application()), fast.subject(), fast.frame(),
                    fast.attributes());
        }
        return convertWithSdk(record, value);
    }

    /** The path for every record: through the CloudEvents SDK. {@link BinaryModeWriter} must agree with it. */
    Event convertWithSdk(SinkRecord record, byte[] value) {
        RecordHeaders headers = cloudEventHeaders(record);
        String contentType = lastHeader(headers, CONTENT_TYPE_HEADER);

        CloudEvent event;
        byte[] text;
        if (contentType != null && Payloads.essence(contentType).startsWith(STRUCTURED_PREFIX)) {
            event = decodeStructured(record, contentType, value);
            refuseReservedExtension(record, event, "in structured mode: it has a member ");
            text = serialize(record, event);
        } else if (headers.lastHeader(SPEC_VERSION_HEADER) != null) {
            event = decodeBinary(record, headers, value);
            if (event.getExtension(DATA) != null) {
                // the SDK would write a second "data" member, and clients would see either of the two
                throw new DataException("Record " + coordinates(record) + " is not a valid CloudEvent in binary mode:"
                        + " it has a header ce_" + DATA + ", but '" + DATA + "' is no attribute name: the JSON"
                        + " format keeps it for the event's data; give the extension another name");
            }
            refuseReservedExtension(record, event, "in binary mode: it has a header ce_");
            text = serialize(record, event);
        } else if (policy == NonCloudEventPolicy.WRAP) {
            String dataContentType = wrappedContentType(value);
            event = wrap(record, dataContentType, value);
            text = write(record, BINARY.equals(dataContentType) ? base64Format : textFormat, event);
            if (log.isTraceEnabled()) {
                log.trace("Wrapped record {} that is not a CloudEvent", coordinates(record));
            }
        } else {
            throw new DataException("Record " + coordinates(record) + " is not a CloudEvent: it has no "
                    + SPEC_VERSION_HEADER + " header and "
                    + (contentType == null ? "no content-type header" : "its content-type is '" + contentType + "'")
                    + " instead of " + STRUCTURED_JSON + "; produce CloudEvents in binary or structured mode,"
                    + " or set the policy for records that are not CloudEvents to "
                    + NonCloudEventPolicy.WRAP.configValue());
        }
        Object extension = event.getExtension(ApplicationResolver.APPLICATION_EXTENSION);
        return positioned(record, application(record, extension == null ? null : extension.toString()),
                event.getSubject(), text, null);
    }

    /**
     * The event with the position the record was consumed at (before any transformation): where the bridge places it
     * in its application's stream, and where a resuming subscriber's replay finds it again. {@code attributes}, if
     * not {@code null}, are the frame's members for filters (the fast path has them at hand).
     */
    private static Event positioned(SinkRecord record, String application, String subject, byte[] frame,
            EventAttributes attributes) {
        Integer partition = record.originalKafkaPartition();
        String topic = record.originalTopic();
        long offset = record.originalKafkaOffset();
        if (topic == null || partition == null || partition < 0 || offset < 0) {
            return Event.fromUtf8(application, subject, frame, attributes);
        }
        return Event.fromUtf8(application, subject, frame, topic, partition, offset, attributes);
    }

    /** The application of the events of a topic that carry no {@code application} extension. */
    public String topicApplication(String topic) {
        return resolver.resolveFromExtension(null, topic);
    }

    /** Whether the topic is shared: the pattern names no application in it ({@link ApplicationResolver#shared}). */
    public boolean sharesTopic(String topic) {
        return resolver.shared(topic);
    }

    /** Whether records of {@code topic} may be events of {@code application} ({@link ApplicationResolver#mayHold}). */
    public boolean mayHold(String topic, String application) {
        return resolver.mayHold(topic, application);
    }

    /** Both paths resolve the application here, from the same extension text, so that they refuse alike. */
    private String application(SinkRecord record, String extension) {
        try {
            return resolver.resolveFromExtension(extension, record.topic());
        } catch (ApplicationResolver.MismatchException e) {
            throw new DataException("Record " + coordinates(record) + " " + e.getMessage(), e);
        }
    }

    static byte[] valueBytes(SinkRecord record) {
        Object value = record.value();
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof ByteBuffer) {
            return bytes((ByteBuffer) value);
        }
        if (value instanceof String) {
            return ((String) value).getBytes(StandardCharsets.UTF_8);
        }
        throw new DataException("Record " + coordinates(record) + " has a value of type " + value.getClass().getName()
                + ", expected raw bytes: set value.converter=" + BYTE_ARRAY_CONVERTER);
    }

    /**
     * Only {@code content-type} and {@code ce_*} matter to the decoder; other headers are not converted. A header
     * without value carries no attribute and is left out, as the SDK would stumble over it.
     */
    private static RecordHeaders cloudEventHeaders(SinkRecord record) {
        RecordHeaders headers = new RecordHeaders();
        for (org.apache.kafka.connect.header.Header header : record.headers()) {
            String key = header.key();
            Object value = header.value();
            if (value == null || !(key.equals(CONTENT_TYPE_HEADER) || key.startsWith(CE_HEADER_PREFIX))) {
                continue;
            }
            headers.add(key, headerBytes(record, header));
        }
        return headers;
    }

    static byte[] headerBytes(SinkRecord record, org.apache.kafka.connect.header.Header header) {
        Object value = header.value();
        if (value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof ByteBuffer) {
            return bytes((ByteBuffer) value);
        }
        if (value instanceof Number && header.key().equals(SPEC_VERSION_HEADER)) {
            return specVersion((Number) value).getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Values.convertToString(header.schema(), value).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new DataException("Record " + coordinates(record) + " has a header '" + header.key() + "' of type "
                    + value.getClass().getName() + " that cannot be read as text: set header.converter="
                    + BYTE_ARRAY_CONVERTER, e);
        }
    }

    /**
     * {@code SimpleHeaderConverter}, Connect's default, reads {@code ce_specversion: 1.0} as the number 1, whose
     * string form {@code 1} is no spec version: give integral numbers their {@code .0} back. Other headers may lose
     * their form as well ({@code 0042} becomes {@code 42}), hence the advice to use {@code ByteArrayConverter}.
     */
    private static String specVersion(Number number) {
        try {
            BigDecimal decimal = new BigDecimal(number.toString()).stripTrailingZeros();
            return decimal.scale() <= 0 ? decimal.toBigInteger() + ".0" : decimal.toPlainString();
        } catch (NumberFormatException e) {
            return number.toString();
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    private static String lastHeader(RecordHeaders headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /**
     * The bridge stamps each frame's resume cursor in the extension {@value #CURSOR_EXTENSION}: an event of the
     * producer's own by that name would give a frame two members of that name, and a client either of them.
     */
    private static void refuseReservedExtension(SinkRecord record, CloudEvent event, String where) {
        if (event.getExtension(CURSOR_EXTENSION) != null) {
            throw new DataException("Record " + coordinates(record) + " is not a valid CloudEvent for the bridge "
                    + where + CURSOR_EXTENSION + ", but the extension '" + CURSOR_EXTENSION + "' is the bridge's own:"
                    + " it carries each frame's resume cursor; give the extension another name");
        }
    }

    private CloudEvent decodeStructured(SinkRecord record, String contentType, byte[] value) {
        String essence = Payloads.essence(contentType);
        if (essence.equals(BATCH_JSON)) {
            throw new DataException("Record " + coordinates(record) + " holds a batch of CloudEvents (" + BATCH_JSON
                    + "), which is not supported: produce one CloudEvent per record");
        }
        if (!essence.equals(STRUCTURED_JSON)) {
            throw new DataException("Record " + coordinates(record) + " is a CloudEvent in the unsupported structured"
                    + " format '" + contentType + "': produce " + STRUCTURED_JSON + " or binary mode");
        }
        String invalid = "Record " + coordinates(record) + " is not a valid CloudEvent in structured mode ("
                + STRUCTURED_JSON + "): ";
        if (value == null || value.length == 0) {
            throw new DataException(invalid + "the record has no value");
        }
        try {
            return structuredReader.readValue(value);
        } catch (IOException e) {
            throw new DataException(invalid + reason(e), new EventDeserializationException(e));
        } catch (CloudEventRWException | IllegalStateException | IllegalArgumentException e) {
            throw new DataException(invalid + reason(e), e);
        }
    }

    private static CloudEvent decodeBinary(SinkRecord record, RecordHeaders headers, byte[] value) {
        try {
            return KafkaMessageFactory.createReader(headers, value).toEvent();
        } catch (CloudEventRWException | IllegalStateException | IllegalArgumentException e) {
            throw new DataException("Record " + coordinates(record) + " is not a valid CloudEvent in binary mode: "
                    + reason(e), e);
        }
    }

    private static String wrappedContentType(byte[] value) {
        if (value == null) {
            return null;
        }
        if (!Payloads.isUtf8(value)) {
            return BINARY;
        }
        return Payloads.isWellFormedJson(value) ? JSON : TEXT;
    }

    private static CloudEvent wrap(SinkRecord record, String dataContentType, byte[] value) {
        io.cloudevents.core.v1.CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(coordinates(record))
                .withSource(source(record))
                .withType(WRAPPED_TYPE);
        Long timestamp = record.timestamp();
        if (timestamp != null && timestamp >= 0) {
            builder.withTime(OffsetDateTime.ofInstant(Instant.ofEpochMilli(timestamp), ZoneOffset.UTC));
        }
        String subject = subject(record.key());
        if (subject != null) {
            builder.withSubject(subject);
        }
        if (value != null) {
            builder.withData(dataContentType, value);
        }
        return builder.build();
    }

    private static URI source(SinkRecord record) {
        try {
            return new URI(null, null, "/topics/" + record.originalTopic(), null);
        } catch (URISyntaxException e) {
            throw new DataException("Record " + coordinates(record) + " has a topic name that gives no source URI", e);
        }
    }

    private static String subject(Object key) {
        String subject = null;
        if (key instanceof String) {
            subject = (String) key;
        } else if (key instanceof byte[] && Payloads.isUtf8((byte[]) key)) {
            subject = new String((byte[]) key, StandardCharsets.UTF_8);
        } else if (key instanceof ByteBuffer) {
            byte[] bytes = bytes((ByteBuffer) key);
            if (Payloads.isUtf8(bytes)) {
                subject = new String(bytes, StandardCharsets.UTF_8);
            }
        }
        return subject == null || subject.isEmpty() ? null : subject;
    }

    /**
     * Picks the writer that keeps JSON data JSON and text data a string, and never lets bytes that are not what
     * their content type says break the frame: such data goes out as {@code data_base64}.
     */
    private byte[] serialize(SinkRecord record, CloudEvent event) {
        CloudEventData data = event.getData();
        if (data == null || data instanceof JsonCloudEventData) {
            return write(record, textFormat, event);
        }
        byte[] bytes = data.toBytes();
        String contentType = event.getDataContentType();
        if (Payloads.serializerEmbedsAsJson(contentType)) {
            return write(record, Payloads.isJson(bytes) ? textFormat : fallback(record, event), event);
        }
        if (Payloads.isJsonMediaType(contentType)) {
            JsonNode tree = parseJson(bytes);
            if (tree != null) {
                return write(record, textFormat, CloudEventBuilder.from(event).withData(JsonCloudEventData.wrap(tree)).build());
            }
            return write(record, fallback(record, event), event);
        }
        if (Payloads.isTextMediaType(contentType) && Payloads.isUtf8(bytes)) {
            return write(record, textFormat, event);
        }
        return write(record, base64Format, event);
    }

    private JsonFormat fallback(SinkRecord record, CloudEvent event) {
        if (log.isTraceEnabled()) {
            log.trace("Record {}: data is not {} as its content type says; writing it as data_base64",
                    coordinates(record), event.getDataContentType() == null ? "JSON" : event.getDataContentType());
        }
        return base64Format;
    }

    private JsonNode parseJson(byte[] bytes) {
        if (!Payloads.isUtf8(bytes)) {
            return null;
        }
        try {
            return strictTreeReader.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Serializes once, to UTF-8 bytes: the SDK's serializer writes text data with
     * {@code JsonGenerator.writeUTF8String}, which only a byte-based generator supports. The bytes become the frame
     * as they are, without a round trip through a {@code String}.
     */
    private static byte[] write(SinkRecord record, JsonFormat format, CloudEvent event) {
        try {
            return format.serialize(event);
        } catch (EventSerializationException e) {
            throw new DataException("Record " + coordinates(record)
                    + " could not be written as a structured JSON CloudEvent: " + reason(e), e);
        }
    }

    /** The record as {@code topic/partition/offset}, as it was consumed. */
    static String coordinates(SinkRecord record) {
        return record.originalTopic() + "/" + record.originalKafkaPartition() + "/" + record.originalKafkaOffset();
    }

    /** The message that says what is wrong, without the SDK's and Jackson's wrapping. */
    private static String reason(Throwable failure) {
        Throwable current = failure;
        while (true) {
            if (current instanceof JsonProcessingException) {
                JsonProcessingException json = (JsonProcessingException) current;
                String message = json.getOriginalMessage();
                if (json instanceof JsonParseException && json.getLocation() != null) {
                    message += " (line " + json.getLocation().getLineNr() + ", column "
                            + json.getLocation().getColumnNr() + ")";
                }
                return message;
            }
            boolean wrapper = current instanceof EventDeserializationException
                    || current instanceof CloudEventRWException
                    && ((CloudEventRWException) current).getKind() == CloudEventRWException.CloudEventRWExceptionKind.OTHER;
            if (wrapper && current.getCause() != null && current.getCause() != current) {
                current = current.getCause();
                continue;
            }
            return current.getMessage() != null ? current.getMessage() : current.getClass().getName();
        }
    }

    @Override
    public String toString() {
        return "EventConverter{policy=" + policy.configValue() + ", resolver=" + resolver + "}";
    }
}
