package io.wsbridge.connect.cluster;

import io.wsbridge.connect.Version;
import io.wsbridge.connect.replay.KafkaConnection;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.rest.ConnectRestExtension;
import org.apache.kafka.connect.rest.ConnectRestExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode for wsbridge, as a Connect REST extension ({@code rest.extension.classes=} this class, on every
 * worker). It adds no REST resource: Connect merely gives it the worker's properties and the cluster state. From
 * those it runs the bridge of every wsbridge connector with a {@code cluster.secret} on this worker, whether or not
 * a task runs here, and keeps each bridge linked to the workers that consume the connector's events.
 *
 * <p>Worker properties: {@value WorkerSettings#HOST} (bind address of this worker's bridges, instead of the
 * connector's {@code websocket.host}) and {@value WorkerSettings#ADVERTISED_HOST} (how this worker names itself to
 * its peers; default {@code rest.advertised.host.name}).
 *
 * <p>{@link #register} returns at once (it holds up the worker's REST API) and never touches
 * {@code context.configurable()}; the cluster state is empty during {@code register} anyway, so a daemon thread
 * polls it every {@link #POLL_INTERVAL}.
 */
public final class WsBridgeRestExtension implements ConnectRestExtension {

    private static final Logger log = LoggerFactory.getLogger(WsBridgeRestExtension.class);
    static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    private WorkerSettings worker;
    private ConfigResolver resolver;
    private volatile boolean stopping;
    private Thread poller;
    private ClusterWatcher watcher;

    @Override
    public void configure(Map<String, ?> configs) {
        worker = WorkerSettings.from(configs);
        WorkerRegistry.install(worker);
        KafkaConnection.installWorker(configs);
        resolver = ConfigResolver.fromWorkerProperties(configs);
        log.info("wsbridge cluster mode available on worker {}: bridges bind to {}, peers reach them at {}",
                worker.workerId(), worker.bindHost() == null ? "each connector's websocket.host" : worker.bindHost(),
                worker.advertisedHost());
    }

    @Override
    public synchronized void register(ConnectRestExtensionContext restPluginContext) {
        ConnectClusterState state = restPluginContext.clusterState();
        watcher = new ClusterWatcher(state, worker, resolver, ClusterWatcher.Leases.shared());
        poller = new Thread(this::run, "wsbridge-cluster-watcher");
        poller.setDaemon(true);
        // Connect calls us with its own delegating loader; Jetty's ServiceLoader lookups need the plugin's.
        poller.setContextClassLoader(WsBridgeRestExtension.class.getClassLoader());
        poller.start();
    }

    private void run() {
        while (!stopping) {
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (!stopping) {
                try {
                    watcher.poll();
                } catch (RuntimeException | LinkageError e) {
                    log.warn("Refreshing the wsbridge cluster state failed; retrying", e);
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        stopping = true;
        if (poller != null) {
            poller.interrupt();
            try {
                poller.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (watcher != null) {
            watcher.close();
        }
        if (resolver != null) {
            resolver.close();
        }
    }

    @Override
    public String version() {
        return Version.get();
    }
}
