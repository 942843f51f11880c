package io.wsbridge.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.connect.cluster.WorkerRegistry;
import io.wsbridge.connect.cluster.WorkerSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClusterSecretValidationTest {

    @AfterEach
    void reset() {
        WorkerRegistry.clear();
    }

    static Map<String, String> withSecret(String secret) {
        Map<String, String> config = WebSocketSinkConnectorTest.valid();
        config.put("cluster.secret", secret);
        return config;
    }

    @Test
    void aClusterSecretOnAWorkerWithTheExtensionIsValid() {
        WorkerRegistry.install(new WorkerSettings(null, null, "127.0.0.1", "127.0.0.1:8083"));

        assertThat(WebSocketSinkConnectorTest.errors(withSecret("0123456789abcdef"))).isEmpty();
    }

    @Test
    void aShortClusterSecretIsRefused() {
        WorkerRegistry.install(new WorkerSettings(null, null, "127.0.0.1", "127.0.0.1:8083"));

        assertThat(WebSocketSinkConnectorTest.errors(withSecret("short"))).containsOnly(Map.entry("cluster.secret",
                List.of("cluster.secret must be at least 16 characters long, or empty to turn cluster mode off")));
    }

    @Test
    void clusterModeOnAWorkerWithoutTheExtensionSaysWhatToAdd() {
        assertThat(WebSocketSinkConnectorTest.errors(withSecret("0123456789abcdef"))).containsOnly(
                Map.entry("cluster.secret", List.of("cluster mode needs the wsbridge REST extension on every worker, "
                        + "and this one does not run it: add rest.extension.classes="
                        + "io.wsbridge.connect.cluster.WsBridgeRestExtension to the worker properties")));
    }

    @Test
    void withoutASecretNothingChanges() {
        assertThat(WebSocketSinkConnectorTest.errors(WebSocketSinkConnectorTest.valid())).isEmpty();
        assertThat(WebSocketSinkConnectorTest.errors(withSecret(""))).isEmpty();
    }
}
