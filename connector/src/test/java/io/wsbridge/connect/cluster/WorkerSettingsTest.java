package io.wsbridge.connect.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {

    @AfterEach
    void reset() {
        WorkerSettingsFixture.reset();
    }

    @Test
    void theWorkerIdIsTheAdvertisedRestAddressLikeConnectBuildsIt() {
        WorkerSettings worker = WorkerSettings.from(Map.of("listeners", "http://0.0.0.0:8083",
                "rest.advertised.host.name", "worker-2.connect", "rest.advertised.port", "18083"));

        assertThat(worker.workerId()).isEqualTo("worker-2.connect:18083");
        assertThat(worker.advertisedHost()).isEqualTo("worker-2.connect");
        assertThat(worker.bindHost()).isNull();
    }

    @Test
    void withoutAdvertisedNameTheListenerHostAndPortCount() {
        WorkerSettings worker = WorkerSettings.from(Map.of("listeners", "http://127.0.0.3:41234,https://x:1"));

        assertThat(worker.workerId()).isEqualTo("127.0.0.3:41234");
        assertThat(worker.advertisedHost()).isEqualTo("127.0.0.3");
    }

    @Test
    void theWsbridgeKeysOverrideBindAndAdvertisedHost() {
        WorkerSettings worker = WorkerSettings.from(Map.of("listeners", "http://127.0.0.2:8083",
                "rest.advertised.host.name", "127.0.0.2", "wsbridge.websocket.host", "127.0.0.2",
                "wsbridge.websocket.advertised.host", "bridge-2.internal"));

        assertThat(worker.bindHost()).isEqualTo("127.0.0.2");
        assertThat(worker.advertisedHost()).isEqualTo("bridge-2.internal");
        assertThat(worker.workerId()).isEqualTo("127.0.0.2:8083");
    }

    @Test
    void aWorkerRecognisesItselfAmongTheTaskWorkers() {
        WorkerSettings worker = new WorkerSettings(null, "10.0.0.2", "10.0.0.2:8083");

        assertThat(worker.isSelf("10.0.0.2:8083")).isTrue();
        assertThat(worker.isSelf("10.0.0.3:8083")).isFalse();
        assertThat(worker.isSelf(null)).isFalse();
    }

    @Test
    void theWorkersBindAndAdvertisedHostApplyToTheConnectorsBridge() {
        WorkerSettings worker = new WorkerSettings("127.0.0.2", "127.0.0.2", "127.0.0.2:8083");
        BridgeSettings connector = BridgeSettings.builder("0.0.0.0", 8085)
                .cluster(ClusterSettings.of("a-long-enough-secret", null)).build();

        BridgeSettings applied = worker.apply(connector);

        assertThat(applied.host()).isEqualTo("127.0.0.2");
        assertThat(applied.port()).isEqualTo(8085);
        assertThat(applied.cluster().advertisedHost()).isEqualTo("127.0.0.2");
        assertThat(applied.cluster().secret()).isEqualTo("a-long-enough-secret");
        assertThat(worker.apply(connector)).as("tasks and the extension compute equal settings").isEqualTo(applied);
    }

    @Test
    void withoutTheExtensionTasksKeepTheConnectorsSettingsOutsideClusterMode() {
        BridgeSettings connector = BridgeSettings.defaults("127.0.0.1", 8085);

        assertThat(WorkerSettings.forTask(connector, Duration.ZERO)).isSameAs(connector);
    }

    @Test
    void clusterModeWithoutTheExtensionFailsTheTaskWithWhatToDo() {
        BridgeSettings connector = BridgeSettings.builder("127.0.0.1", 8085)
                .cluster(ClusterSettings.of("a-long-enough-secret", null)).build();

        assertThatThrownBy(() -> WorkerSettings.forTask(connector, Duration.ZERO))
                .isInstanceOf(ConnectException.class)
                .hasMessage("cluster.secret is set (cluster mode), but this worker does not run the wsbridge REST "
                        + "extension: add rest.extension.classes=io.wsbridge.connect.cluster.WsBridgeRestExtension "
                        + "to the properties of every worker and restart them, or remove cluster.secret");
    }

    @Test
    void tasksUseTheWorkerSettingsOnceInstalled() {
        WorkerSettingsFixture.install(new WorkerSettings("127.0.0.5", "127.0.0.5", "127.0.0.5:8083"));

        assertThat(WorkerSettings.forTask(BridgeSettings.defaults("0.0.0.0", 8085), Duration.ZERO).host())
                .isEqualTo("127.0.0.5");
    }
}
