package io.wsbridge.connect;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.connect.cluster.WorkerSettings;
import io.wsbridge.connect.config.ConnectorValidation;
import io.wsbridge.connect.config.WebSocketSinkConfig;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.ops.TaskMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
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
 * the subscribers' bounded queues and returns; it never waits for a subscriber.
 */
public final class WebSocketSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(WebSocketSinkTask.class);
    /** How long a task in cluster mode waits for the REST extension to configure itself when the worker starts. */
    private static final Duration EXTENSION_WAIT = Duration.ofSeconds(15);

    private Bridges.Lease lease;
    private EventBus bus;
    private EventConverter converter;
    private ErrantRecordReporter reporter;
    private final TaskMetrics metrics = new TaskMetrics();

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
        log.info("Task started: publishing to the WebSocket server on {}{}; non-CloudEvent records: {}",
                settings.address(), settings.cluster() == null ? "" : " (cluster mode)",
                config.nonCloudEventPolicy().configValue());
    }

    /**
     * Publishes the records as one {@link WriteBatch}: each subscriber gets the events of a poll in a few network
     * writes, not one write per event.
     */
    @Override
    public void put(Collection<SinkRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        log.debug("Publishing {} records", records.size());
        WriteBatch.run(() -> publish(records));
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
                reporter.report(record, e);
                metrics.errant();
            }
        }
    }

    @Override
    public void stop() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    @Override
    public String version() {
        return Version.get();
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
