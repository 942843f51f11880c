package io.wsbridge.connect.replay;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.From;
import io.wsbridge.bridge.resume.History;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.connect.convert.EventConverter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's history in Kafka: each reading is a consumer of its own, assigned the partitions of the application's
 * topics and positioned with {@code seek} (no consumer group, nothing committed), whose records go through the
 * connector's transformations ({@link Transforms}) and are converted as the task converts them. Its memory is bounded by the fetch sizes set
 * here, and it reads only when the bridge asks, as fast as the subscriber's queue drains.
 */
public final class KafkaHistory implements History {

    private static final Logger log = LoggerFactory.getLogger(KafkaHistory.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);
    /** Records fetched per poll, and bytes per fetch: what one reading holds at most, about. */
    static final int MAX_POLL_RECORDS = 500;
    static final int FETCH_MAX_BYTES = 4 * 1024 * 1024;
    static final int PARTITION_FETCH_MAX_BYTES = 1024 * 1024;

    /** How long the broker's topic list is reused when the connector names its topics by pattern. */
    private static final long TOPIC_LIST_MILLIS = 10_000;

    private final Map<String, Object> settings;
    private final EventConverter converter;
    private final TopicSelection selection;
    private final Transforms.Factory transforms;
    private Set<String> listed;
    private long listedAtMillis;

    /** A history that names no topics of its own: readings cover the topics the bridge's live stream knows. */
    public KafkaHistory(Map<String, Object> consumerSettings, EventConverter converter) {
        this(consumerSettings, converter, TopicSelection.none());
    }

    /** @param selection the topics the connector reads: {@link #topics} answers from them */
    public KafkaHistory(Map<String, Object> consumerSettings, EventConverter converter, TopicSelection selection) {
        this(consumerSettings, converter, selection, Transforms.Factory.none());
    }

    /**
     * A connector's history: the topics its configuration reads, its records transformed by its transformations.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a transformation cannot be set up on this worker
     */
    public static KafkaHistory of(Map<String, Object> consumerSettings, EventConverter converter,
            Map<String, String> connectorConfig) {
        return new KafkaHistory(consumerSettings, converter, TopicSelection.from(connectorConfig),
                new Transforms.Factory(connectorConfig));
    }

    private KafkaHistory(Map<String, Object> consumerSettings, EventConverter converter, TopicSelection selection,
            Transforms.Factory transforms) {
        Map<String, Object> own = new HashMap<>(consumerSettings);
        own.remove(ConsumerConfig.GROUP_ID_CONFIG);
        own.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        own.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        own.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, FETCH_MAX_BYTES);
        own.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, PARTITION_FETCH_MAX_BYTES);
        this.settings = Map.copyOf(own);
        this.converter = converter;
        this.selection = selection;
        this.transforms = transforms;
    }

    @Override
    public Set<String> topics(String application) throws HistoryException {
        Set<String> topics = new TreeSet<>(selection.byPattern() ? listed() : selection.topics());
        topics.removeIf(topic -> !selection.matches(topic) || !converter.mayHold(topic, application));
        return topics;
    }

    /** The broker's topics (not its internal ones), read again at most every {@link #TOPIC_LIST_MILLIS}. */
    private synchronized Set<String> listed() throws HistoryException {
        long now = System.currentTimeMillis();
        if (listed == null || now - listedAtMillis > TOPIC_LIST_MILLIS) {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                Set<String> names = new TreeSet<>(consumer.listTopics(TIMEOUT).keySet());
                names.removeIf(name -> name.startsWith("__"));
                listed = Set.copyOf(names);
                listedAtMillis = now;
            } catch (KafkaException e) {
                throw new HistoryException("cannot list the topics: " + e, e);
            }
        }
        return listed;
    }

    @Override
    public Reading open(String application, Set<String> topics, From from) throws HistoryException {
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
                if (infos != null) {
                    infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
                }
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions, TIMEOUT);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
            Map<PartitionId, Long> lost = new HashMap<>();
            Map<TopicPartition, Long> starts = starts(consumer, partitions, from, beginnings, ends, lost);
            starts.forEach(consumer::seek);
            return new KafkaReading(consumer, application, starts, ends, lost, transforms.create());
        } catch (KafkaException e) {
            if (consumer != null) {
                consumer.close(Duration.ZERO);
            }
            throw new HistoryException("cannot open a reading of " + topics + ": " + e, e);
        }
    }

    private static Map<TopicPartition, Long> starts(KafkaConsumer<byte[], byte[]> consumer,
            List<TopicPartition> partitions, From from, Map<TopicPartition, Long> beginnings,
            Map<TopicPartition, Long> ends, Map<PartitionId, Long> lost) {
        Map<TopicPartition, Long> starts = new HashMap<>();
        Map<TopicPartition, OffsetAndTimestamp> byTime = null;
        if (from instanceof From.At at) {
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(partition -> times.put(partition, at.time().toEpochMilli()));
            byTime = consumer.offsetsForTimes(times, TIMEOUT);
        }
        for (TopicPartition partition : partitions) {
            long beginning = beginnings.getOrDefault(partition, 0L);
            long end = ends.getOrDefault(partition, beginning);
            long start = beginning;
            if (byTime != null) {
                OffsetAndTimestamp found = byTime.get(partition);
                start = found == null ? end : found.offset();
            } else if (from instanceof From.After after) {
                Long position = after.cursor().positions()
                        .get(new PartitionId(partition.topic(), partition.partition()));
                start = position == null ? beginning : position;
            } else if (from instanceof From.Place place) {
                Long position = place.cursor().positions()
                        .get(new PartitionId(partition.topic(), partition.partition()));
                start = position == null ? end : position; // a group place names only where it stood
            } else if (!(from instanceof From.Earliest)) {
                throw new IllegalArgumentException("a reading cannot start from " + from);
            }
            if (start < beginning) {
                // retention removed what the subscriber missed: the catch-up announces the gap
                log.info("Replay of {} starts at {}, the earliest offset still held, instead of {}", partition,
                        beginning, start);
                lost.put(id(partition), beginning - start);
                start = beginning;
            }
            starts.put(partition, Math.min(start, end));
        }
        return starts;
    }

    @Override
    public void close() {
        // every reading owns its consumer and is closed by its catch-up
    }

    private static PartitionId id(TopicPartition partition) {
        return new PartitionId(partition.topic(), partition.partition());
    }

    private static TopicPartition tp(PartitionId partition) {
        return new TopicPartition(partition.topic(), partition.partition());
    }

    /** One subscriber's reading: a consumer, and the records of its last poll not handed over yet. */
    private final class KafkaReading implements Reading {

        private final KafkaConsumer<byte[], byte[]> consumer;
        private final String application;
        private final Map<PartitionId, Long> starts = new HashMap<>();
        private final Map<PartitionId, Long> ends = new HashMap<>();
        private final Map<PartitionId, Long> lost;
        private final ArrayDeque<ConsumerRecord<byte[], byte[]>> pending = new ArrayDeque<>();
        private final Set<TopicPartition> assigned;
        private final Transforms transforms;

        KafkaReading(KafkaConsumer<byte[], byte[]> consumer, String application, Map<TopicPartition, Long> starts,
                Map<TopicPartition, Long> ends, Map<PartitionId, Long> lost, Transforms transforms) {
            this.consumer = consumer;
            this.transforms = transforms;
            this.lost = Map.copyOf(lost);
            this.application = application;
            starts.forEach((partition, offset) -> this.starts.put(id(partition), offset));
            ends.forEach((partition, offset) -> this.ends.put(id(partition), offset));
            this.assigned = Set.copyOf(starts.keySet());
        }

        @Override
        public Map<PartitionId, Long> starts() {
            return starts;
        }

        @Override
        public Map<PartitionId, Long> ends() {
            return ends;
        }

        @Override
        public Map<PartitionId, Long> endsNow() throws HistoryException {
            try {
                Map<PartitionId, Long> now = new HashMap<>();
                consumer.endOffsets(assigned, TIMEOUT).forEach((partition, offset) -> now.put(id(partition), offset));
                return now;
            } catch (KafkaException e) {
                throw new HistoryException("cannot read the end offsets of " + assigned + ": " + e, e);
            }
        }

        @Override
        public Map<PartitionId, Long> lost() {
            return lost;
        }

        @Override
        public List<Event> read(int max) throws HistoryException {
            try {
                if (pending.isEmpty()) {
                    consumer.poll(POLL).forEach(pending::add);
                }
                List<Event> events = new ArrayList<>(Math.min(max, pending.size()));
                while (events.size() < max && !pending.isEmpty()) {
                    ConsumerRecord<byte[], byte[]> record = pending.pollFirst();
                    Event event = convert(record);
                    if (event != null && event.application().equals(application)) {
                        events.add(event);
                    }
                }
                return events;
            } catch (KafkaException e) {
                throw new HistoryException("reading " + assigned + " failed: " + e, e);
            }
        }

        private Event convert(ConsumerRecord<byte[], byte[]> record) {
            ConnectHeaders headers = new ConnectHeaders();
            for (Header header : record.headers()) {
                headers.add(header.key(), new SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, header.value()));
            }
            SinkRecord sinkRecord = new SinkRecord(record.topic(), record.partition(), Schema.OPTIONAL_BYTES_SCHEMA,
                    record.key(), Schema.OPTIONAL_BYTES_SCHEMA, record.value(), record.offset(), record.timestamp(),
                    record.timestampType(), headers);
            SinkRecord transformed;
            try {
                transformed = transforms.apply(sinkRecord);
            } catch (RuntimeException e) {
                log.debug("Replay skips a record a transformation failed on: {}", e.toString());
                return null;
            }
            if (transformed == null) {
                return null; // dropped by a transformation, as it was for the task
            }
            try {
                return converter.convert(transformed);
            } catch (DataException | IllegalArgumentException e) {
                log.debug("Replay skips a record that is no valid event: {}", e.getMessage());
                return null;
            }
        }

        @Override
        public long position(PartitionId partition) throws HistoryException {
            for (ConsumerRecord<byte[], byte[]> record : pending) {
                if (record.partition() == partition.partition() && record.topic().equals(partition.topic())) {
                    return record.offset(); // not handed over yet
                }
            }
            try {
                return consumer.position(tp(partition), TIMEOUT);
            } catch (KafkaException e) {
                throw new HistoryException("cannot read the position of " + partition + ": " + e, e);
            }
        }

        @Override
        public void only(Set<PartitionId> partitions) {
            Set<TopicPartition> reading = new HashSet<>();
            partitions.forEach(partition -> reading.add(tp(partition)));
            Set<TopicPartition> paused = new HashSet<>(assigned);
            paused.removeAll(reading);
            consumer.pause(paused);
            consumer.resume(reading);
            pending.removeIf(record -> paused.contains(new TopicPartition(record.topic(), record.partition())));
        }

        @Override
        public void seek(PartitionId partition, long offset) {
            pending.removeIf(record -> record.partition() == partition.partition()
                    && record.topic().equals(partition.topic()));
            consumer.seek(tp(partition), offset);
        }

        @Override
        public void close() {
            transforms.close();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                log.debug("Closing a replay consumer failed", e);
            }
        }
    }
}
