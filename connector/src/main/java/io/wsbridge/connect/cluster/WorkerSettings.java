package io.wsbridge.connect.cluster;

import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.connect.config.WebSocketSinkConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * What one Connect worker says about its bridges, from its worker properties (which Connect hands to the REST
 * extension): the bind address that overrides {@code websocket.host}, the host its peers reach it at, and its own
 * Connect worker id. The extension installs them in the {@link WorkerRegistry}, so that the tasks of this worker build
 * exactly the bridge settings the extension does, and share its bridge.
 *
 * <p>Peers are found by the worker ids of the tasks that Connect reports: a worker id is the REST listener's advertised
 * {@code host:port}, and its host is taken as the host where that worker's bridge listens. So
 * {@code rest.advertised.host.name} must be an address the other workers can reach the bridge on.
 *
 * @param bindHost {@code wsbridge.websocket.host}, or {@code null} to keep the connector's {@code websocket.host}
 * @param opsHost {@code wsbridge.ops.host}, or {@code null} to keep the connector's {@code ops.host}
 * @param advertisedHost {@code wsbridge.websocket.advertised.host}, else {@code rest.advertised.host.name}, else the
 *     REST listener's host
 * @param workerId this worker's id as Connect builds it: advertised REST host and port
 */
public record WorkerSettings(String bindHost, String opsHost, String advertisedHost, String workerId) {

    public static final String HOST = "wsbridge.websocket.host";
    public static final String OPS_HOST = "wsbridge.ops.host";
    public static final String ADVERTISED_HOST = "wsbridge.websocket.advertised.host";
    private static final Pattern LISTENER = Pattern.compile("^\\s*([A-Za-z][A-Za-z0-9+.-]*)://(\\[[^]]*]|[^:/,]*):(\\d+)");
    private static final int DEFAULT_REST_PORT = 8083;

    public WorkerSettings {
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(workerId, "workerId");
    }

    /** Reads the worker properties the way Connect builds its advertised URL. */
    public static WorkerSettings from(Map<String, ?> workerProperties) {
        String bindHost = text(workerProperties, HOST);
        String restHost = text(workerProperties, "rest.advertised.host.name");
        String restPort = text(workerProperties, "rest.advertised.port");
        String listeners = text(workerProperties, "listeners");
        Matcher listener = LISTENER.matcher(listeners == null ? "" : listeners);
        boolean parsed = listener.find();
        if (restHost == null) {
            String listenerHost = parsed ? stripBrackets(listener.group(2)) : "";
            restHost = listenerHost.isEmpty() ? localHostName() : listenerHost;
        }
        int port = restPort != null ? Integer.parseInt(restPort.trim())
                : parsed ? Integer.parseInt(listener.group(3)) : DEFAULT_REST_PORT;
        String advertised = text(workerProperties, ADVERTISED_HOST);
        String workerHost = restHost.indexOf(':') >= 0 ? "[" + restHost + "]" : restHost;
        return new WorkerSettings(bindHost, text(workerProperties, OPS_HOST), advertised == null ? restHost : advertised,
                workerHost + ":" + port);
    }

    /**
     * The bridge settings a task uses: the connector's, with this worker's settings on top if the REST extension runs.
     * In cluster mode the extension is required, and a task that starts before Connect has configured it waits for it
     * up to {@code wait}; outside cluster mode a task never waits.
     *
     * @throws ConnectException in cluster mode, when the extension has not installed this worker's settings in time
     */
    public static BridgeSettings forTask(BridgeSettings connectorSettings, Duration wait) {
        if (connectorSettings.cluster() == null) {
            return WorkerRegistry.current().map(worker -> worker.apply(connectorSettings)).orElse(connectorSettings);
        }
        Optional<WorkerSettings> worker = WorkerRegistry.await(wait);
        if (worker.isPresent()) {
            return worker.get().apply(connectorSettings);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new ConnectException("Interrupted while waiting for the wsbridge REST extension to configure this "
                    + "worker (" + WebSocketSinkConfig.CLUSTER_SECRET + " is set: cluster mode)");
        }
        throw new ConnectException(WebSocketSinkConfig.CLUSTER_SECRET + " is set (cluster mode), but this task waited "
                + wait.toMillis() + " ms for the wsbridge REST extension and this worker does not run it: add "
                + "rest.extension.classes=" + WebSocketSinkConfig.REST_EXTENSION + " to the properties of every worker "
                + "and restart them, or remove " + WebSocketSinkConfig.CLUSTER_SECRET);
    }

    /**
     * The connector's bridge settings on this worker: its bind addresses (WebSocket port, operations listener if the
     * connector has one) and, in cluster mode, its advertised host.
     */
    public BridgeSettings apply(BridgeSettings connectorSettings) {
        BridgeSettings.Builder builder = connectorSettings.toBuilder();
        if (bindHost != null) {
            builder.host(bindHost);
        }
        if (opsHost != null && connectorSettings.ops() != null) {
            builder.ops(new BridgeSettings.Ops(opsHost, connectorSettings.ops().port()));
        }
        ClusterSettings cluster = connectorSettings.cluster();
        if (cluster != null) {
            builder.cluster(new ClusterSettings(cluster.secret(), advertisedHost, PeerAddress.hostOf(workerId),
                    cluster.unreadyLimit(), cluster.reconnectBackoffMax()));
        }
        return builder.build();
    }

    /** Whether a task's worker id names this worker. */
    public boolean isSelf(String taskWorkerId) {
        if (taskWorkerId == null) {
            return false;
        }
        if (taskWorkerId.equals(workerId)) {
            return true;
        }
        String host = PeerAddress.hostOf(taskWorkerId);
        return host.equalsIgnoreCase(advertisedHost);
    }

    private static String text(Map<String, ?> properties, String key) {
        Object value = properties.get(key);
        if (value == null) {
            return null;
        }
        String text = value.toString().trim();
        return text.isEmpty() ? null : text;
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
