package io.wsbridge.bridge.ops;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations listener of a bridge: a small plain-HTTP Jetty server of its own, apart from the public WebSocket
 * port, for scrapers and operators ({@code /metrics}, detailed {@code /healthz} and {@code /readyz}). Its owner
 * starts and closes it with the bridge.
 */
public final class OpsListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsListener.class);

    private final String host;
    private final Server server;
    private final ServerConnector connector;

    /**
     * @param host bind address
     * @param port TCP port; 0 picks a free one
     */
    public OpsListener(String host, int port, Handler handler) {
        this.host = host;
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("wsbridge-ops-" + port);
        threads.setDaemon(true);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handler);
        server.setStopTimeout(0);
    }

    /**
     * Binds and starts the listener.
     *
     * @throws Exception if it cannot start, e.g. the port is taken; it is stopped again then
     */
    public void start() throws Exception {
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw e;
        }
        log.info("Operations listener (/metrics, /healthz, /readyz) on http://{}:{}", host, port());
    }

    /** The port actually bound (differs from the one asked for when that was 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the operations listener on {} failed", host, e);
        }
    }
}
