package io.wsbridge.bridge.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The metrics of one bridge, in a Micrometer registry of its own that {@code GET /metrics} exposes as Prometheus
 * text. Per-application meters are created once and cached, so the hot path only increments adders.
 */
public final class BridgeMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, ApplicationMeters> applications = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> closes = new ConcurrentHashMap<>();
    private final Map<String, PeerMeters> peers = new ConcurrentHashMap<>();
    private final Map<String, Gauge> links = new ConcurrentHashMap<>();
    private final Counter handshakeTimeouts;

    /** The meters of one application. */
    public record ApplicationMeters(Counter eventsIn, Counter eventsOut, Counter dropped, Counter slowConsumerCloses,
            Timer dispatchLatency) {
    }

    /**
     * The meters of the links with one peer bridge (cluster mode), tagged with the peer's name (advertised
     * host:port): events this bridge forwarded to it, events it received from it, forwarded events dropped by the
     * drop-oldest policy, and links closed because the peer read too slowly.
     */
    public record PeerMeters(Counter forwarded, Counter received, Counter dropped, Counter overflows) {
    }

    /**
     * Registers the gauges that are read on each scrape.
     *
     * @param connections open WebSocket connections
     * @param queued events queued over all subscribers
     * @param maxQueued the longest subscriber queue
     */
    public BridgeMetrics(Supplier<Number> connections, Supplier<Number> queued, Supplier<Number> maxQueued) {
        Gauge.builder("wsbridge.connections", connections).description("Open WebSocket connections")
                .register(registry);
        Gauge.builder("wsbridge.queue.depth", queued).description("Events queued over all subscribers")
                .baseUnit("events").register(registry);
        Gauge.builder("wsbridge.queue.depth.max", maxQueued).description("Events queued for the slowest subscriber")
                .baseUnit("events").register(registry);
        handshakeTimeouts = Counter.builder("wsbridge.handshake.timeouts")
                .description("Connections cut because their request head was not complete in time")
                .register(registry);
    }

    /** The meters of an application, created with gauges of its subscribers and groups on first use. */
    public ApplicationMeters application(String application, ToDoubleFunction<String> subscribers,
            ToDoubleFunction<String> groups) {
        return application(application, subscribers, groups, null);
    }

    /**
     * As above; {@code peerSubscriptions} (cluster mode) counts the proxies of subscribers on peer bridges: one per
     * peer with plain subscribers, one per remote group member.
     */
    public ApplicationMeters application(String application, ToDoubleFunction<String> subscribers,
            ToDoubleFunction<String> groups, ToDoubleFunction<String> peerSubscriptions) {
        ApplicationMeters meters = applications.get(application);
        if (meters != null) {
            return meters;
        }
        return applications.computeIfAbsent(application, app -> {
            if (peerSubscriptions != null) {
                Gauge.builder("wsbridge.peer.subscriptions", () -> peerSubscriptions.applyAsDouble(app))
                        .tag("application", app)
                        .description("Proxies of subscribers on peer bridges: one per peer with plain subscribers, "
                                + "one per remote group member").register(registry);
            }
            Gauge.builder("wsbridge.subscribers", () -> subscribers.applyAsDouble(app)).tag("application", app)
                    .description("Subscribers of the application connected to this bridge, group members included")
                    .register(registry);
            Gauge.builder("wsbridge.groups", () -> groups.applyAsDouble(app)).tag("application", app)
                    .description("Consumer groups of the application").register(registry);
            return new ApplicationMeters(
                    Counter.builder("wsbridge.events.in").tag("application", app)
                            .description("Events published to the bridge").register(registry),
                    Counter.builder("wsbridge.events.out").tag("application", app)
                            .description("Frames handed to subscribers' connections").register(registry),
                    Counter.builder("wsbridge.events.dropped").tag("application", app)
                            .description("Events dropped by the drop-oldest overflow policy").register(registry),
                    Counter.builder("wsbridge.slow.consumer.closes").tag("application", app)
                            .description("Subscribers closed by the close overflow policy").register(registry),
                    Timer.builder("wsbridge.dispatch.latency").tag("application", app)
                            .description("Time from publish to the frame's write to the network")
                            .publishPercentiles(0.5, 0.99).register(registry));
        });
    }

    /** The meters of the links with {@code peer}, created on first use. */
    public PeerMeters peer(String peer) {
        PeerMeters meters = peers.get(peer);
        if (meters != null) {
            return meters;
        }
        return peers.computeIfAbsent(peer, p -> new PeerMeters(
                Counter.builder("wsbridge.peer.events.forwarded").tag("peer", p)
                        .description("Events forwarded to the peer bridge for its subscribers").register(registry),
                Counter.builder("wsbridge.peer.events.received").tag("peer", p)
                        .description("Events received from the peer bridge for local subscribers").register(registry),
                Counter.builder("wsbridge.peer.events.dropped").tag("peer", p)
                        .description("Events for the peer dropped by the drop-oldest overflow policy")
                        .register(registry),
                Counter.builder("wsbridge.peer.link.overflows").tag("peer", p)
                        .description("Links closed by the close overflow policy because the peer read too slowly")
                        .register(registry)));
    }

    /** Registers the gauge {@code wsbridge.peer.link{peer}}: 1 while this bridge's link to the peer is open. */
    public void peerLink(String peer, Supplier<Number> up) {
        links.computeIfAbsent(peer, p -> Gauge.builder("wsbridge.peer.link", up).tag("peer", p)
                .description("1 while the link to the peer bridge is open, else 0").register(registry));
    }

    /** Removes the link gauge of a peer that is no longer part of the cluster. */
    public void removePeerLink(String peer) {
        Gauge gauge = links.remove(peer);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }

    /** Counts an upgrade refused with the status, e.g. 401, tagged with a fixed word for the reason. */
    public void refused(int status) {
        refused(status, reason(status));
    }

    /** Counts an upgrade refused with the status and a reason word of the caller's, e.g. 503 too_many_connections. */
    public void refused(int status, String reason) {
        refusals.computeIfAbsent(status + " " + reason, key -> Counter.builder("wsbridge.upgrades.refused")
                .tag("status", String.valueOf(status)).tag("reason", reason)
                .description("Upgrades refused, by HTTP status").register(registry)).increment();
    }

    /** Registers the gauge {@code wsbridge_unfinished_messages_bytes}: bytes held by clients' unfinished messages. */
    public void unfinishedMessages(Supplier<Number> bytes) {
        Gauge.builder("wsbridge.unfinished.messages", bytes).baseUnit("bytes")
                .description("Bytes held by the unfinished (fragmented) messages of all clients").register(registry);
    }

    /** Counts a connection cut because its request head did not arrive within the handshake timeout. */
    public void handshakeTimedOut() {
        handshakeTimeouts.increment();
    }

    /** Counts a connection closed by the server with the close code. */
    public void closed(int code) {
        closes.computeIfAbsent(code, c -> Counter.builder("wsbridge.closes").tag("code", String.valueOf(c))
                .description("Connections closed by the server, by close code").register(registry)).increment();
    }

    public void recordDispatch(ApplicationMeters meters, long publishedNanos) {
        meters.dispatchLatency().record(System.nanoTime() - publishedNanos, TimeUnit.NANOSECONDS);
    }

    /** The sum of a counter over all its tags, e.g. {@code wsbridge.events.dropped} over every application. */
    public double total(String counter) {
        return registry.find(counter).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** The current value of a gauge without tags, e.g. {@code wsbridge.connections}. */
    public double gauge(String gauge) {
        Gauge found = registry.find(gauge).gauge();
        return found == null ? 0 : found.value();
    }

    /** The registry, for tests and for bridging into other metric systems. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    public void close() {
        registry.close();
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "origin_not_allowed";
            case 404 -> "not_found";
            case 503 -> "identity_provider_unavailable";
            default -> "other";
        };
    }
}
