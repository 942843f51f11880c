package io.wsbridge.bridge.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.cluster.ClusterNode;
import io.wsbridge.bridge.cluster.PeerNegotiator;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Jetty WebSocket server: accepts upgrades, keeps the open subscribers registered with the
 * {@link Router}, pings them, ends sessions whose credentials expire or lose access, and answers token refreshes.
 * Access checks that may ask the identity provider run on a small executor of their own, never on the scheduler.
 */
public final class WebSocketServer implements SubscriberHost, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebSocketServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REFRESH = "RefreshAccessToken";

    private final Router router;
    private final ToDoubleFunction<String> subscriberGauge;
    private final ToDoubleFunction<String> groupGauge;
    private final ToDoubleFunction<String> remoteSubscriptionGauge;
    private final BridgeMetrics metrics;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private volatile int users;
    private volatile BridgeSettings settings;
    private volatile AccessPolicy policy;
    private volatile ClusterNode cluster;
    private Server server;
    private ServerConnector connector;
    private ScheduledThreadPoolExecutor scheduler;
    private ExecutorService authorizer;
    private ScheduledFuture<?> liveness;
    private ScheduledFuture<?> reauthorization;

    public WebSocketServer(BridgeSettings settings, AccessPolicy policy, Router router) {
        this.settings = settings;
        this.policy = policy;
        this.router = router;
        this.subscriberGauge = router::subscribers;
        this.groupGauge = router::groups;
        this.remoteSubscriptionGauge = router::remoteSubscriptions;
        this.metrics = new BridgeMetrics(subscribers::size,
                () -> subscribers.stream().mapToLong(Subscriber::queued).sum(),
                () -> subscribers.stream().mapToInt(Subscriber::queued).max().orElse(0));
    }

    /** Binds and starts the server. */
    public synchronized void start() {
        BridgeSettings current = settings;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("wsbridge-" + current.port());
        threads.setDaemon(true);
        server = new Server(threads);
        connector = connector(server, current);
        server.addConnector(connector);

        WebSocketUpgradeHandler upgrades = new WebSocketUpgradeHandler();
        upgrades.addMapping("/*", new UpgradeNegotiator(this, () -> policy));
        // Reserved for the bridge itself: peer links in cluster mode, 404 otherwise.
        upgrades.addMapping("/_wsbridge/*", new PeerNegotiator(() -> cluster, metrics));
        upgrades.setHandler(new HttpEndpoints());
        server.setHandler(upgrades);
        server.setStopTimeout(2_000);

        scheduler = new ScheduledThreadPoolExecutor(1, daemon("wsbridge-" + current.port() + "-timer"));
        scheduler.setRemoveOnCancelPolicy(true);
        authorizer = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(10_000),
                daemon("wsbridge-" + current.port() + "-auth"));
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            String cause = e instanceof IOException && e.getCause() != null ? e.getCause().toString() : e.toString();
            throw new BridgeException("Cannot start the WebSocket server on " + current.address()
                    + " (websocket.host / websocket.port): " + cause
                    + ". Is another process or connector using the port?", e);
        }
        long ping = current.pingInterval().toMillis();
        liveness = scheduler.scheduleWithFixedDelay(this::checkLiveness, ping, ping, TimeUnit.MILLISECONDS);
        long reauthorize = current.reauthorizeInterval().toMillis();
        reauthorization = scheduler.scheduleWithFixedDelay(this::reauthorizeAll, reauthorize, reauthorize,
                TimeUnit.MILLISECONDS);
        log.info("WebSocket server listening on {}://{}:{}; {}", current.scheme(), current.host(), port(),
                policy.describe());
    }

    private static ServerConnector connector(Server server, BridgeSettings settings) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // A channel (CloudEvent subject) may contain a slash, sent encoded as %2F; Route decodes each segment.
        http.setUriCompliance(UriCompliance.DEFAULT.with("wsbridge", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR));
        ServerConnector connector;
        if (settings.tls() == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        } else {
            BridgeSettings.Tls tls = settings.tls();
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tls.keyStore().toString());
            ssl.setKeyStoreType(tls.type());
            ssl.setKeyStorePassword(tls.password());
            if (tls.keyPassword() != null) {
                ssl.setKeyManagerPassword(tls.keyPassword());
            }
            http.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                    new HttpConnectionFactory(http));
        }
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        return connector;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The port actually bound (differs from the settings when they ask for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /**
     * Applies new settings to new subscribers and the next checks; the listener stays.
     *
     * @param newPolicy the access policy to use from now on, or {@code null} to keep the current one
     */
    public void reconfigure(BridgeSettings newSettings, AccessPolicy newPolicy) {
        this.settings = newSettings;
        if (newPolicy != null) {
            AccessPolicy old = this.policy;
            this.policy = newPolicy;
            old.close();
        }
        log.info("WebSocket server on {} reconfigured; {}", newSettings.address(), policy.describe());
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
    public BridgeMetrics metrics() {
        return metrics;
    }

    @Override
    public BridgeMetrics.ApplicationMeters meters(String application) {
        // called per published event: the gauge functions are made once, not per call
        return metrics.application(application, subscriberGauge, groupGauge,
                settings.cluster() == null ? null : remoteSubscriptionGauge);
    }

    /** Attaches the bridge's cluster node (peer links, readiness), or detaches it with {@code null}. */
    public void cluster(ClusterNode node) {
        this.cluster = node;
    }

    public ClusterNode cluster() {
        return cluster;
    }

    /** How many users (tasks) hold the server; readiness needs at least one. */
    public void users(int count) {
        this.users = count;
    }

    /** Why the server is not ready, or {@code null} if it is. */
    public String notReadyReason() {
        if (server == null || !server.isStarted()) {
            return "server not started";
        }
        if (users == 0) {
            return "no task is attached";
        }
        if (!policy.ready()) {
            return "identity provider unreachable";
        }
        ClusterNode node = cluster;
        return node == null ? null : node.notReadyReason();
    }

    @Override
    public void opened(Subscriber subscriber) {
        subscribers.add(subscriber);
        router.add(subscriber);
        scheduleExpiry(subscriber);
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
        if (message == null || !message.isObject() || message.size() != 1 || !message.path(REFRESH).isTextual()
                || message.path(REFRESH).asText().isBlank()) {
            subscriber.close(CloseCodes.PROTOCOL_ERROR,
                    "unsupported message: expected {\"" + REFRESH + "\":\"<jwt>\"}");
            return;
        }
        Credentials refreshed = new Credentials.Bearer(message.path(REFRESH).asText());
        submit(() -> refresh(subscriber, refreshed), subscriber);
    }

    private void refresh(Subscriber subscriber, Credentials credentials) {
        AccessDecision decision = policy.check(credentials, subscriber.application());
        if (!decision.allowed()) {
            log.info("Refused token refresh of {}: {}", subscriber, decision.reason());
            subscriber.close(CloseCodes.POLICY_VIOLATION, "token refresh refused: " + decision.reason());
            return;
        }
        subscriber.refreshed(credentials, decision);
        scheduleExpiry(subscriber);
        log.debug("Refreshed the token of {}; it expires at {}", subscriber, decision.expiresAt());
    }

    private void scheduleExpiry(Subscriber subscriber) {
        Instant expiresAt = subscriber.expiresAt();
        if (expiresAt != null) {
            long delay = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
            schedule(() -> expireIfDue(subscriber), delay + 1);
        }
    }

    private void expireIfDue(Subscriber subscriber) {
        Instant expiresAt = subscriber.expiresAt();
        if (subscriber.isOpen() && expiresAt != null && !Instant.now().isBefore(expiresAt)) {
            log.info("Closing {}: its token expired", subscriber);
            subscriber.close(CloseCodes.POLICY_VIOLATION, "token expired");
        }
    }

    /**
     * Checks every open session again, so that a revoked membership, key or public flag ends it. While the identity
     * provider cannot answer (503), sessions stay open.
     */
    private void reauthorizeAll() {
        AccessPolicy current = policy;
        for (Subscriber subscriber : subscribers) {
            submit(() -> {
                if (!subscriber.isOpen()) {
                    return;
                }
                AccessDecision decision = current.check(subscriber.credentials(), subscriber.application());
                if (decision.status() == 401 || decision.status() == 404) {
                    log.info("Closing {}: access ended ({})", subscriber, decision.reason());
                    subscriber.close(CloseCodes.POLICY_VIOLATION,
                            decision.status() == 401 ? "credentials no longer valid" : "access revoked");
                }
            }, subscriber);
        }
    }

    private void submit(Runnable task, Subscriber subscriber) {
        try {
            authorizer.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("Access check for {} failed", subscriber, e);
                    subscriber.close(CloseCodes.INTERNAL_ERROR, "internal error");
                }
            });
        } catch (RejectedExecutionException e) {
            log.warn("Too many pending access checks; {} is checked in the next round", subscriber);
        }
    }

    @Override
    public void schedule(Runnable task, long delayMillis) {
        ScheduledThreadPoolExecutor current = scheduler;
        if (current != null && !current.isShutdown()) {
            try {
                current.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("Server stopping; task not scheduled");
            }
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
        metrics.close();
        log.info("WebSocket server on {} stopped", settings.address());
    }

    private void stopQuietly() {
        if (liveness != null) {
            liveness.cancel(false);
        }
        if (reauthorization != null) {
            reauthorization.cancel(false);
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (authorizer != null) {
            authorizer.shutdownNow();
        }
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the WebSocket server on {} failed", settings.address(), e);
        }
        server = null;
    }

    /**
     * Plain HTTP on the WebSocket port: {@code /metrics} (Prometheus text), {@code /healthz} (alive),
     * {@code /readyz} (started, a task attached, identity provider reachable); anything else says what the port is
     * for. Upgrades never reach this handler, so an application may be called {@code metrics} too.
     */
    private final class HttpEndpoints extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
                return true;
            }
            switch (path) {
                case "/metrics" -> respond(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape());
                case "/healthz" -> respond(response, callback, 200, "application/json", "{\"status\":\"UP\"}");
                case "/readyz" -> {
                    String reason = notReadyReason();
                    if (reason == null) {
                        respond(response, callback, 200, "application/json", "{\"status\":\"READY\"}");
                    } else {
                        respond(response, callback, 503, "application/json",
                                JSON.createObjectNode().put("status", "NOT_READY").put("reason", reason).toString());
                    }
                }
                default -> Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                        "this is a WebSocket endpoint: connect to /{application} with a WebSocket client");
            }
            return true;
        }

        private void respond(Response response, Callback callback, int status, String contentType, String body) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    callback);
        }
    }
}
