package io.wsbridge.connect;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.connect.cluster.WorkerSettings;
import io.wsbridge.connect.config.ConnectorValidation;
import io.wsbridge.connect.config.WebSocketSinkConfig;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.ops.TaskMetrics;
import io.wsbridge.connect.replay.KafkaConnection;
import io.wsbridge.connect.replay.KafkaHistory;
import io.wsbridge.connect.replay.StartPositions;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts records to events and publishes them on the worker's shared bridge. {@code put()} hands each event to
 * the subscribers' bounded queues and returns; it never waits for a subscriber. By default ({@link
 * WebSocketSinkConfig#PUBLISH_PIPELINED}) a thread of the task's own does that for one poll's records while Connect
 * polls the next ({@link PublishPipeline}); every other call of Connect's waits for it first, so commits, partition
 * changes and stops see every record handed over published.
 *
 * <p>With a Kafka connection of its own ({@link KafkaConnection}), the task also tells the bridge where each partition
 * it is assigned starts ({@link StartPositions}, then a seek there, so that it is exact), and gives the bridge the
 * history resuming subscribers catch up from ({@link KafkaHistory}).
 */
public final class WebSocketSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(WebSocketSinkTask.class);
    /** How long a task in cluster mode waits for the REST extension to configure itself when the worker starts. */
    private static final Duration EXTENSION_WAIT = Duration.ofSeconds(15);
    /** How long a task in cluster mode waits for the cluster's bridges to link to its own before it reads. */
    private static final Duration PEER_WAIT = Duration.ofSeconds(10);

    private Bridges.Lease lease;
    private EventBus bus;
    private EventConverter converter;
    private ErrantRecordReporter reporter;
    private StartPositions startPositions;
    private final TaskMetrics metrics = new TaskMetrics();
    private final CommitHoldback commits = new CommitHoldback();
    private PublishPipeline pipeline;
    /**
     * Errant records reported since the last commit: the commit waits for them to be written. Connect waits too, but
     * only for those reported before it asks; with {@code publish.pipelined} the publisher thread may report later.
     */
    private final Queue<Future<Void>> reports = new ConcurrentLinkedQueue<>();

    @Override
    public void start(Map<String, String> props) {
        WebSocketSinkConfig config = new WebSocketSinkConfig(props);
        warnAboutConverters(props);
        converter = config.eventConverter();
        reporter = errantRecordReporter();
        BridgeSettings settings = WorkerSettings.forTask(config.bridgeSettings(), EXTENSION_WAIT);
        try {
            lease = Bridges.shared().acquire(settings);
        } catch (BridgeException e) {
            throw new ConnectException(e.getMessage(), e);
        }
        bus = lease.bridge();
        Bridge bridge = lease.bridge();
        metrics.register(pluginMetrics(), bridge::metrics);
        startResume(props, config, bridge);
        if (config.publishPipelined()) {
            // Connect's name for the task thread (task-thread-<connector>-<task>), so the two are found together.
            pipeline = new PublishPipeline(Thread.currentThread().getName() + "-publisher",
                    records -> WriteBatch.run(() -> publish(records), bridge.writers()));
        }
        log.info("Task started: publishing to the WebSocket server on {}{}; non-CloudEvent records: {}",
                settings.address(), settings.cluster() == null ? "" : " (cluster mode)",
                config.nonCloudEventPolicy().configValue());
    }

    /**
     * Publishes the records as one {@link WriteBatch}: each subscriber gets the events of a poll in a few network
     * writes, not one write per event. With {@link WebSocketSinkConfig#PUBLISH_PIPELINED}, hands them to the task's
     * {@link PublishPipeline} once it has published the previous poll's, and returns.
     */
    @Override
    public void put(Collection<SinkRecord> records) {
        if (records.isEmpty()) {
            drain(); // a failed batch fails the task at the next poll, even when no record follows it
            return;
        }
        log.debug("Publishing {} records", records.size());
        if (pipeline != null) {
            pipeline.submit(records);
            return;
        }
        WriteBatch.run(() -> publish(records), lease.bridge().writers());
    }

    private void publish(Collection<SinkRecord> records) {
        for (SinkRecord record : records) {
            try {
                bus.publish(converter.convert(record));
                metrics.published();
            } catch (DataException e) {
                if (reporter == null) {
                    throw e;
                }
                log.debug("Reporting errant record: {}", e.getMessage());
                reports.add(reporter.report(record, e));
                metrics.errant();
            }
        }
    }

    private void startResume(Map<String, String> props, WebSocketSinkConfig config, Bridge bridge) {
        Map<String, Object> kafka = KafkaConnection.consumer(props);
        if (kafka == null) {
            log.warn("Resuming and replaying (?from=) are off: this worker does not run the wsbridge REST extension "
                    + "and {} is not set", WebSocketSinkConfig.KAFKA_BOOTSTRAP_SERVERS);
            return;
        }
        try {
            startPositions = new StartPositions(kafka, KafkaConnection.groupId(props),
                    KafkaConnection.resetPolicy(props));
            KafkaHistory history = KafkaHistory.of(kafka, converter, props);
            if (!bridge.history(history, config.replayMaxConcurrent())) {
                history.close();
            }
        } catch (ConfigException e) {
            log.warn("Resuming and replaying (?from=) are off: {}", e.getMessage());
        } catch (KafkaException e) {
            throw new ConnectException("Cannot create the consumers for resume and replay ("
                    + (KafkaConnection.fromWorker() ? "the worker's Kafka settings" : "kafka.* settings") + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads where each partition starts (the group's committed offset, or the reset policy's position), seeks there,
     * and tells the bridge: its live stream then knows every partition before the partition's first event.
     */
    @Override
    public void open(Collection<TopicPartition> partitions) {
        drain();
        awaitPeers(partitions);
        if (startPositions == null || partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> starts;
        try {
            starts = startPositions.of(partitions);
        } catch (KafkaException e) {
            log.warn("Cannot read where {} start; cursors name them only from their first event: {}", partitions,
                    e.toString());
            return;
        }
        context.offset(starts);
        commits.started(starts);
        starts.forEach((partition, offset) -> {
            bus.started(converter.topicApplication(partition.topic()), partition.topic(), partition.partition(),
                    offset);
            if (converter.sharesTopic(partition.topic())) {
                bus.startedShared(partition.topic(), partition.partition(), offset);
            }
        });
        log.debug("Partitions start at {}", starts);
    }

    /**
     * Cluster mode: before it reads partitions it was just assigned (perhaps moved from a worker that died), waits for
     * every bridge of the cluster to link here, so that what it reads reaches every group member of the cluster.
     */
    private void awaitPeers(Collection<TopicPartition> partitions) {
        Bridge bridge = bridge();
        if (bridge == null || bridge.cluster() == null || partitions.isEmpty()) {
            return;
        }
        try {
            Set<String> missing = bridge.awaitLinked(PEER_WAIT);
            if (missing.isEmpty()) {
                log.debug("Every bridge of the cluster is linked; reading {}", partitions);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Commits no further than the events handed to groups and not yet written (cluster mode, {@link
     * Bridge#groupHoldback}): if this worker dies, the partition's next owner reads them again and deals them to the
     * groups, whose members so miss none of them (some may come twice). Never below what it committed before.
     */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        drain();
        awaitReports();
        Map<TopicPartition, OffsetAndMetadata> offsets = super.preCommit(currentOffsets);
        Bridge bridge = bridge();
        Map<PartitionId, Long> holdback = bridge == null ? Map.of() : bridge.groupHoldback();
        Map<TopicPartition, OffsetAndMetadata> held = commits.apply(offsets, holdback);
        if (!holdback.isEmpty()) {
            log.debug("Committing {} (events handed to groups and not yet written from {})", held, holdback);
        }
        return held;
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        try {
            drain();
        } finally {
            commits.closed(partitions);
        }
    }

    @Override
    public void stop() {
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        if (startPositions != null) {
            startPositions.close();
            startPositions = null;
        }
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    @Override
    public String version() {
        return Version.get();
    }

    /** Waits until every record handed to {@link #put} is published (or failed: then throws). */
    private void drain() {
        if (pipeline != null) {
            pipeline.drain();
        }
    }

    /** Waits for the errant records reported since the last commit to be written (see {@link #reports}). */
    private void awaitReports() {
        Future<Void> report;
        while ((report = reports.poll()) != null) {
            try {
                report.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("Interrupted while waiting for errant records to be reported", e);
            } catch (ExecutionException e) {
                throw new ConnectException("Could not report an errant record: " + e.getCause(), e.getCause());
            }
        }
    }

    /** The bridge this task publishes to; {@code null} when stopped. */
    Bridge bridge() {
        return lease == null ? null : lease.bridge();
    }

    private PluginMetrics pluginMetrics() {
        try {
            return context == null ? null : context.pluginMetrics();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            log.info("This Connect worker has no plugin metrics (KIP-877); task metrics are only on the operations "
                    + "listener's /metrics (ops.port)");
            return null;
        }
    }

    private ErrantRecordReporter errantRecordReporter() {
        try {
            return context == null ? null : context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            log.warn("This Connect worker has no errant record reporter; errant records fail the task");
            return null;
        }
    }

    private static void warnAboutConverters(Map<String, String> props) {
        for (String key : new String[] {"value.converter", "header.converter"}) {
            if (!props.containsKey(key)) {
                log.warn("{} is not set in the connector configuration, so the worker's default applies; wsbridge "
                        + "expects {}={}", key, key, ConnectorValidation.BYTE_ARRAY_CONVERTER);
            }
        }
    }
}
