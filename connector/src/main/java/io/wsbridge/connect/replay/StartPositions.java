package io.wsbridge.connect.replay;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a task reads a partition it was just assigned, so that the bridge's live stream knows where it starts before
 * the first event. The task then {@linkplain org.apache.kafka.connect.sink.SinkTaskContext#offset(Map) seeks} exactly
 * there, which makes the answer exact rather than a guess of what the worker will do: the connector group's committed
 * offset; without one, or if retention removed it, the reset policy's position ({@code earliest}: the log start;
 * {@code latest}: the log end as read now).
 *
 * <p>Its consumer names the connector's group only to read the committed offsets: it never subscribes, so it never
 * joins the group. Blocking; used on the task's thread in {@code open()}, once per assignment.
 */
public final class StartPositions implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String resetPolicy;

    public StartPositions(Map<String, Object> consumerSettings, String groupId, String resetPolicy) {
        Map<String, Object> settings = new HashMap<>(consumerSettings);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, "wsbridge-positions-" + groupId);
        this.consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.resetPolicy = resetPolicy;
    }

    /**
     * The offset the task is to read each partition from; partitions without a committed offset under the reset policy
     * {@code none} are left out (the task fails on them anyway).
     */
    public Map<TopicPartition, Long> of(Collection<TopicPartition> partitions) {
        Set<TopicPartition> all = new HashSet<>(partitions);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all, TIMEOUT);
        Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(all, TIMEOUT);
        Map<TopicPartition, Long> ends = consumer.endOffsets(all, TIMEOUT);
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (TopicPartition partition : all) {
            OffsetAndMetadata offset = committed.get(partition);
            long beginning = beginnings.getOrDefault(partition, 0L);
            long end = ends.getOrDefault(partition, beginning);
            if (offset != null && offset.offset() >= beginning && offset.offset() <= end) {
                positions.put(partition, offset.offset());
            } else if (resetPolicy.equalsIgnoreCase("earliest")) {
                positions.put(partition, beginning);
            } else if (resetPolicy.equalsIgnoreCase("latest")) {
                positions.put(partition, end);
            }
        }
        return positions;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
