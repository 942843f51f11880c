package io.wsbridge.bridge;

import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.StaticAccessPolicy;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.bus.Writers;
import io.wsbridge.bridge.cluster.ClusterNode;
import io.wsbridge.bridge.cluster.LocalServer;
import io.wsbridge.bridge.cluster.PeerAddress;
import io.wsbridge.bridge.cluster.PeerNegotiator;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.ops.HttpEndpoints;
import io.wsbridge.bridge.ops.OpsListener;
import io.wsbridge.bridge.ops.Readiness;
import io.wsbridge.bridge.resume.History;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.resume.Replays;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.util.DaemonThreads;
import io.wsbridge.bridge.ws.WebSocketServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bridge: the router, the WebSocket server that feeds subscribers from it, its metrics and readiness, the
 * operations listener that serves them (if configured), and in cluster mode its {@link ClusterNode}. Built from plain {@link BridgeSettings}; whoever starts it closes it. Within
 * a Connect worker, tasks share bridges through {@link Bridges}. With {@link BridgeSettings#cluster()} set it is one
 * of the bridges of a cluster, linked to the peers that {@link #peers(Set)} names.
 *
 * <p>Over 300 lines because it is where the parts of one port are wired together and reconfigured in place (server,
 * operations listener, cluster node, readiness, the application meters of the hot path); each part is a class of its
 * own, and nothing below this package imports it.
 */
public final class Bridge implements EventBus, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Bridge.class);
    /** How long a subscriber resuming in cluster mode waits for the consuming peers to apply its interest. */
    static final Duration BARRIER_TIMEOUT = Duration.ofSeconds(10);

    private final Router router = new Router();
    private final BridgeMetrics metrics;
    private final Readiness readiness = new Readiness();
    private final WebSocketServer server;
    private final ScheduledThreadPoolExecutor housekeeping;
    private final Writers writers;
    private volatile BridgeSettings settings;
    private volatile int users;
    private volatile ClusterNode cluster;
    private OpsListener ops;
    private ScheduledFuture<?> sweep;
    private Replays replays;

    private Bridge(BridgeSettings settings) {
        this.settings = settings;
        this.metrics = new BridgeMetrics(this::connections, this::queued, this::maxQueued, new Routing(),
                settings.maxApplicationSeries(), settings.seriesRetention());
        metrics.filters(router.filters());
        this.server = new WebSocketServer(settings, accessPolicy(settings, metrics), router, metrics,
                metrics::application);
        metrics.transports(List.of("websocket", "sse"), server::subscriberCount);
        this.housekeeping = new ScheduledThreadPoolExecutor(1,
                DaemonThreads.named("wsbridge-" + settings.port() + "-metrics"));
        housekeeping.setRemoveOnCancelPolicy(true);
        this.writers = new Writers("wsbridge-" + settings.port() + "-writer", settings.writeThreads());
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
                bridge.server.start(HttpEndpoints.publicPort(bridge.readiness));
            } catch (Exception e) {
                bridge.server.policy().close();
                bridge.housekeeping.shutdownNow();
                bridge.writers.close();
                bridge.metrics.close();
                throw new BridgeException("Cannot start the WebSocket server on " + settings.address()
                        + " (websocket.host / websocket.port): " + cause(e)
                        + ". Is another process or connector using the port?", e);
            }
            bridge.scheduleSweep();
            try {
                bridge.startOps(settings.ops());
            } catch (BridgeException e) {
                bridge.close();
                throw e;
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

    private static String cause(Exception e) {
        return e instanceof IOException && e.getCause() != null ? e.getCause().toString() : e.toString();
    }

    /** Starts the operations listener, unless {@code opsSettings} is {@code null}. */
    private synchronized void startOps(BridgeSettings.Ops opsSettings) {
        if (opsSettings == null) {
            return;
        }
        OpsListener listener = new OpsListener(opsSettings.host(), opsSettings.port(),
                HttpEndpoints.opsListener(metrics, readiness));
        try {
            listener.start();
        } catch (Exception e) {
            throw new BridgeException("Cannot start the operations listener of the bridge on port " + settings.port()
                    + " on " + opsSettings.address() + " (ops.host / ops.port): " + cause(e)
                    + ". Is another process or connector using the port? Each connector needs an ops.port of its own",
                    e);
        }
        ops = listener;
    }

    private synchronized void stopOps() {
        if (ops != null) {
            ops.close();
            ops = null;
        }
    }

    private synchronized void scheduleSweep() {
        if (sweep != null) {
            sweep.cancel(false);
        }
        long every = metrics.sweepInterval().toMillis();
        sweep = housekeeping.scheduleWithFixedDelay(this::sweepMetrics, every, every, TimeUnit.MILLISECONDS);
    }

    private void sweepMetrics() {
        try {
            metrics.sweep(System.nanoTime());
        } catch (RuntimeException e) {
            log.warn("Removing the metric series of idle applications failed", e);
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

    /**
     * Cluster mode: per partition, the earliest event handed to a group and not yet written (or acknowledged by the
     * peer of the member): a task commits no further ({@link ClusterNode#groupHoldback}). Empty outside cluster mode.
     */
    public synchronized Map<PartitionId, Long> groupHoldback() {
        return cluster == null ? Map.of() : cluster.groupHoldback();
    }

    /**
     * Cluster mode: waits, at most {@code timeout}, for every bridge of the cluster to link here with its subscribers
     * ({@link ClusterNode#awaitLinked}); at once outside cluster mode.
     *
     * @return the bridges that did not link in time
     */
    public Set<String> awaitLinked(Duration timeout) throws InterruptedException {
        ClusterNode node;
        synchronized (this) {
            node = cluster;
        }
        return node == null ? Set.of() : node.awaitLinked(timeout);
    }

    /** The cluster node, or {@code null} outside cluster mode. */
    public ClusterNode cluster() {
        return cluster;
    }

    @Override
    public void publish(Event event) {
        metrics.eventsIn(event.application()).increment();
        router.publish(event);
    }

    @Override
    public void started(String application, String topic, int partition, long nextOffset) {
        router.streams().of(application).started(topic, partition, nextOffset);
    }

    @Override
    public void startedShared(String topic, int partition, long nextOffset) {
        router.streams().shared().started(topic, partition, nextOffset);
    }

    /**
     * Lets subscribers resume and replay ({@code ?from=}) from {@code history}, {@code maxConcurrent} at once, unless
     * the bridge has a history already (the tasks of one connector share it); the bridge closes it.
     *
     * @return whether {@code history} was taken; if not, the caller closes it
     */
    public synchronized boolean history(History history, int maxConcurrent) {
        if (replays != null) {
            return false;
        }
        replays = new Replays(history, router.streams(), maxConcurrent, "wsbridge-" + settings.port() + "-replay",
                () -> {
                    ClusterNode node = cluster;
                    return node == null ? null : node.liveBarrier(BARRIER_TIMEOUT);
                });
        server.replays(replays);
        return true;
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

    /** The port the operations listener bound, or -1 if the bridge has none. */
    public synchronized int opsPort() {
        return ops == null ? -1 : ops.port();
    }

    public BridgeSettings settings() {
        return settings;
    }

    /**
     * Settings that do not move the listener take effect without disconnecting anyone; the access policy (and its
     * caches) is rebuilt only if the identity provider or the public applications change, the operations listener
     * only if its address changes.
     *
     * @throws BridgeException if the operations listener cannot move to its new address; the bridge has none then
     */
    synchronized void reconfigure(BridgeSettings newSettings) {
        BridgeSettings old = settings;
        boolean opsMissing = newSettings.ops() != null && ops == null;
        if (newSettings.equals(old) && !opsMissing) {
            return;
        }
        if (!sameListener(old, newSettings)) {
            throw new IllegalArgumentException("a bridge cannot move to another address or TLS setting");
        }
        settings = newSettings;
        boolean samePolicy = Objects.equals(old.identity(), newSettings.identity())
                && old.publicApplications().equals(newSettings.publicApplications());
        server.reconfigure(newSettings, samePolicy ? null : accessPolicy(newSettings, metrics));
        if (old.writeThreads() != newSettings.writeThreads()) {
            writers.resize(newSettings.writeThreads());
        }
        if (old.maxApplicationSeries() != newSettings.maxApplicationSeries()
                || !old.seriesRetention().equals(newSettings.seriesRetention())) {
            metrics.applicationSeries(newSettings.maxApplicationSeries(), newSettings.seriesRetention());
            scheduleSweep();
        }
        if (!Objects.equals(old.cluster(), newSettings.cluster())) {
            Set<PeerAddress> peers = cluster == null ? Set.of() : cluster.peers();
            stopCluster();
            startCluster(newSettings.cluster());
            peers(peers);
        }
        if (!Objects.equals(old.ops(), newSettings.ops()) || opsMissing) {
            stopOps();
            startOps(newSettings.ops());
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

    /**
     * The threads that share a wide fan-out's socket writes with a publishing thread: pass them to
     * {@link WriteBatch#run(Runnable, Writers)}.
     */
    public Writers writers() {
        return writers;
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
        synchronized (this) {
            if (replays != null) {
                server.replays(null);
                replays.close();
                replays = null;
            }
        }
        stopOps();
        housekeeping.shutdownNow();
        writers.close();
        metrics.close();
    }

    private static AccessPolicy accessPolicy(BridgeSettings settings, BridgeMetrics metrics) {
        return settings.identity() == null ? new StaticAccessPolicy(settings.publicApplications())
                : settings.identity().accessPolicy(settings.publicApplications(), metrics::identityLookup);
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
            return metrics.application(application);
        }

        @Override
        public void closeLocalSubscribers(int code, String reason) {
            server.closeAll(code, reason);
        }
    }

    /** What the metrics of an application read from the router. */
    private final class Routing implements BridgeMetrics.Routing {

        @Override
        public int subscribers(String application) {
            return router.subscribers(application);
        }

        @Override
        public int groups(String application) {
            return router.groups(application);
        }

        @Override
        public int peerSubscriptions(String application) {
            return router.remoteSubscriptions(application);
        }

        @Override
        public boolean clustered() {
            return settings.cluster() != null;
        }

        @Override
        public boolean serves(String application) {
            return router.serves(application);
        }
    }
}
