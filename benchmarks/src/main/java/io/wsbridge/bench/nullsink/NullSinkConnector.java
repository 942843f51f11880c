package io.wsbridge.bench.nullsink;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * A sink connector whose task does nothing with the records: what a Connect worker costs by itself (consumer, record
 * and header conversion, the task loop). {@code ./bench.sh} packs it into a plugin of its own, next to wsbridge's
 * archive on the benchmark worker's {@code plugin.path}; it is never part of wsbridge.
 */
public final class NullSinkConnector extends SinkConnector {

    private Map<String, String> props = Map.of();

    @Override
    public void start(Map<String, String> props) {
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return NullSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, props);
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public String version() {
        return "bench";
    }
}
