package io.wsbridge.connect;

import io.wsbridge.connect.cluster.WorkerRegistry;
import io.wsbridge.connect.config.ConnectorValidation;
import io.wsbridge.connect.config.WebSocketSinkConfig;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Streams the CloudEvents of Kafka topics to WebSocket subscribers. The connector only checks its configuration
 * and hands it to its tasks; the tasks feed the embedded WebSocket server of their worker.
 */
public final class WebSocketSinkConnector extends SinkConnector {

    private Map<String, String> settings;

    @Override
    public void start(Map<String, String> props) {
        new WebSocketSinkConfig(props);
        this.settings = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return WebSocketSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, settings);
    }

    @Override
    public void stop() {
        settings = null;
    }

    @Override
    public ConfigDef config() {
        return WebSocketSinkConfig.CONFIG_DEF;
    }

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = ConnectorValidation.validate(connectorConfigs, super.validate(connectorConfigs));
        String secret = connectorConfigs.get(WebSocketSinkConfig.CLUSTER_SECRET);
        if (secret != null && !secret.isEmpty() && WorkerRegistry.current().isEmpty()) {
            config.configValues().stream().filter(value -> value.name().equals(WebSocketSinkConfig.CLUSTER_SECRET))
                    .forEach(value -> value.addErrorMessage("cluster mode needs the wsbridge REST extension on every "
                            + "worker, and this one does not run it: add rest.extension.classes="
                            + WebSocketSinkConfig.REST_EXTENSION + " to the worker properties"));
        }
        return config;
    }

    @Override
    public String version() {
        return Version.get();
    }
}
