package io.wsbridge.connect.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {

    @AfterEach
    void reset() {
        WorkerRegistry.clear();
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
    void wsbridgeOpsHostMovesTheConnectorsOperationsListenerOnThisWorkerOnly() {
        WorkerSettings worker = WorkerSettings.from(Map.of("listeners", "http://127.0.0.2:8083",
                "wsbridge.ops.host", "127.0.0.2"));
        BridgeSettings withOps = BridgeSettings.builder("0.0.0.0", 8085)
                .ops(new BridgeSettings.Ops("127.0.0.1", 8086)).build();

        assertThat(worker.opsHost()).isEqualTo("127.0.0.2");
        assertThat(worker.apply(withOps).ops()).isEqualTo(new BridgeSettings.Ops("127.0.0.2", 8086));
        assertThat(worker.apply(BridgeSettings.defaults("0.0.0.0", 8085)).ops())
                .as("a connector without ops.port gets no listener").isNull();
    }

    @Test
    void aWorkerRecognisesItselfAmongTheTaskWorkers() {
        WorkerSettings worker = new WorkerSettings(null, null, "10.0.0.2", "10.0.0.2:8083");

        assertThat(worker.isSelf("10.0.0.2:8083")).isTrue();
        assertThat(worker.isSelf("10.0.0.3:8083")).isFalse();
        assertThat(worker.isSelf(null)).isFalse();
    }

    @Test
    void theWorkersBindAndAdvertisedHostApplyToTheConnectorsBridge() {
        WorkerSettings worker = new WorkerSettings("127.0.0.2", null, "127.0.0.2", "127.0.0.2:8083");
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
    void aBridgeThatNamesItselfOtherwiseStillKnowsTheHostItsPeersDial() {
        WorkerSettings worker = new WorkerSettings(null, null, "bridge-2.internal", "[fd00::2]:8083");

        BridgeSettings applied = worker.apply(clustered());

        assertThat(applied.cluster().advertisedHost()).isEqualTo("bridge-2.internal");
        assertThat(applied.cluster().workerHost()).as("the host of its worker id, where peers link to it")
                .isEqualTo("fd00::2");
    }

    static BridgeSettings clustered() {
        return BridgeSettings.builder("0.0.0.0", 8085).cluster(ClusterSettings.of("a-long-enough-secret", null))
                .build();
    }

    @Test
    void outsideClusterModeATaskKeepsTheConnectorsSettingsWithoutWaitingForTheExtension() {
        BridgeSettings connector = BridgeSettings.defaults("127.0.0.1", 8085);

        BridgeSettings settings = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> WorkerSettings.forTask(connector, Duration.ofHours(1)));

        assertThat(settings).isSameAs(connector);
    }

    @Test
    void clusterModeWithoutTheExtensionFailsTheTaskAfterTheWaitWithWhatToDo() {
        assertThatThrownBy(() -> WorkerSettings.forTask(clustered(), Duration.ofMillis(50)))
                .isInstanceOf(ConnectException.class)
                .hasMessage("cluster.secret is set (cluster mode), but this task waited 50 ms for the wsbridge REST "
                        + "extension and this worker does not run it: add rest.extension.classes="
                        + "io.wsbridge.connect.cluster.WsBridgeRestExtension to the properties of every worker and "
                        + "restart them, or remove cluster.secret");
    }

    @Test
    void aWaitingClusterTaskStartsAsSoonAsTheExtensionInstallsTheWorkerSettings() {
        CompletableFuture<BridgeSettings> started = new CompletableFuture<>();
        Thread task = new Thread(() -> {
            try {
                started.complete(WorkerSettings.forTask(clustered(), Duration.ofMinutes(1)));
            } catch (RuntimeException e) {
                started.completeExceptionally(e);
            }
        }, "waiting-task");
        task.setDaemon(true);
        task.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> task.getState() == Thread.State.TIMED_WAITING);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> !started.isDone());

        WorkerRegistry.install(new WorkerSettings("127.0.0.5", null, "bridge-5.internal", "127.0.0.5:8083"));

        await().atMost(Duration.ofSeconds(5)).until(started::isDone);
        BridgeSettings settings = started.join();
        assertThat(settings.host()).isEqualTo("127.0.0.5");
        assertThat(settings.cluster().advertisedHost()).isEqualTo("bridge-5.internal");
    }

    @Test
    void anInterruptedClusterTaskFailsAndKeepsItsInterruptFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> WorkerSettings.forTask(clustered(), Duration.ofMinutes(1)))
                    .isInstanceOf(ConnectException.class)
                    .hasMessage("Interrupted while waiting for the wsbridge REST extension to configure this worker "
                            + "(cluster.secret is set: cluster mode)");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void tasksUseTheWorkerSettingsOnceInstalled() {
        WorkerRegistry.install(new WorkerSettings("127.0.0.5", null, "127.0.0.5", "127.0.0.5:8083"));

        assertThat(WorkerSettings.forTask(BridgeSettings.defaults("0.0.0.0", 8085), Duration.ZERO).host())
                .isEqualTo("127.0.0.5");
        assertThat(WorkerSettings.forTask(clustered(), Duration.ZERO).cluster().advertisedHost())
                .isEqualTo("127.0.0.5");
    }
}
