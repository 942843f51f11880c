package io.wsbridge.bridge;

import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.StaticAccessPolicy;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.cluster.ClusterNode;
import io.wsbridge.bridge.cluster.LocalServer;
import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.cluster.PeerNegotiator;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.ops.HttpEndpoints;
import io.wsbridge.bridge.ops.Readiness;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.ws.WebSocketServer;
import java.io.IOException;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * One bridge: the router, the WebSocket server that feeds subscribers from it, its metrics and readiness, and in
 * cluster mode its {@link ClusterNode}. Built from plain {@link BridgeSettings}; whoever starts it closes it. Within
 * a Connect worker, tasks share bridges through {@link Bridges}. With {@link BridgeSettings#cluster()} set it is one
 * of the bridges of a cluster, linked to the peers that {@link #peers(Set)} names.
 */
public final class Bridge implements EventBus, AutoCloseable {

    private final Router router = new Router();
    private final ToDoubleFunction<String> subscriberGauge = router::subscribers;
    private final ToDoubleFunction<String> groupGauge = router::groups;
    private final ToDoubleFunction<String> remoteSubscriptionGauge = router::remoteSubscriptions;
    private final BridgeMetrics metrics;
    private final Readiness readiness = new Readiness();
    private final WebSocketServer server;
    private volatile BridgeSettings settings;
    private volatile int users;
    private volatile ClusterNode cluster;

    private Bridge(BridgeSettings settings) {
        this.settings = settings;
        this.metrics = new BridgeMetrics(this::connections, this::queued, this::maxQueued);
        this.server = new WebSocketServer(settings, accessPolicy(settings), router, metrics, this::meters);
        // Reserved for the bridge itself: peer links in cluster mode, 404 otherwise.
        server.mount(PeerNegotiator.PATH_SPEC, new PeerNegotiator(() -> cluster, metrics));
        readiness.add(() -> server.isStarted() ? null : "server not started");
        readiness.add(() -> users == 0 ? "no task is attached" : null);
        readiness.add(() -> server.policy().ready() ? null : "identity provider unreachable");
        readiness.add(() -> {
            ClusterNode node = cluster;
            return node == null ? null : node.notReadyReason();
        });
    }

    /**
     * Starts a bridge listening on the settings' address.
     *
     * @throws BridgeException if the server cannot start, e.g. the port is taken; the message names the port
     */
    public static Bridge start(BridgeSettings settings) {
        ClassLoader caller = Thread.currentThread().getContextClassLoader();
        // Jetty looks up its WebSocket extensions with ServiceLoader on the context class loader, which in a Connect
        // REST extension's thread is not the plugin's.
        Thread.currentThread().setContextClassLoader(Bridge.class.getClassLoader());
        try {
            Bridge bridge = new Bridge(settings);
            try {
                bridge.server.start(new HttpEndpoints(bridge.metrics, bridge.readiness));
            } catch (Exception e) {
                bridge.server.policy().close();
                bridge.metrics.close();
                String cause = e instanceof IOException && e.getCause() != null ? e.getCause().toString()
                        : e.toString();
                throw new BridgeException("Cannot start the WebSocket server on " + settings.address()
                        + " (websocket.host / websocket.port): " + cause
                        + ". Is another process or connector using the port?", e);
            }
            try {
                bridge.startCluster(settings.cluster());
            } catch (RuntimeException e) {
                bridge.close();
                throw new BridgeException("Cannot start cluster mode on " + settings.address() + ": " + e, e);
            }
            return bridge;
        } finally {
            Thread.currentThread().setContextClassLoader(caller);
        }
    }

    private synchronized void startCluster(ClusterSettings clusterSettings) {
        if (clusterSettings == null) {
            return;
        }
        ClusterNode node = new ClusterNode(clusterSettings, new Local(), router);
        node.start();
        cluster = node;
    }

    private synchronized void stopCluster() {
        ClusterNode node = cluster;
        if (node != null) {
            cluster = null;
            node.close();
        }
    }

    /**
     * The peers of this bridge that consume events (cluster mode): it links to each of them, and their subscribers
     * get what this bridge's tasks consume through their own links. Ignored outside cluster mode.
     */
    public synchronized void peers(Set<PeerAddress> consuming) {
        if (cluster != null) {
            cluster.peers(consuming);
        }
    }

    /** The cluster node, or {@code null} outside cluster mode. */
    public ClusterNode cluster() {
        return cluster;
    }

    @Override
    public void publish(Event event) {
        meters(event.application()).eventsIn().increment();
        router.publish(event);
    }

    /**
     * The meters of an application, created on first use; called per published event, so the gauge functions are
     * made once, not per call.
     */
    private BridgeMetrics.ApplicationMeters meters(String application) {
        return metrics.application(application, subscriberGauge, groupGauge,
                settings.cluster() == null ? null : remoteSubscriptionGauge);
    }

    /** Called by {@link Bridges} when the number of tasks holding the bridge changes; readiness needs one. */
    void users(int count) {
        this.users = count;
    }

    /** Why the bridge is not ready, or {@code null} if it is. */
    public String notReadyReason() {
        return readiness.notReadyReason();
    }

    /** The port actually bound. */
    public int port() {
        return server.port();
    }

    public BridgeSettings settings() {
        return settings;
    }

    /**
     * Settings that do not move the listener take effect without disconnecting anyone; the access policy (and its
     * caches) is rebuilt only if the identity provider or the public applications change.
     */
    synchronized void reconfigure(BridgeSettings newSettings) {
        BridgeSettings old = settings;
        if (newSettings.equals(old)) {
            return;
        }
        if (!sameListener(old, newSettings)) {
            throw new IllegalArgumentException("a bridge cannot move to another address or TLS setting");
        }
        settings = newSettings;
        boolean samePolicy = Objects.equals(old.identity(), newSettings.identity())
                && old.publicApplications().equals(newSettings.publicApplications());
        server.reconfigure(newSettings, samePolicy ? null : accessPolicy(newSettings));
        if (!Objects.equals(old.cluster(), newSettings.cluster())) {
            Set<PeerAddress> peers = cluster == null ? Set.of() : cluster.peers();
            stopCluster();
            startCluster(newSettings.cluster());
            peers(peers);
        }
    }

    /** Whether both settings describe the same listener: address and TLS. */
    static boolean sameListener(BridgeSettings a, BridgeSettings b) {
        return a.host().equals(b.host()) && a.port() == b.port() && Objects.equals(a.tls(), b.tls());
    }

    public BridgeMetrics metrics() {
        return metrics;
    }

    public Router router() {
        return router;
    }

    public WebSocketServer server() {
        return server;
    }

    private int connections() {
        return server.subscriberCount();
    }

    private long queued() {
        return server.queued();
    }

    private int maxQueued() {
        return server.maxQueued();
    }

    @Override
    public void close() {
        stopCluster();
        server.close();
        metrics.close();
    }

    private static AccessPolicy accessPolicy(BridgeSettings settings) {
        return settings.identity() == null ? new StaticAccessPolicy(settings.publicApplications())
                : settings.identity().accessPolicy(settings.publicApplications());
    }

    /** The cluster node's view of this bridge: its settings, metrics and port, and its subscribers to close. */
    private final class Local implements LocalServer {

        @Override
        public BridgeSettings settings() {
            return settings;
        }

        @Override
        public BridgeMetrics metrics() {
            return metrics;
        }

        @Override
        public int port() {
            return server.port();
        }

        @Override
        public BridgeMetrics.ApplicationMeters meters(String application) {
            return Bridge.this.meters(application);
        }

        @Override
        public void closeLocalSubscribers(int code, String reason) {
            server.closeAll(code, reason);
        }
    }
}
