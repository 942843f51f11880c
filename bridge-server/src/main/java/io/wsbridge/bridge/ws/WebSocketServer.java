package io.wsbridge.bridge.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.BridgeSettings;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.route.Router;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Jetty WebSocket server: accepts upgrades, keeps the open subscribers registered with the
 * {@link Router}, pings them, and answers their messages.
 */
public final class WebSocketServer implements SubscriberHost, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebSocketServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Router router;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private volatile BridgeSettings settings;
    private volatile AccessPolicy policy;
    private Server server;
    private ServerConnector connector;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> liveness;

    public WebSocketServer(BridgeSettings settings, AccessPolicy policy, Router router) {
        this.settings = settings;
        this.policy = policy;
        this.router = router;
    }

    /** Binds and starts the server. */
    public synchronized void start() {
        BridgeSettings current = settings;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("wsbridge-" + current.port());
        threads.setDaemon(true);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // A channel (CloudEvent subject) may contain a slash, sent encoded as %2F; Route decodes each segment.
        http.setUriCompliance(UriCompliance.DEFAULT.with("wsbridge", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR));
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(current.host());
        connector.setPort(current.port());
        server.addConnector(connector);

        WebSocketUpgradeHandler upgrades = new WebSocketUpgradeHandler();
        upgrades.addMapping("/*", new UpgradeNegotiator(this, () -> policy));
        upgrades.setHandler(new NotAWebSocket());
        server.setHandler(upgrades);
        server.setStopTimeout(2_000);

        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "wsbridge-" + current.port() + "-liveness");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        scheduler = executor;
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            String cause = e instanceof IOException && e.getCause() != null ? e.getCause().toString() : e.toString();
            throw new BridgeException("Cannot start the WebSocket server on " + current.address()
                    + " (websocket.host / websocket.port): " + cause
                    + ". Is another process or connector using the port?", e);
        }
        long interval = current.pingInterval().toMillis();
        liveness = scheduler.scheduleWithFixedDelay(this::checkLiveness, interval, interval, TimeUnit.MILLISECONDS);
        log.info("WebSocket server listening on {}:{}; {}", current.host(), port(), policy.describe());
    }

    /** The port actually bound (differs from the settings when they ask for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Applies new settings to new subscribers and the next liveness check; the listener stays. */
    public void reconfigure(BridgeSettings newSettings, AccessPolicy newPolicy) {
        AccessPolicy old = this.policy;
        this.settings = newSettings;
        this.policy = newPolicy;
        if (old != newPolicy) {
            old.close();
        }
        log.info("WebSocket server on {} reconfigured; {}", newSettings.address(), newPolicy.describe());
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    public Set<Subscriber> subscribers() {
        return Set.copyOf(subscribers);
    }

    @Override
    public BridgeSettings settings() {
        return settings;
    }

    @Override
    public void opened(Subscriber subscriber) {
        subscribers.add(subscriber);
        router.add(subscriber);
        log.debug("Opened {}", subscriber);
    }

    @Override
    public void closed(Subscriber subscriber) {
        if (subscribers.remove(subscriber)) {
            router.remove(subscriber);
        }
    }

    @Override
    public void message(Subscriber subscriber, String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (IOException e) {
            message = null;
        }
        if (message != null && message.isObject() && message.size() == 1
                && message.path("RefreshAccessToken").isTextual()) {
            subscriber.close(CloseCodes.POLICY_VIOLATION,
                    "token refresh is not available: no identity provider is configured");
            return;
        }
        subscriber.close(CloseCodes.PROTOCOL_ERROR, "unsupported message: expected {\"RefreshAccessToken\":\"<jwt>\"}");
    }

    @Override
    public void schedule(Runnable task, long delayMillis) {
        ScheduledExecutorService current = scheduler;
        if (current != null && !current.isShutdown()) {
            current.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void checkLiveness() {
        try {
            long now = System.nanoTime();
            long timeout = settings.pongTimeout().toNanos();
            for (Subscriber subscriber : subscribers) {
                subscriber.checkLiveness(now, timeout);
            }
        } catch (RuntimeException e) {
            log.warn("Liveness check failed", e);
        }
    }

    /** Closes every subscriber with 1001 and stops the server, freeing the port. */
    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        for (Subscriber subscriber : subscribers) {
            subscriber.close(CloseCodes.GOING_AWAY, "server shutting down");
        }
        stopQuietly();
        policy.close();
        log.info("WebSocket server on {} stopped", settings.address());
    }

    private void stopQuietly() {
        if (liveness != null) {
            liveness.cancel(false);
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the WebSocket server on {} failed", settings.address(), e);
        }
        server = null;
    }

    /** Plain HTTP requests to a subscriber route: say what this port is for. */
    private static final class NotAWebSocket extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                    "this is a WebSocket endpoint: connect to /{application} with a WebSocket client");
            return true;
        }
    }
}
