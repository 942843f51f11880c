package io.wsbridge.connect.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.resume.History;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.connect.replay.KafkaConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.health.ConnectorHealth;
import org.apache.kafka.connect.health.ConnectorState;
import org.apache.kafka.connect.health.ConnectorType;
import org.apache.kafka.connect.health.TaskState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterWatcherTest {

    static final String SECRET = "cluster-secret-for-tests";
    static final WorkerSettings WORKER_2 = new WorkerSettings("127.0.0.2", null, "127.0.0.2", "127.0.0.2:8083");

    /** Connect's cluster state as a test sets it. */
    static final class State implements ConnectClusterState {
        final Map<String, Map<String, String>> configs = new LinkedHashMap<>();
        final Map<String, Map<Integer, TaskState>> tasks = new HashMap<>();
        boolean rebalancing;

        @Override
        public Collection<String> connectors() {
            if (rebalancing) {
                throw new ConnectException("rebalance in progress");
            }
            return List.copyOf(configs.keySet());
        }

        @Override
        public ConnectorHealth connectorHealth(String name) {
            return new ConnectorHealth(name, new ConnectorState("RUNNING", "127.0.0.1:8083", null),
                    tasks.getOrDefault(name, Map.of()), ConnectorType.SINK);
        }

        @Override
        public Map<String, String> connectorConfig(String name) {
            return configs.get(name);
        }

        void task(String connector, int id, String state, String workerId) {
            tasks.computeIfAbsent(connector, c -> new HashMap<>()).put(id, new TaskState(id, state, workerId, null));
        }
    }

    /** Records the leases a watcher takes and what it tells their bridges. */
    static final class Leases implements ClusterWatcher.Leases {
        final List<Lease> taken = new ArrayList<>();
        boolean portTaken;

        @Override
        public Held acquire(BridgeSettings settings) {
            if (portTaken) {
                throw new BridgeException("Cannot start the WebSocket server on " + settings.address(), null);
            }
            Lease lease = new Lease(settings);
            taken.add(lease);
            return lease;
        }

        List<Lease> open() {
            return taken.stream().filter(lease -> !lease.closed).toList();
        }
    }

    static final class Lease implements ClusterWatcher.Leases.Held {
        final BridgeSettings settings;
        Set<PeerAddress> peers = Set.of();
        History history;
        boolean closed;

        Lease(BridgeSettings settings) {
            this.settings = settings;
        }

        @Override
        public void peers(Set<PeerAddress> consuming) {
            peers = consuming;
        }

        @Override
        public boolean history(History given, int maxConcurrent) {
            history = given;
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static Map<String, String> config(String secret) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "io.wsbridge.connect.WebSocketSinkConnector");
        config.put("topics", "events-a");
        config.put("websocket.host", "0.0.0.0");
        config.put("websocket.port", "18085");
        if (secret != null) {
            config.put("cluster.secret", secret);
        }
        return config;
    }

    final State state = new State();
    final Leases leases = new Leases();

    ClusterWatcher watcher(WorkerSettings worker, ConfigResolver resolver) {
        return new ClusterWatcher(state, worker, resolver, leases);
    }

    ClusterWatcher watcher() {
        return watcher(WORKER_2, new ConfigResolver(Map.of()));
    }

    @Test
    void everyWorkerRunsTheBridgeOfAClusteredConnectorOnItsOwnAddress() {
        state.configs.put("ws", config(SECRET));
        ClusterWatcher watcher = watcher();

        watcher.poll();

        assertThat(leases.open()).hasSize(1);
        BridgeSettings settings = leases.open().get(0).settings;
        assertThat(settings.address()).isEqualTo("127.0.0.2:18085");
        assertThat(settings.cluster().secret()).isEqualTo(SECRET);
        assertThat(settings.cluster().advertisedHost()).isEqualTo("127.0.0.2");
        assertThat(leases.open().get(0).peers).as("no task runs anywhere yet").isEmpty();
    }

    @Test
    void thePeersAreTheOtherWorkersThatRunATaskOnTheConnectorsPort() {
        state.configs.put("ws", config(SECRET));
        state.task("ws", 0, "RUNNING", "127.0.0.1:8083");
        state.task("ws", 1, "RUNNING", "127.0.0.2:8083");
        state.task("ws", 2, "RUNNING", "127.0.0.3:8083");
        state.task("ws", 3, "UNASSIGNED", "127.0.0.4:8083");
        state.task("ws", 4, "FAILED", "127.0.0.5:8083");
        ClusterWatcher watcher = watcher();

        watcher.poll();

        assertThat(leases.open().get(0).peers).containsExactlyInAnyOrder(new PeerAddress("127.0.0.1", 18085),
                new PeerAddress("127.0.0.3", 18085));

        state.task("ws", 2, "RUNNING", "127.0.0.2:8083");
        watcher.poll();
        assertThat(leases.open().get(0).peers).containsExactly(new PeerAddress("127.0.0.1", 18085));
        assertThat(leases.taken).as("the same lease, only its peers changed").hasSize(1);
    }

    @Test
    void connectorsWithoutSecretOrOfAnotherClassAreLeftAlone() {
        state.configs.put("single", config(null));
        Map<String, String> other = config(SECRET);
        other.put("connector.class", "org.example.OtherSink");
        state.configs.put("other", other);

        watcher().poll();

        assertThat(leases.taken).isEmpty();
    }

    @Test
    void deletingTheConnectorReleasesItsBridgeOnEveryWorker() {
        state.configs.put("ws", config(SECRET));
        ClusterWatcher watcher = watcher();
        watcher.poll();

        state.rebalancing = true;
        watcher.poll();
        assertThat(leases.open()).as("a failed round changes nothing").hasSize(1);

        state.rebalancing = false;
        state.configs.remove("ws");
        watcher.poll();
        assertThat(leases.open()).isEmpty();
        assertThat(watcher.held()).isEmpty();
    }

    @Test
    void aChangedConfigurationTakesANewLeaseBeforeReleasingTheOld() {
        state.configs.put("ws", config(SECRET));
        ClusterWatcher watcher = watcher();
        watcher.poll();
        watcher.poll();
        assertThat(leases.taken).hasSize(1);

        state.configs.get("ws").put("websocket.subscriber.queue.size", "10");
        watcher.poll();

        assertThat(leases.taken).hasSize(2);
        assertThat(leases.taken.get(0).closed).isTrue();
        assertThat(leases.open().get(0).settings.queueCapacity()).isEqualTo(10);
    }

    @Test
    void aBridgeThatCannotStartIsRetriedNextRound() {
        state.configs.put("ws", config(SECRET));
        ClusterWatcher watcher = watcher();
        leases.portTaken = true;
        watcher.poll();
        assertThat(watcher.held()).isEmpty();

        leases.portTaken = false;
        watcher.poll();
        assertThat(watcher.held()).containsExactly("ws");
    }

    @Test
    void closingReleasesEverything() {
        state.configs.put("ws", config(SECRET));
        Map<String, String> second = config(SECRET);
        second.put("websocket.port", "18086");
        state.configs.put("ws2", second);
        ClusterWatcher watcher = watcher();
        watcher.poll();

        watcher.close();

        assertThat(leases.taken).hasSize(2);
        assertThat(leases.open()).isEmpty();
    }

    @Test
    void aSecretFromAWorkerConfigProviderIsResolvedLikeTasksSeeIt(@TempDir Path dir) throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, "cluster.secret=" + SECRET + "\n");
        state.configs.put("ws", config("${file:" + secrets + ":cluster.secret}"));
        // as a worker hands them to extensions: without config.providers itself
        ConfigResolver resolver = ConfigResolver.fromWorkerProperties(Map.of(
                "config.providers.file.class", FileConfigProvider.class.getName()));

        watcher(WORKER_2, resolver).poll();

        assertThat(leases.open().get(0).settings.cluster().secret()).isEqualTo(SECRET);
    }

    @Test
    void anUnresolvableSecretReferenceStartsNoBridge() {
        state.configs.put("ws", config("${vault:secret/wsbridge:cluster.secret}"));
        ConfigResolver resolver = new ConfigResolver(Map.<String, ConfigProvider>of());

        watcher(WORKER_2, resolver).poll();

        assertThat(leases.taken).isEmpty();
    }

    @Test
    void aWorkerWithoutATaskGetsTheConnectorsHistoryWithTheWorkersKafkaSettingsAndTopics() throws Exception {
        KafkaConnection.installWorker(Map.of("bootstrap.servers", "127.0.0.1:9"));
        try {
            Map<String, String> config = config(SECRET);
            config.put("topics", "events-a,events-b,shared");
            state.configs.put("ws", config);

            watcher().poll();

            History history = leases.open().get(0).history;
            assertThat(history).as("the bridge may replay though no task runs here").isNotNull();
            assertThat(history.topics("a")).as("the topics the pattern names 'a' in, and those it names nothing in")
                    .containsExactlyInAnyOrder("events-a", "shared");
            history.close();
        } finally {
            KafkaConnection.clearWorker();
        }
    }

    @Test
    void withoutKafkaSettingsTheBridgeGetsNoHistory() {
        KafkaConnection.clearWorker();
        state.configs.put("ws", config(SECRET));

        watcher().poll();

        assertThat(leases.open().get(0).history).isNull();
    }
}
