package io.wsbridge.bridge;

import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.StaticAccessPolicy;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.cluster.ClusterNode;
import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.ws.WebSocketServer;
import java.util.Objects;
import java.util.Set;

/**
 * One bridge: the router and the WebSocket server that feeds subscribers from it. Built from plain
 * {@link BridgeSettings}; whoever starts it closes it. Within a Connect worker, tasks share bridges through
 * {@link Bridges}. With {@link BridgeSettings#cluster()} set it is one of the bridges of a cluster, linked to the
 * peers that {@link #peers(Set)} names.
 */
public final class Bridge implements EventBus, AutoCloseable {

    private final Router router = new Router();
    private final WebSocketServer server;
    private volatile BridgeSettings settings;
    private ClusterNode cluster;

    private Bridge(BridgeSettings settings) {
        this.settings = settings;
        this.server = new WebSocketServer(settings, accessPolicy(settings), router);
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
            bridge.server.start();
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
        ClusterNode node = new ClusterNode(clusterSettings, server, router);
        node.start();
        cluster = node;
        server.cluster(node);
    }

    private synchronized void stopCluster() {
        if (cluster != null) {
            server.cluster(null);
            cluster.close();
            cluster = null;
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
    public synchronized ClusterNode cluster() {
        return cluster;
    }

    @Override
    public void publish(Event event) {
        server.meters(event.application()).eventsIn().increment();
        router.publish(event);
    }

    /** Called by {@link Bridges} when the number of tasks holding the bridge changes. */
    void users(int count) {
        server.users(count);
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

    public io.wsbridge.bridge.ops.BridgeMetrics metrics() {
        return server.metrics();
    }

    public Router router() {
        return router;
    }

    public WebSocketServer server() {
        return server;
    }

    @Override
    public void close() {
        stopCluster();
        server.close();
    }

    private static AccessPolicy accessPolicy(BridgeSettings settings) {
        return settings.identity() == null ? new StaticAccessPolicy(settings.publicApplications())
                : settings.identity().accessPolicy(settings.publicApplications());
    }
}
