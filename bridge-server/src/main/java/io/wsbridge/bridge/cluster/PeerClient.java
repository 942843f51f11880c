package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.settings.BridgeSettings;
import java.time.Duration;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;

/**
 * The WebSocket client a cluster node opens its peer links with: a small thread pool, one selector, and with TLS a
 * trust store that is the bridge's own key store.
 */
final class PeerClient implements AutoCloseable {

    private final HttpClient http;
    private final WebSocketCoreClient client;

    private PeerClient(HttpClient http, WebSocketCoreClient client) {
        this.http = http;
        this.client = client;
    }

    /** Starts a client whose threads are named after {@code threadName}. */
    static PeerClient start(BridgeSettings settings, String threadName) throws Exception {
        ClassLoader caller = Thread.currentThread().getContextClassLoader();
        // Jetty finds its WebSocket extensions with ServiceLoader on the context class loader.
        Thread.currentThread().setContextClassLoader(PeerClient.class.getClassLoader());
        try {
            QueuedThreadPool threads = new QueuedThreadPool(16, 2);
            threads.setName(threadName + "-client");
            threads.setDaemon(true);
            ClientConnector connector = new ClientConnector();
            connector.setExecutor(threads);
            connector.setSelectors(1);
            connector.setConnectTimeout(Duration.ofSeconds(5));
            connector.setSslContextFactory(sslClient(settings));
            HttpClient http = new HttpClient(new HttpClientTransportOverHTTP(connector));
            http.setExecutor(threads);
            http.setScheduler(new ScheduledExecutorScheduler(threadName + "-scheduler", true));
            http.start();
            WebSocketCoreClient client = new WebSocketCoreClient(http, null);
            try {
                client.start();
            } catch (Exception e) {
                http.stop();
                throw e;
            }
            return new PeerClient(http, client);
        } finally {
            Thread.currentThread().setContextClassLoader(caller);
        }
    }

    /**
     * A peer's client may present any certificate signed by what this bridge's own key store holds (usually the same
     * certificate on every worker); host names are not checked, since peers are addressed by worker id.
     */
    private static SslContextFactory.Client sslClient(BridgeSettings settings) {
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        BridgeSettings.Tls tls = settings.tls();
        if (tls != null) {
            ssl.setTrustStorePath(tls.keyStore().toString());
            ssl.setTrustStoreType(tls.type());
            ssl.setTrustStorePassword(tls.password());
            ssl.setEndpointIdentificationAlgorithm(null);
        }
        return ssl;
    }

    WebSocketCoreClient client() {
        return client;
    }

    @Override
    public void close() throws Exception {
        try {
            client.stop();
        } finally {
            http.stop();
        }
    }
}
