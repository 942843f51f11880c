package io.wsbridge.it.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latency baseline: a bare Kafka consumer with the connector's consumer settings reads the same topic while the
 * subscribers receive, and records produce-to-consume times from the same timestamps. What is left of wsbridge's
 * latency above it is Connect, conversion and the WebSocket hop.
 */
final class KafkaLatencyProbe implements AutoCloseable {

    private static final byte[] MARKER = "{\"ts\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final long[] latencies;
    private volatile boolean running = true;
    private volatile boolean recording;
    private volatile long received;
    private volatile int samples;

    KafkaLatencyProbe(String bootstrapServers, String topic, Map<String, String> settings, int capacity) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToEnd(List.of(partition));
        consumer.position(partition);
        latencies = new long[capacity];
        thread = new Thread(this::run, "kafka-latency-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    received++;
                    if (recording) {
                        long sent = timestamp(record.value());
                        int index = samples;
                        if (sent > 0 && index < latencies.length) {
                            latencies[index] = (now - sent) / 1000;
                            samples = index + 1;
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    /** The data's {@code "ts":} value: the value of a binary-mode record is the data itself. */
    private static long timestamp(byte[] value) {
        if (value == null || value.length < MARKER.length) {
            return -1;
        }
        for (int i = 0; i < MARKER.length; i++) {
            if (value[i] != MARKER[i]) {
                return -1;
            }
        }
        long ts = 0;
        for (int i = MARKER.length; i < value.length; i++) {
            int digit = value[i] - '0';
            if (digit < 0 || digit > 9) {
                break;
            }
            ts = ts * 10 + digit;
        }
        return ts;
    }

    long received() {
        return received;
    }

    void record(boolean on) {
        recording = on;
    }

    long[] latenciesMicros() {
        return java.util.Arrays.copyOf(latencies, samples);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
    }
}
