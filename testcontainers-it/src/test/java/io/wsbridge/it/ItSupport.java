package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Small helpers shared by the end-to-end tests of this package. */
final class ItSupport {

    static final ObjectMapper JSON = new ObjectMapper();

    private ItSupport() {
    }

    /**
     * The first {@code count} records of the topic (one partition; a dead letter queue Connect may still be
     * creating), waiting up to {@code timeout} for them; fails if there are fewer, or more within half a second.
     */
    static List<ConsumerRecord<byte[], byte[]>> consume(Stack stack, String topic, int count, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            await("the Connect worker creating " + topic).atMost(timeout)
                    .until(() -> stack.kafka().admin().listTopics().names().get().contains(topic));
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            await(count + " records in " + topic).atMost(timeout).pollInterval(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        assertThat(records).as("records in %s", topic).hasSize(count);
        return records;
    }

    /** A header of a dead letter, as text; fails if it is missing. */
    static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        assertThat(header).as("header %s of the dead letter", key).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Sends all records without waiting for each, then waits for every acknowledgement. */
    static List<RecordMetadata> sendAll(Events events, List<ProducerRecord<byte[], byte[]>> records) {
        List<Future<RecordMetadata>> pending = new ArrayList<>(records.size());
        records.forEach(record -> pending.add(events.producer().send(record)));
        events.producer().flush();
        List<RecordMetadata> acknowledged = new ArrayList<>(records.size());
        for (Future<RecordMetadata> future : pending) {
            try {
                acknowledged.add(future.get(30, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException("a record was not acknowledged", e);
            }
        }
        return acknowledged;
    }

    /** The record with an explicit partition. */
    static ProducerRecord<byte[], byte[]> toPartition(ProducerRecord<byte[], byte[]> record, int partition) {
        return new ProducerRecord<>(record.topic(), partition, record.key(), record.value(), record.headers());
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }

    static List<String> ids(List<String> frames) {
        return frames.stream().map(frame -> json(frame).path("id").asText()).toList();
    }

    /**
     * The ids of the next {@code count} frames, waiting at most {@code timeout} for all of them. Unlike
     * {@link WsClient#awaitFrames}, a failure names ids only, not whole (large) frames.
     */
    static List<String> receiveIds(WsClient ws, int count, Duration timeout) {
        List<String> ids = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ids.size() < count) {
            Optional<String> frame = ws.nextFrame(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (frame.isEmpty()) {
                throw new AssertionError("expected " + count + " frames within " + timeout + ", got " + ids.size()
                        + ws.closeStatus().map(status -> "; closed: " + status).orElse("")
                        + "; last ids: " + ids.subList(Math.max(0, ids.size() - 5), ids.size()));
            }
            ids.add(json(frame.get()).path("id").asText());
        }
        return ids;
    }

    static List<String> idsOf(List<Events.CloudEvent> events) {
        return events.stream().map(Events.CloudEvent::id).toList();
    }
}
