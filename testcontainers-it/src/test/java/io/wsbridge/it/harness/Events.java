package io.wsbridge.it.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces test records the way Drogue Cloud writes its applications' events: CloudEvents in
 * binary mode ({@code ce_*} headers, data as the value), in structured mode (the whole event as JSON,
 * {@code content-type: application/cloudevents+json}), and plain records that are no CloudEvent.
 *
 * <pre>{@code
 * events.sendBinary("events-my-app", Events.event("my-app", "device-1"));
 * events.sendStructured("events-my-app", Events.event("my-app", "device-1").withSubject("door").withData("{\"open\":true}"));
 * events.sendPlain("events-my-app", "k", "not an event");
 * }</pre>
 *
 * Every send waits for the broker's acknowledgement, so a test knows the record is in the topic.
 */
public final class Events implements AutoCloseable {

    public static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEND_TIMEOUT_SECONDS = 30;

    private final KafkaProducer<byte[], byte[]> producer;

    public Events(String bootstrapServers) {
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * A Drogue-style telemetry event of {@code device} in {@code application}: a fresh id, source
     * {@code drogue://application/device}, type {@code io.drogue.event.v1}, subject (channel)
     * {@code telemetry}, data {@code {"temp":21.5}}.
     */
    public static CloudEvent event(String application, String device) {
        return new CloudEvent(UUID.randomUUID().toString(), "drogue://" + application + "/" + device,
                "io.drogue.event.v1", "telemetry", OffsetDateTime.now(ZoneOffset.UTC).toString(),
                application, device, Map.of(), "application/json", bytes("{\"temp\":21.5}"));
    }

    /** Binary mode: attributes as {@code ce_*} headers, {@code content-type}, the data as the value. */
    public RecordMetadata sendBinary(String topic, CloudEvent event) {
        return send(binaryRecord(topic, event));
    }

    /** Structured mode: the whole event as one JSON value. */
    public RecordMetadata sendStructured(String topic, CloudEvent event) {
        return send(structuredRecord(topic, event));
    }

    /** A record without any CloudEvents header. */
    public RecordMetadata sendPlain(String topic, String key, String value) {
        return send(new ProducerRecord<>(topic, null, bytes(key), bytes(value), new RecordHeaders()));
    }

    /** Sends and waits for the acknowledgement. */
    public RecordMetadata send(ProducerRecord<byte[], byte[]> record) {
        try {
            return producer.send(record).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending to " + record.topic(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + record.topic(), e);
        }
    }

    /** The producer itself, for tests that send many records without waiting for each. */
    public KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    public static ProducerRecord<byte[], byte[]> binaryRecord(String topic, CloudEvent event) {
        RecordHeaders headers = new RecordHeaders();
        event.attributes().forEach((name, value) -> headers.add("ce_" + name, bytes(value)));
        if (event.dataContentType() != null) {
            headers.add("content-type", bytes(event.dataContentType()));
        }
        return new ProducerRecord<>(topic, null, bytes(event.device()), event.data(), headers);
    }

    public static ProducerRecord<byte[], byte[]> structuredRecord(String topic, CloudEvent event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", bytes(STRUCTURED_CONTENT_TYPE));
        return new ProducerRecord<>(topic, null, bytes(event.device()), bytes(event.toStructuredJson()), headers);
    }

    @Override
    public void close() {
        producer.close();
    }

    private static byte[] bytes(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A CloudEvent to produce. {@code application} and {@code device} are Drogue's extension
     * attributes; {@code extensions} holds any others. Null attributes are left out.
     */
    public record CloudEvent(String id, String source, String type, String subject, String time,
                             String application, String device, Map<String, String> extensions,
                             String dataContentType, byte[] data) {

        public CloudEvent withId(String value) {
            return new CloudEvent(value, source, type, subject, time, application, device, extensions, dataContentType, data);
        }

        public CloudEvent withSource(String value) {
            return new CloudEvent(id, value, type, subject, time, application, device, extensions, dataContentType, data);
        }

        public CloudEvent withType(String value) {
            return new CloudEvent(id, source, value, subject, time, application, device, extensions, dataContentType, data);
        }

        /** Drogue's channel. */
        public CloudEvent withSubject(String value) {
            return new CloudEvent(id, source, type, value, time, application, device, extensions, dataContentType, data);
        }

        /** Without the {@code application} extension: the connector must derive it from the topic. */
        public CloudEvent withoutApplication() {
            return new CloudEvent(id, source, type, subject, time, null, device, extensions, dataContentType, data);
        }

        public CloudEvent withExtension(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(extensions);
            more.put(name, value);
            return new CloudEvent(id, source, type, subject, time, application, device, Map.copyOf(more), dataContentType, data);
        }

        /** JSON data ({@code application/json}). */
        public CloudEvent withData(String json) {
            return withData("application/json", bytes(json));
        }

        public CloudEvent withData(String contentType, byte[] value) {
            return new CloudEvent(id, source, type, subject, time, application, device, extensions, contentType, value);
        }

        /** The context attributes except {@code datacontenttype}, in CloudEvents' names. */
        public Map<String, String> attributes() {
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("specversion", "1.0");
            attributes.put("id", id);
            attributes.put("source", source);
            attributes.put("type", type);
            attributes.put("subject", subject);
            attributes.put("time", time);
            attributes.put("application", application);
            attributes.put("device", device);
            attributes.putAll(extensions);
            attributes.values().removeIf(value -> value == null);
            return attributes;
        }

        /** The event in the CloudEvents JSON format: JSON data embedded, text as a string, else base64. */
        public String toStructuredJson() {
            ObjectNode json = JSON.createObjectNode();
            attributes().forEach(json::put);
            if (dataContentType != null) {
                json.put("datacontenttype", dataContentType);
            }
            if (data != null) {
                if (dataContentType == null || dataContentType.startsWith("application/json") || dataContentType.contains("+json")) {
                    try {
                        json.set("data", JSON.readTree(data));
                    } catch (IOException e) {
                        throw new UncheckedIOException("data is not JSON", e);
                    }
                } else if (dataContentType.startsWith("text/")) {
                    json.put("data", new String(data, StandardCharsets.UTF_8));
                } else {
                    json.put("data_base64", data);
                }
            }
            return json.toString();
        }
    }
}
