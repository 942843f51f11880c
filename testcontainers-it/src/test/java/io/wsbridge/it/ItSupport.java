package io.wsbridge.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Small helpers shared by the end-to-end tests of this package. */
final class ItSupport {

    static final ObjectMapper JSON = new ObjectMapper();

    private ItSupport() {
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
