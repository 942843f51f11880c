package io.wsbridge.bridge.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wsbridge.bridge.filter.Filters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The metrics of one bridge, in a Micrometer registry of its own that the operations listener's {@code /metrics}
 * exposes as Prometheus text.
 *
 * <p>Per-application series are bounded: an application gets them when it gets a subscriber (a client of this
 * bridge or, in cluster mode, a peer's stand-in for one), at most {@code maxApplications} at once, and loses them
 * {@code retention} after its last subscriber left ({@link #sweep}). Events of every other application, such as a
 * producer's new topic that nobody reads, are counted in the series whose {@code application} label is empty, which
 * Prometheus reads as no label at all. The hot path ({@link #eventsIn}) is one map lookup, without allocation.
 *
 * <p>Over 300 lines because every meter of the bridge is defined here with its name, tags and description, so the
 * README's metrics table has one source; the bounded per-application series add their bookkeeping.
 */
public final class BridgeMetrics {

    /** The {@code application} label of the series that count the applications without series of their own. */
    public static final String OTHER_APPLICATIONS = "";
    private static final long IN_USE = Long.MIN_VALUE;
    private static final long REMOVED = Long.MAX_VALUE;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Routing routing;
    private final Map<String, ApplicationMeters> applications = new ConcurrentHashMap<>();
    private final ApplicationMeters otherApplications;
    private final Map<String, DoubleAdder> retired = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> closes = new ConcurrentHashMap<>();
    private final Map<String, Counter> lookups = new ConcurrentHashMap<>();
    private final Map<String, PeerMeters> peers = new ConcurrentHashMap<>();
    private final Map<String, InterestMeters> interest = new ConcurrentHashMap<>();
    private final Map<String, Gauge> links = new ConcurrentHashMap<>();
    private volatile int maxApplications;
    private volatile long retentionNanos;
    private final Counter handshakeTimeouts;

    /** What the series of an application read from the router that serves it. */
    public interface Routing {

        /** Subscribers of the application connected to this bridge, group members included. */
        int subscribers(String application);

        /** Consumer groups of the application with a member connected to this bridge. */
        int groups(String application);

        /** Cluster mode: stand-ins of subscribers on peer bridges. */
        int peerSubscriptions(String application);

        /** Whether this is a bridge of a cluster: its applications get a peer subscriptions gauge. */
        boolean clustered();

        /** Whether the application has a subscriber here, a peer's stand-in included: its series are kept. */
        boolean serves(String application);

        /** Routing that counts nothing and serves nothing, for parts of a bridge used alone (tests, benchmarks). */
        static Routing none() {
            return new Routing() {
                @Override
                public int subscribers(String application) {
                    return 0;
                }

                @Override
                public int groups(String application) {
                    return 0;
                }

                @Override
                public int peerSubscriptions(String application) {
                    return 0;
                }

                @Override
                public boolean clustered() {
                    return false;
                }

                @Override
                public boolean serves(String application) {
                    return false;
                }
            };
        }
    }

    /**
     * The meters of one application, or of all applications without series of their own. Retired ones (removed from
     * the registry) still count, unseen, for whoever held them.
     */
    public static final class ApplicationMeters {
        private final String application;
        private final Counter eventsIn;
        private final Counter eventsOut;
        private final Counter dropped;
        private final Counter slowConsumerCloses;
        private final Timer dispatchLatency;
        private final List<Meter> gauges;
        private final AtomicLong idleSince = new AtomicLong(IN_USE);

        private ApplicationMeters(String application, MeterRegistry registry, List<Meter> gauges) {
            this.application = application;
            this.eventsIn = Counter.builder("wsbridge.events.in").tag("application", application)
                    .description("Events published to the bridge").register(registry);
            this.eventsOut = Counter.builder("wsbridge.events.out").tag("application", application)
                    .description("Frames handed to subscribers' connections").register(registry);
            this.dropped = Counter.builder("wsbridge.events.dropped").tag("application", application)
                    .description("Events dropped by the drop-oldest overflow policy").register(registry);
            this.slowConsumerCloses = Counter.builder("wsbridge.slow.consumer.closes").tag("application", application)
                    .description("Subscribers closed by the close overflow policy").register(registry);
            this.dispatchLatency = Timer.builder("wsbridge.dispatch.latency").tag("application", application)
                    .description("Time from publish to the frame's write to the network")
                    .publishPercentiles(0.5, 0.99).register(registry);
            this.gauges = gauges;
        }

        /** The application, or {@link #OTHER_APPLICATIONS}. */
        public String application() {
            return application;
        }

        public Counter eventsIn() {
            return eventsIn;
        }

        public Counter eventsOut() {
            return eventsOut;
        }

        public Counter dropped() {
            return dropped;
        }

        public Counter slowConsumerCloses() {
            return slowConsumerCloses;
        }

        public Timer dispatchLatency() {
            return dispatchLatency;
        }

        /** Marks the meters in use; {@code false} if they were retired meanwhile. */
        private boolean claim() {
            for (;;) {
                long since = idleSince.get();
                if (since == REMOVED) {
                    return false;
                }
                if (since == IN_USE || idleSince.compareAndSet(since, IN_USE)) {
                    return true;
                }
            }
        }

        private List<Meter> all() {
            List<Meter> all = new ArrayList<>(gauges);
            all.addAll(List.of(eventsIn, eventsOut, dropped, slowConsumerCloses, dispatchLatency));
            return all;
        }
    }

    /**
     * The meters of the links with one peer bridge (cluster mode), tagged with the peer's name (advertised
     * host:port): events this bridge forwarded to it, events it received from it, forwarded events dropped by the
     * drop-oldest policy, links closed because the peer read too slowly, and events for the peer's group members
     * dealt again because its link ended before it confirmed them.
     */
    public record PeerMeters(Counter forwarded, Counter received, Counter dropped, Counter overflows,
            Counter redealt) {
    }

    /**
     * The interest messages exchanged with one peer bridge (cluster mode): snapshot parts and deltas sent and
     * received, their bytes, and the fresh snapshots this bridge asked the peer for.
     */
    public record InterestMeters(Counter snapshotsSent, Counter deltasSent, Counter bytesSent,
            Counter snapshotsReceived, Counter deltasReceived, Counter bytesReceived, Counter resyncs) {
    }

    /**
     * Registers the gauges that are read on each scrape.
     *
     * @param connections open WebSocket connections
     * @param queued events queued over all subscribers
     * @param maxQueued the longest subscriber queue
     * @param routing what the series of an application read, and whether it is still served
     * @param maxApplications applications with series of their own at once
     * @param retention how long an application's series outlive its last subscriber
     */
    public BridgeMetrics(Supplier<Number> connections, Supplier<Number> queued, Supplier<Number> maxQueued,
            Routing routing, int maxApplications, Duration retention) {
        this.routing = routing;
        applicationSeries(maxApplications, retention);
        Gauge.builder("wsbridge.connections", connections).description("Open subscriber connections")
                .register(registry);
        Gauge.builder("wsbridge.queue.depth", queued).description("Events queued over all subscribers")
                .baseUnit("events").register(registry);
        Gauge.builder("wsbridge.queue.depth.max", maxQueued).description("Events queued for the slowest subscriber")
                .baseUnit("events").register(registry);
        Gauge.builder("wsbridge.application.series", applications::size)
                .description("Applications with series of their own; the others count under application=\"\"")
                .register(registry);
        otherApplications = new ApplicationMeters(OTHER_APPLICATIONS, registry, List.of());
        handshakeTimeouts = Counter.builder("wsbridge.handshake.timeouts")
                .description("Connections cut because their request head was not complete in time")
                .register(registry);
    }

    /** Registers the series of the subscribers' filters: distinct expressions, evaluations and failed evaluations. */
    public void filters(Filters filters) {
        Gauge.builder("wsbridge.filters", filters::distinct)
                .description("Distinct filter expressions of the subscribers, each compiled once").register(registry);
        FunctionCounter.builder("wsbridge.filter.evaluations", filters, Filters::evaluations)
                .description("Evaluations of a filter on an event: one per event and distinct filter")
                .register(registry);
        FunctionCounter.builder("wsbridge.filter.failures", filters, Filters::failures)
                .description("Evaluations that failed (a type mismatch, a missing attribute) and so did not match")
                .register(registry);
    }

    /** Changes the bound on applications with series (existing ones stay) and their retention. */
    public void applicationSeries(int max, Duration retention) {
        this.maxApplications = max;
        this.retentionNanos = retention.toNanos();
    }

    /**
     * The counter of events published for {@code application}: its own if it has series, else the one of
     * {@link #OTHER_APPLICATIONS}. Called per event; never creates series.
     */
    public Counter eventsIn(String application) {
        ApplicationMeters meters = applications.get(application);
        return meters == null ? otherApplications.eventsIn : meters.eventsIn;
    }

    /**
     * The meters of an application that gets a subscriber, created with gauges of its subscribers and groups unless
     * {@code maxApplications} applications have them already: then the meters of {@link #OTHER_APPLICATIONS}.
     */
    public ApplicationMeters application(String application) {
        for (;;) {
            ApplicationMeters meters = applications.get(application);
            if (meters == null) {
                synchronized (this) {
                    meters = applications.get(application);
                    if (meters == null) {
                        if (applications.size() >= maxApplications) {
                            return otherApplications;
                        }
                        meters = create(application);
                        applications.put(application, meters);
                        return meters;
                    }
                }
            }
            if (meters.claim()) {
                return meters;
            }
            applications.remove(application, meters);
        }
    }

    private ApplicationMeters create(String app) {
        List<Meter> gauges = new ArrayList<>();
        if (routing.clustered()) {
            gauges.add(Gauge.builder("wsbridge.peer.subscriptions", () -> routing.peerSubscriptions(app))
                    .tag("application", app)
                    .description("Proxies of subscribers on peer bridges: one per peer with plain subscribers, "
                            + "one per remote group member").register(registry));
        }
        gauges.add(Gauge.builder("wsbridge.subscribers", () -> routing.subscribers(app)).tag("application", app)
                .description("Subscribers of the application connected to this bridge, group members included")
                .register(registry));
        gauges.add(Gauge.builder("wsbridge.groups", () -> routing.groups(app)).tag("application", app)
                .description("Consumer groups of the application").register(registry));
        return new ApplicationMeters(app, registry, gauges);
    }

    /**
     * Removes the series of applications that have had no subscriber for the retention period. An application is
     * seen idle from the first sweep that finds it without subscribers, so sweep at a fraction of the retention.
     */
    public synchronized void sweep(long nowNanos) {
        for (ApplicationMeters meters : applications.values()) {
            if (routing.serves(meters.application)) {
                meters.claim();
                continue;
            }
            long since = meters.idleSince.get();
            if (since == IN_USE) {
                meters.idleSince.compareAndSet(IN_USE, nowNanos);
            } else if (since != REMOVED && nowNanos - since >= retentionNanos
                    && meters.idleSince.compareAndSet(since, REMOVED)) {
                retire(meters);
            }
        }
    }

    /** How often {@link #sweep} should run: a tenth of the retention, between 100 ms and 10 s. */
    public Duration sweepInterval() {
        long tenth = retentionNanos / 10;
        return Duration.ofNanos(Math.max(Duration.ofMillis(100).toNanos(), Math.min(tenth,
                Duration.ofSeconds(10).toNanos())));
    }

    private void retire(ApplicationMeters meters) {
        applications.remove(meters.application, meters);
        for (Meter meter : meters.all()) {
            if (meter instanceof Counter counter) {
                retired.computeIfAbsent(counter.getId().getName(), name -> new DoubleAdder()).add(counter.count());
            }
            registry.remove(meter);
        }
    }

    /** Applications with series of their own. */
    public Set<String> applicationsWithSeries() {
        return Set.copyOf(applications.keySet());
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
                        .register(registry),
                Counter.builder("wsbridge.peer.events.redealt").tag("peer", p)
                        .description("Events for the peer's group members dealt again because its link ended before "
                                + "it confirmed them").register(registry)));
    }

    /** The interest meters of the links with {@code peer}, created on first use. */
    public InterestMeters peerInterest(String peer) {
        InterestMeters meters = interest.get(peer);
        if (meters != null) {
            return meters;
        }
        return interest.computeIfAbsent(peer, p -> new InterestMeters(
                interestMessages(p, "sent", "snapshot"), interestMessages(p, "sent", "delta"), interestBytes(p, "sent"),
                interestMessages(p, "received", "snapshot"), interestMessages(p, "received", "delta"),
                interestBytes(p, "received"),
                Counter.builder("wsbridge.peer.interest.resyncs").tag("peer", p)
                        .description("Fresh interest snapshots asked of the peer after a gap or a bad message")
                        .register(registry)));
    }

    private Counter interestMessages(String peer, String direction, String type) {
        return Counter.builder("wsbridge.peer.interest.messages").tag("peer", peer).tag("direction", direction)
                .tag("type", type).description("Interest messages (snapshot parts, deltas) exchanged with the peer")
                .register(registry);
    }

    private Counter interestBytes(String peer, String direction) {
        return Counter.builder("wsbridge.peer.interest.bytes").tag("peer", peer).tag("direction", direction)
                .baseUnit("bytes").description("Bytes of interest messages exchanged with the peer").register(registry);
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

    /**
     * Counts a question asked of the identity provider because the cache could not answer it, e.g. {@code application};
     * a repeated question within the cache's time to live, or one refused by a limit on lookups, is not counted.
     */
    public void identityLookup(String kind) {
        lookups.computeIfAbsent(kind, k -> Counter.builder("wsbridge.identity.lookups").tag("kind", k)
                .description("Questions asked of the identity provider on a cache miss, by kind").register(registry))
                .increment();
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

    /** Counts a WebSocket connection closed by the server with the close code. */
    public void closed(int code) {
        closed(code, "websocket");
    }

    /**
     * Counts a connection closed by the server with the close code, by transport ({@code websocket}, {@code sse}: a
     * Server-Sent Events stream gets the same codes in its last message).
     */
    public void closed(int code, String transport) {
        closes.computeIfAbsent(code + " " + transport, key -> Counter.builder("wsbridge.closes")
                .tag("code", String.valueOf(code)).tag("transport", transport)
                .description("Connections closed by the server, by close code and transport").register(registry))
                .increment();
    }

    /** Registers {@code wsbridge_sessions{transport}}: the subscribers connected over each transport. */
    public void transports(List<String> transports, ToIntFunction<String> open) {
        for (String transport : transports) {
            Gauge.builder("wsbridge.sessions", () -> open.applyAsInt(transport)).tag("transport", transport)
                    .description("Subscribers connected to this bridge, by transport").register(registry);
        }
    }

    public void recordDispatch(ApplicationMeters meters, long publishedNanos) {
        meters.dispatchLatency().record(System.nanoTime() - publishedNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The sum of a counter over all its tags, e.g. {@code wsbridge.events.dropped} over every application, the series
     * removed since included: it never goes down.
     */
    public double total(String counter) {
        DoubleAdder gone = retired.get(counter);
        return registry.find(counter).counters().stream().mapToDouble(Counter::count).sum()
                + (gone == null ? 0 : gone.sum());
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
