package io.wsbridge.connect.cluster;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.resume.History;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.connect.WebSocketSinkConnector;
import io.wsbridge.connect.config.WebSocketSinkConfig;
import io.wsbridge.connect.replay.KafkaConnection;
import io.wsbridge.connect.replay.KafkaHistory;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.health.ConnectorHealth;
import org.apache.kafka.connect.health.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's view of the wsbridge connectors in cluster mode, refreshed by {@link #poll()} from Connect's cluster
 * state: it holds a lease on this worker's bridge for each such connector (whether or not a task runs here), tells
 * the bridge which workers consume its events, and releases the lease when the connector is deleted or leaves
 * cluster mode (the bridge then stops after {@code websocket.shutdown.grace.ms}, freeing the port).
 */
final class ClusterWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);
    private static final Set<String> CLASS_NAMES = Set.of(WebSocketSinkConnector.class.getName(),
            WebSocketSinkConnector.class.getSimpleName(), "WebSocketSink");
    /** Task states of a task that is assigned to a live worker and consumes (or will again). */
    private static final Set<String> CONSUMING = Set.of("RUNNING", "RESTARTING", "PAUSED");

    /** How the watcher takes and releases bridges; {@link #shared()} in a worker, a fake in tests. */
    interface Leases {

        Held acquire(BridgeSettings settings);

        /** A lease on a bridge. */
        interface Held extends AutoCloseable {

            void peers(Set<PeerAddress> consuming);

            /**
             * Lets the bridge's subscribers resume and replay from {@code history} (see {@link Bridge#history}).
             *
             * @return whether the bridge took it; if not, the caller closes it
             */
            default boolean history(History history, int maxConcurrent) {
                return false;
            }

            @Override
            void close();
        }

        static Leases shared() {
            return settings -> {
                Bridges.Lease lease = Bridges.shared().acquire(settings);
                return new Held() {
                    @Override
                    public void peers(Set<PeerAddress> consuming) {
                        lease.bridge().peers(consuming);
                    }

                    @Override
                    public boolean history(History history, int maxConcurrent) {
                        return lease.bridge().history(history, maxConcurrent);
                    }

                    @Override
                    public void close() {
                        lease.close();
                    }
                };
            };
        }
    }

    private record Entry(BridgeSettings settings, Leases.Held held, Set<PeerAddress> peers) {
    }

    private final ConnectClusterState state;
    private final WorkerSettings worker;
    private final ConfigResolver resolver;
    private final Leases leases;
    private final Map<String, Entry> held = new HashMap<>();
    /** The last problem logged per connector, so that a lasting one is logged once. */
    private final Map<String, String> problems = new HashMap<>();

    ClusterWatcher(ConnectClusterState state, WorkerSettings worker, ConfigResolver resolver, Leases leases) {
        this.state = state;
        this.worker = worker;
        this.resolver = resolver;
        this.leases = leases;
    }

    /** One round: brings the leases and peer sets in line with the cluster state. Never throws. */
    synchronized void poll() {
        Collection<String> connectors;
        try {
            connectors = state.connectors();
        } catch (RuntimeException e) {
            log.debug("Cannot list the connectors (the worker may be rebalancing): {}", e.toString());
            return;
        }
        Set<String> clustered = new HashSet<>();
        for (String name : connectors) {
            try {
                if (refresh(name)) {
                    clustered.add(name);
                }
            } catch (RuntimeException e) {
                // Unknown for now (deleted meanwhile, or a rebalance): keep what is held, look again next round.
                log.debug("Cannot read connector {}: {}", name, e.toString());
                if (held.containsKey(name)) {
                    clustered.add(name);
                }
            }
        }
        for (Iterator<Map.Entry<String, Entry>> entries = held.entrySet().iterator(); entries.hasNext();) {
            Map.Entry<String, Entry> entry = entries.next();
            if (!clustered.contains(entry.getKey())) {
                log.info("Connector {} was deleted or left cluster mode: releasing its bridge on port {}",
                        entry.getKey(), entry.getValue().settings().port());
                entry.getValue().held().close();
                entries.remove();
                problems.remove(entry.getKey());
            }
        }
    }

    /** @return whether the connector is a wsbridge connector in cluster mode */
    private boolean refresh(String name) {
        Map<String, String> raw = state.connectorConfig(name);
        if (!CLASS_NAMES.contains(String.valueOf(raw.get("connector.class")).trim())) {
            return false;
        }
        String rawSecret = raw.get(WebSocketSinkConfig.CLUSTER_SECRET);
        if (rawSecret == null || rawSecret.isEmpty()) {
            return false;
        }
        BridgeSettings settings;
        WebSocketSinkConfig config;
        Map<String, String> resolved;
        try {
            resolved = resolver.resolve(raw);
            config = new WebSocketSinkConfig(resolved);
            if (config.clusterSecret() != null && config.clusterSecret().contains("${")) {
                throw new IllegalArgumentException(WebSocketSinkConfig.CLUSTER_SECRET + " holds a config provider "
                        + "reference that the REST extension cannot resolve; use a provider of Kafka's own "
                        + "(FileConfigProvider, DirectoryConfigProvider, EnvVarConfigProvider) in config.providers");
            }
            settings = worker.apply(config.bridgeSettings());
        } catch (RuntimeException e) {
            problem(name, "Cannot run the bridge of connector " + name + " in cluster mode: " + e.getMessage());
            return held.containsKey(name);
        }
        Entry entry = held.get(name);
        if (entry == null || !entry.settings().equals(settings)) {
            Leases.Held lease;
            try {
                lease = leases.acquire(settings);
            } catch (BridgeException e) {
                problem(name, "Cannot start the bridge of connector " + name + " on this worker: " + e.getMessage());
                return entry != null;
            }
            if (entry != null) {
                entry.held().close();
            } else {
                log.info("Connector {} runs in cluster mode: this worker's bridge listens on {}", name,
                        settings.address());
            }
            entry = new Entry(settings, lease, null);
            held.put(name, entry);
            history(name, lease, config, resolved);
            problems.remove(name);
        }
        Set<PeerAddress> peers = consumingPeers(name, settings.port());
        if (!peers.equals(entry.peers())) {
            log.info("Connector {}: the workers consuming its events are {}", name,
                    peers.isEmpty() ? "only this one (or none)" : peers + (consumesHere(name) ? " and this one" : ""));
            entry.held().peers(peers);
            held.put(name, new Entry(entry.settings(), entry.held(), peers));
        }
        return true;
    }

    /**
     * Gives the bridge the connector's history in Kafka, so that its subscribers resume and replay even when no task
     * runs on this worker (a task's own history is the same: the bridge keeps whichever comes first).
     */
    private void history(String name, Leases.Held lease, WebSocketSinkConfig config, Map<String, String> resolved) {
        Map<String, Object> kafka = KafkaConnection.consumer(resolved);
        if (kafka == null) {
            log.warn("Connector {}: resuming and replaying (?from=) are off on this worker: it has no Kafka settings "
                    + "for them", name);
            return;
        }
        try {
            KafkaHistory history = KafkaHistory.of(kafka, config.eventConverter(), resolved);
            if (!lease.history(history, config.replayMaxConcurrent())) {
                history.close();
            }
        } catch (ConfigException e) {
            problem(name, "Connector " + name + ": resuming and replaying (?from=) are off on this worker: "
                    + e.getMessage());
        } catch (KafkaException e) {
            problem(name, "Connector " + name + ": cannot create the consumers for resume and replay: "
                    + e.getMessage());
        }
    }

    private Set<PeerAddress> consumingPeers(String name, int port) {
        Set<PeerAddress> peers = new HashSet<>();
        for (TaskState task : tasks(name).values()) {
            if (CONSUMING.contains(task.state()) && task.workerId() != null && !task.workerId().isBlank()
                    && !worker.isSelf(task.workerId())) {
                peers.add(PeerAddress.fromWorkerId(task.workerId(), port));
            }
        }
        return peers;
    }

    private boolean consumesHere(String name) {
        return tasks(name).values().stream()
                .anyMatch(task -> CONSUMING.contains(task.state()) && worker.isSelf(task.workerId()));
    }

    private Map<Integer, TaskState> tasks(String name) {
        try {
            ConnectorHealth health = state.connectorHealth(name);
            return health == null || health.tasksState() == null ? Map.of() : health.tasksState();
        } catch (RuntimeException e) {
            log.debug("No status of connector {} yet: {}", name, e.toString());
            return Map.of();
        }
    }

    private void problem(String name, String message) {
        if (!message.equals(problems.put(name, message))) {
            log.error(message);
        }
    }

    /** Connectors whose bridge this worker holds. */
    synchronized Set<String> held() {
        return Set.copyOf(held.keySet());
    }

    /** Releases every bridge. */
    @Override
    public synchronized void close() {
        held.values().forEach(entry -> entry.held().close());
        held.clear();
    }
}
