package io.wsbridge.bridge.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.SessionAccess;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.console.ConsoleHandler;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.LiveStream;
import io.wsbridge.bridge.resume.Replays;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.GroupPlaces;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.util.DaemonThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Jetty WebSocket server: its lifecycle (listener, TLS), the registry of open subscribers (kept in the
 * {@link Router}), and their liveness (pings). Upgrades go to the {@link UpgradeNegotiator}, upgrades under other
 * mounted paths to their own negotiators (the cluster's peer links), plain HTTP requests to the handler given to
 * {@link #start}. What a session may read over time is {@link SessionAccess}'s job. What clients may take is bounded:
 * WebSocket connections in all and per address ({@link ConnectionLimits}), the time to send a request head
 * ({@link HandshakeDeadlines}), and the bytes of unfinished client messages ({@link MessageBudget}).
 *
 * <p>Over 300 lines because it is where Jetty's lifecycle (listener, TLS, upgrade mappings, the console and plain HTTP
 * handlers) meets the registry of open subscribers, their liveness and their messages, and what a reconfiguration
 * hands over (access policy, replays); upgrades, limits, deadlines and access are classes of their own.
 */
public final class WebSocketServer implements SubscriberHost, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebSocketServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REFRESH = "RefreshAccessToken";

    private final Router router;
    private final BridgeMetrics metrics;
    private final Function<String, BridgeMetrics.ApplicationMeters> meters;
    private final Set<ClientSubscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final Map<String, WebSocketNegotiator> mounts = new LinkedHashMap<>();
    private final SessionAccess access;
    private final ConnectionLimits limits = new ConnectionLimits();
    private final GroupPlaces groupPlaces;
    private final MessageBudget messageBudget = new MessageBudget(() -> this.settings.maxUnfinishedMessageBytes());
    private volatile BridgeSettings settings;
    private volatile AccessPolicy policy;
    private volatile Replays replays;
    private Server server;
    private ServerConnector connector;
    private ScheduledThreadPoolExecutor scheduler;
    private ScheduledFuture<?> liveness;

    /**
     * @param meters the meters of an application, created on first use by the bridge that owns them
     */
    public WebSocketServer(BridgeSettings settings, AccessPolicy policy, Router router, BridgeMetrics metrics,
            Function<String, BridgeMetrics.ApplicationMeters> meters) {
        this.settings = settings;
        this.policy = policy;
        this.router = router;
        this.groupPlaces = new GroupPlaces(() -> this.settings.groupRetention(), System::nanoTime);
        this.metrics = metrics;
        this.meters = meters;
        this.access = new SessionAccess(() -> this.policy, () -> subscribers);
        metrics.unfinishedMessages(messageBudget::used);
    }

    /** Upgrades under {@code pathSpec} (e.g. {@code /_wsbridge/*}) go to {@code negotiator}; call before start. */
    public synchronized void mount(String pathSpec, WebSocketNegotiator negotiator) {
        mounts.put(pathSpec, negotiator);
    }

    /**
     * Binds and starts the server.
     *
     * @param plainHttp answers requests that are not upgrades (the bare probes of the public port)
     * @throws Exception if the server cannot start, e.g. the port is taken; the server is stopped again then
     */
    public synchronized void start(Handler plainHttp) throws Exception {
        BridgeSettings current = settings;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("wsbridge-" + current.port());
        threads.setDaemon(true);
        server = new Server(threads);
        HandshakeDeadlines deadlines = new HandshakeDeadlines(server.getScheduler(),
                () -> settings.handshakeTimeout(), metrics::handshakeTimedOut);
        connector = PublicListener.connector(server, current, deadlines);
        connector.getSelectorManager().addEventListener(limits);
        server.addConnector(connector);

        WebSocketUpgradeHandler upgrades = new WebSocketUpgradeHandler();
        Admission admission = new Admission(this, () -> policy, limits, router.filters(), () -> replays, groupPlaces,
                router::groupMembers);
        upgrades.addMapping("/*", new UpgradeNegotiator(this, admission));
        mounts.forEach(upgrades::addMapping);
        upgrades.setHandler(new SseHandler(this, admission,
                new ConsoleHandler(() -> settings.console(), () -> replays != null, plainHttp)));
        server.setHandler(deadlines.handler(upgrades));
        server.setStopTimeout(2_000);

        scheduler = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("wsbridge-" + current.port() + "-timer"));
        scheduler.setRemoveOnCancelPolicy(true);
        access.start(scheduler, current.reauthorizeInterval(), "wsbridge-" + current.port() + "-auth");
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            throw e;
        }
        long tick = livenessTickMillis(current.pingInterval());
        liveness = scheduler.scheduleWithFixedDelay(this::checkLiveness, tick, tick, TimeUnit.MILLISECONDS);
        log.info("WebSocket server listening on {}://{}:{}; {}", current.scheme(), current.host(), port(),
                policy.describe());
        policy.checkSetupInBackground(current.host() + ":" + port());
    }

    /** The port actually bound (differs from the settings when they ask for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Whether the server is started and listening. */
    public synchronized boolean isStarted() {
        return server != null && server.isStarted();
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
            newPolicy.checkSetupInBackground(newSettings.host() + ":" + port());
        }
        log.info("WebSocket server on {} reconfigured; {}", newSettings.address(), policy.describe());
    }

    /** Lets subscribers resume and replay ({@code ?from=}) with these replays; {@code null} refuses them. */
    public void replays(Replays newReplays) {
        this.replays = newReplays;
    }

    /** The access policy in force. */
    public AccessPolicy policy() {
        return policy;
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    /** The subscribers connected here, of every transport. */
    public Set<ClientSubscriber> subscribers() {
        return Set.copyOf(subscribers);
    }

    /** Subscribers connected here over {@code transport} ({@code websocket} or {@code sse}). */
    public int subscriberCount(String transport) {
        return (int) subscribers.stream().filter(subscriber -> subscriber.transport().equals(transport)).count();
    }

    /** Open WebSocket connections counted against {@code maxConnections}. */
    public int limitedConnections() {
        return limits.open();
    }

    /** Client addresses with open WebSocket connections counted against {@code maxConnectionsPerAddress}. */
    public int limitedAddresses() {
        return limits.addresses();
    }

    /** Events queued over all subscribers. */
    public long queued() {
        return subscribers.stream().mapToLong(ClientSubscriber::queued).sum();
    }

    /** The longest subscriber queue. */
    public int maxQueued() {
        return subscribers.stream().mapToInt(ClientSubscriber::queued).max().orElse(0);
    }

    /** Closes every subscriber connected here, e.g. with 1013 when events meant for them were lost. */
    public void closeAll(int code, String reason) {
        for (ClientSubscriber subscriber : subscribers) {
            subscriber.close(code, reason);
        }
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
        return meters.apply(application);
    }

    @Override
    public void opened(ClientSubscriber subscriber) {
        if (!subscriber.acquireFilter(router.filters())) {
            return;
        }
        subscribers.add(subscriber);
        if (keepsGroupPlaces(subscriber)) {
            // where a member that leaves before it wrote anything leaves its group, unless it resumed a place
            LiveStream stream = router.streams().of(subscriber.application());
            synchronized (stream) {
                subscriber.joinedAt(stream.snapshot());
                router.add(subscriber);
            }
        } else {
            router.add(subscriber);
        }
        access.opened(subscriber);
        log.debug("Opened {}", subscriber);
    }

    @Override
    public void closed(ClientSubscriber subscriber) {
        if (!subscribers.remove(subscriber)) {
            return;
        }
        GroupKey group = subscriber.group();
        if (group == null) {
            router.remove(subscriber);
        } else {
            subscriber.leaving(); // before it leaves the router: see redealUnwritten
            String application = subscriber.application();
            Cursor left = null;
            if (keepsGroupPlaces(subscriber)) {
                // The last member of a group leaves: the group keeps its place for its next member. The live position
                // is taken under the stream's lock, so that no event is published between leaving and taking it.
                LiveStream stream = router.streams().of(application);
                synchronized (stream) {
                    router.remove(subscriber);
                    if (router.groupMembers(application, group) == 0) {
                        left = stream.snapshot();
                    }
                }
            } else {
                router.remove(subscriber);
            }
            Cursor live = left;
            // What it wrote and what it did not is known once its write in flight completed or failed: the client
            // may have got the frames of a write whose completion is reported after the close (found by ClusterIT,
            // whose next member got again an event that the member before it had got).
            subscriber.whenWriteSettles(() -> {
                if (live != null && router.groupMembers(application, group) == 0) {
                    groupPlaces.keep(application, group, subscriber.groupPlace(live));
                }
                redealUnwritten(subscriber, group);
            });
        }
        access.closed(subscriber);
        subscriber.releaseFilter(router.filters());
    }

    /**
     * A group member left with events it had been handed and had not written (queued, or in a write that did not
     * complete): they go to the group's other members, after the events published since (at least once: the client
     * may have got some of a write that did not complete). If it was the last member, its group's place is before
     * them already, on one worker ({@link ClientSubscriber#groupPlace}); in cluster mode the place moves back to them
     * ({@link Router#handOver}).
     */
    private void redealUnwritten(ClientSubscriber subscriber, GroupKey group) {
        List<Event> unwritten = subscriber.takeUnwritten();
        // In cluster mode, until the handover is recorded, this bridge acknowledges none of these to the peers that
        // forwarded them (they are not written), even once the interest without the member went out.
        subscriber.handedOver(unwritten.isEmpty() ? List.of()
                : router.handOver(subscriber.application(), group, unwritten));
        if (!unwritten.isEmpty()) {
            log.debug("{} left {} events it had not written to the other members of its group", subscriber,
                    unwritten.size());
        }
    }

    /** Whether the subscriber is a member of a group whose place is kept when its last member leaves. */
    private boolean keepsGroupPlaces(ClientSubscriber subscriber) {
        return subscriber.group() != null && groupPlaces.enabled() && replays != null && settings.cluster() == null;
    }

    /** Groups whose last member left, keeping their place: how many now. */
    public int retainedGroups() {
        return groupPlaces.size();
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
        access.refresh(subscriber, new Credentials.Bearer(message.path(REFRESH).asText()));
    }

    @Override
    public MessageBudget messageBudget() {
        return messageBudget;
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

    /**
     * How often the subscribers are looked at: a tenth of the ping interval, at most 250 ms. Each subscriber is pinged
     * once per interval at a moment of its own ({@link ClientSubscriber#livenessDue}), so that pings (and the pongs
     * they bring back) are spread over the interval: pinging 18,000 subscribers at once cost the events of that moment
     * over a second of latency.
     */
    static long livenessTickMillis(Duration pingInterval) {
        return Math.max(1, Math.min(250, pingInterval.toMillis() / 10));
    }

    private void checkLiveness() {
        try {
            long now = System.nanoTime();
            long interval = settings.pingInterval().toNanos();
            long timeout = settings.pongTimeout().toNanos();
            for (ClientSubscriber subscriber : subscribers) {
                if (subscriber.livenessDue(now, interval)) {
                    subscriber.checkLiveness(now, timeout);
                }
            }
        } catch (RuntimeException e) {
            log.warn("Liveness check failed", e);
        }
    }

    /** Closes every subscriber with 1001 and stops the server, freeing the port; the access policy is closed too. */
    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        closeAll(CloseCodes.GOING_AWAY, "server shutting down");
        stopQuietly();
        policy.close();
        log.info("WebSocket server on {} stopped", settings.address());
    }

    private void stopQuietly() {
        if (liveness != null) {
            liveness.cancel(false);
        }
        access.close();
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
}
