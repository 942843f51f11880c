package io.wsbridge.bridge.settings;

import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.bus.Writers;
import io.wsbridge.bridge.session.OverflowPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The plain settings a {@link Bridge} is built from. The connector maps its configuration onto this record; the
 * bridge knows nothing of Kafka or Connect. Build it with {@link #builder(String, int)}.
 *
 * <p>Over 300 lines because it is a record of every setting of a bridge with its validation and its builder: one
 * field, one check and one builder method per connector key, nothing else.
 *
 * @param host bind address of the WebSocket server
 * @param port TCP port of the WebSocket server; 0 picks a free port (tests)
 * @param queueCapacity events a subscriber may have queued before the overflow policy applies
 * @param overflowPolicy what to do with a subscriber whose queue is full
 * @param pingInterval how often the server pings every subscriber
 * @param pongTimeout a subscriber that sent nothing (pong included) for this long is closed
 * @param shutdownGrace how long the server outlives its last user (task) before it stops
 * @param maxMessageBytes largest message a client may send (e.g. a token refresh)
 * @param maxConnections open WebSocket connections of this bridge at most; more upgrades are refused with 503
 * @param maxConnectionsPerAddress open WebSocket connections of this bridge from one client IP address at most
 * @param handshakeTimeout how long a client has, from opening its connection, to send a complete request head
 * @param unfinishedMessageTimeout how long a client may take to finish a message it sends in fragments
 * @param maxUnfinishedMessageBytes bytes held by unfinished (fragmented) client messages over all connections
 * @param publicApplications applications anonymous subscribers may read whatever the identity provider says
 * @param allowedOrigins browser origins allowed to connect; empty allows every origin
 * @param reauthorizeInterval how often open sessions are authorized again
 * @param tls the server's TLS key store, or {@code null} for plain {@code ws://}
 * @param identity the identity provider, or {@code null} for development mode
 * @param cluster cluster mode (peer links between the bridges of several workers), or {@code null} for a bridge
 *     that serves only what its own worker consumes
 * @param ops the operations listener ({@code /metrics} and the detailed probes), or {@code null} for none
 * @param maxApplicationSeries applications that may have metric series of their own at once; the events of others
 *     are counted in series without an application
 * @param seriesRetention how long an application's series outlive its last subscriber
 * @param console whether the bridge serves its console page at {@code /}
 * @param groupRetention how long a group whose last member left keeps its place in the stream, so that the next
 *     member to join gets what the group missed; zero keeps none
 * @param writeThreads threads that share the socket writes of a wide fan-out with the publishing threads; zero keeps
 *     every write on the publishing thread
 */
public record BridgeSettings(
        String host,
        int port,
        int queueCapacity,
        OverflowPolicy overflowPolicy,
        Duration pingInterval,
        Duration pongTimeout,
        Duration shutdownGrace,
        int maxMessageBytes,
        int maxConnections,
        int maxConnectionsPerAddress,
        Duration handshakeTimeout,
        Duration unfinishedMessageTimeout,
        long maxUnfinishedMessageBytes,
        Set<String> publicApplications,
        Set<String> allowedOrigins,
        Duration reauthorizeInterval,
        Tls tls,
        IdentityProvider identity,
        ClusterSettings cluster,
        Ops ops,
        int maxApplicationSeries,
        Duration seriesRetention,
        boolean console,
        Duration groupRetention,
        int writeThreads) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8085;
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(45);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
    public static final Duration DEFAULT_REAUTHORIZE_INTERVAL = Duration.ofSeconds(60);
    /** Twice the 10,000 subscribers of the load test, at about 5 KB of heap and a file descriptor each. */
    public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
    /** 1% of the whole: one client address cannot take the bridge, a NAT of a few hundred users still fits. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 200;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_UNFINISHED_MESSAGE_TIMEOUT = Duration.ofSeconds(10);
    /** 256 unfinished messages of the default largest size at once. */
    public static final long DEFAULT_MAX_UNFINISHED_MESSAGE_BYTES = 16L * 1024 * 1024;
    public static final String DEFAULT_OPS_HOST = "127.0.0.1";
    public static final int DEFAULT_MAX_APPLICATION_SERIES = 100;
    public static final Duration DEFAULT_SERIES_RETENTION = Duration.ofMinutes(5);
    public static final Duration DEFAULT_GROUP_RETENTION = Duration.ofMinutes(5);
    /**
     * One: at 18,000 subscribers on the 2-core benchmark machine the worst tail with it was far shorter than the
     * worst without, at the same CPU (BENCHMARKS.md); batches to fewer than 32 subscribers never use it.
     */
    public static final int DEFAULT_WRITE_THREADS = 1;

    /**
     * The operations listener: plain HTTP with {@code /metrics} and the detailed {@code /healthz} and {@code /readyz},
     * apart from the public WebSocket port.
     *
     * @param host bind address, e.g. {@code 127.0.0.1} for a scraper on the same host
     * @param port TCP port; 0 picks a free port (tests)
     */
    public record Ops(String host, int port) {

        public Ops {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("ops port must be between 0 and 65535, was " + port);
            }
        }

        /** The address as a user would write it, for messages. */
        public String address() {
            return host + ":" + port;
        }
    }

    /**
     * A PKCS12 (or JKS) key store holding the server's certificate and key.
     *
     * @param keyStore path of the key store file
     * @param type key store type, e.g. {@code PKCS12}
     * @param password key store password
     * @param keyPassword password of the key, or {@code null} to use the key store password
     */
    public record Tls(Path keyStore, String type, String password, String keyPassword) {

        public Tls {
            Objects.requireNonNull(keyStore, "keyStore");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "Tls[keyStore=" + keyStore + ", type=" + type + ", password=[hidden]]";
        }
    }

    public BridgeSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(overflowPolicy, "overflowPolicy");
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(pongTimeout, "pongTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(reauthorizeInterval, "reauthorizeInterval");
        Objects.requireNonNull(seriesRetention, "seriesRetention");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(unfinishedMessageTimeout, "unfinishedMessageTimeout");
        publicApplications = Set.copyOf(publicApplications);
        allowedOrigins = Set.copyOf(allowedOrigins);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1, was " + queueCapacity);
        }
        if (pingInterval.isNegative() || pingInterval.isZero()) {
            throw new IllegalArgumentException("pingInterval must be positive, was " + pingInterval);
        }
        if (pongTimeout.compareTo(pingInterval) <= 0) {
            throw new IllegalArgumentException(
                    "pongTimeout (" + pongTimeout + ") must be longer than pingInterval (" + pingInterval + ")");
        }
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1, was " + maxMessageBytes);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, was " + maxConnections);
        }
        if (maxConnectionsPerAddress < 1) {
            throw new IllegalArgumentException(
                    "maxConnectionsPerAddress must be at least 1, was " + maxConnectionsPerAddress);
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, was " + handshakeTimeout);
        }
        if (unfinishedMessageTimeout.isNegative() || unfinishedMessageTimeout.isZero()) {
            throw new IllegalArgumentException(
                    "unfinishedMessageTimeout must be positive, was " + unfinishedMessageTimeout);
        }
        if (maxUnfinishedMessageBytes < 1) {
            throw new IllegalArgumentException(
                    "maxUnfinishedMessageBytes must be at least 1, was " + maxUnfinishedMessageBytes);
        }
        if (reauthorizeInterval.isNegative() || reauthorizeInterval.isZero()) {
            throw new IllegalArgumentException("reauthorizeInterval must be positive, was " + reauthorizeInterval);
        }
        if (maxApplicationSeries < 0) {
            throw new IllegalArgumentException("maxApplicationSeries must not be negative, was " + maxApplicationSeries);
        }
        if (seriesRetention.isNegative() || seriesRetention.isZero()) {
            throw new IllegalArgumentException("seriesRetention must be positive, was " + seriesRetention);
        }
        Objects.requireNonNull(groupRetention, "groupRetention");
        if (groupRetention.isNegative()) {
            throw new IllegalArgumentException("groupRetention must not be negative, was " + groupRetention);
        }
        if (writeThreads < 0 || writeThreads > Writers.MAX_THREADS) {
            throw new IllegalArgumentException("writeThreads must be between 0 and " + Writers.MAX_THREADS + ", was "
                    + writeThreads);
        }
    }

    /** Defaults for everything, listening on {@code host:port}. */
    public static BridgeSettings defaults(String host, int port) {
        return builder(host, port).build();
    }

    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    public Builder toBuilder() {
        return new Builder(host, port).queue(queueCapacity, overflowPolicy).liveness(pingInterval, pongTimeout)
                .shutdownGrace(shutdownGrace).maxMessageBytes(maxMessageBytes)
                .connectionLimits(maxConnections, maxConnectionsPerAddress).handshakeTimeout(handshakeTimeout)
                .unfinishedMessages(unfinishedMessageTimeout, maxUnfinishedMessageBytes)
                .publicApplications(publicApplications)
                .allowedOrigins(allowedOrigins).reauthorizeInterval(reauthorizeInterval).tls(tls).identity(identity)
                .cluster(cluster).ops(ops).applicationSeries(maxApplicationSeries, seriesRetention).console(console)
                .groupRetention(groupRetention).writeThreads(writeThreads);
    }

    /** The address as a user would write it, for messages. */
    public String address() {
        return host + ":" + port;
    }

    public String scheme() {
        return tls == null ? "ws" : "wss";
    }

    /** Builds {@link BridgeSettings}, starting from the defaults. */
    public static final class Builder {
        private String host;
        private final int port;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private OverflowPolicy overflowPolicy = OverflowPolicy.CLOSE;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pongTimeout = DEFAULT_PONG_TIMEOUT;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration unfinishedMessageTimeout = DEFAULT_UNFINISHED_MESSAGE_TIMEOUT;
        private long maxUnfinishedMessageBytes = DEFAULT_MAX_UNFINISHED_MESSAGE_BYTES;
        private Set<String> publicApplications = Set.of();
        private Set<String> allowedOrigins = Set.of();
        private Duration reauthorizeInterval = DEFAULT_REAUTHORIZE_INTERVAL;
        private Tls tls;
        private IdentityProvider identity;
        private ClusterSettings cluster;
        private Ops ops;
        private int maxApplicationSeries = DEFAULT_MAX_APPLICATION_SERIES;
        private Duration seriesRetention = DEFAULT_SERIES_RETENTION;
        private boolean console = true;
        private Duration groupRetention = DEFAULT_GROUP_RETENTION;
        private int writeThreads = DEFAULT_WRITE_THREADS;

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** Another bind address, e.g. a worker's own one in cluster mode. */
        public Builder host(String bindHost) {
            this.host = bindHost;
            return this;
        }

        public Builder queue(int capacity, OverflowPolicy policy) {
            this.queueCapacity = capacity;
            this.overflowPolicy = policy;
            return this;
        }

        public Builder liveness(Duration ping, Duration pong) {
            this.pingInterval = ping;
            this.pongTimeout = pong;
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = grace;
            return this;
        }

        public Builder maxMessageBytes(int bytes) {
            this.maxMessageBytes = bytes;
            return this;
        }

        /** Open WebSocket connections at most, in all and from one client address. */
        public Builder connectionLimits(int total, int perAddress) {
            this.maxConnections = total;
            this.maxConnectionsPerAddress = perAddress;
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        /** How long a fragmented client message may stay unfinished, and how many bytes they may hold in all. */
        public Builder unfinishedMessages(Duration timeout, long maxBytes) {
            this.unfinishedMessageTimeout = timeout;
            this.maxUnfinishedMessageBytes = maxBytes;
            return this;
        }

        public Builder publicApplications(Set<String> applications) {
            this.publicApplications = applications;
            return this;
        }

        public Builder allowedOrigins(Set<String> origins) {
            this.allowedOrigins = origins;
            return this;
        }

        public Builder reauthorizeInterval(Duration interval) {
            this.reauthorizeInterval = interval;
            return this;
        }

        public Builder tls(Tls tls) {
            this.tls = tls;
            return this;
        }

        public Builder identity(IdentityProvider identity) {
            this.identity = identity;
            return this;
        }

        public Builder cluster(ClusterSettings cluster) {
            this.cluster = cluster;
            return this;
        }

        /** The operations listener, or {@code null} for none. */
        public Builder ops(Ops listener) {
            this.ops = listener;
            return this;
        }

        /** At most {@code max} applications with series of their own, kept {@code retention} after they are idle. */
        public Builder applicationSeries(int max, Duration retention) {
            this.maxApplicationSeries = max;
            this.seriesRetention = retention;
            return this;
        }

        /** Whether to serve the console page at {@code /} (on by default). */
        public Builder console(boolean enabled) {
            this.console = enabled;
            return this;
        }

        /** How long a group whose last member left keeps its place; zero keeps none. */
        public Builder groupRetention(Duration retention) {
            this.groupRetention = retention;
            return this;
        }

        /** Threads that share the socket writes of a wide fan-out; zero keeps them on the publishing thread. */
        public Builder writeThreads(int threads) {
            this.writeThreads = threads;
            return this;
        }

        public BridgeSettings build() {
            return new BridgeSettings(host, port, queueCapacity, overflowPolicy, pingInterval, pongTimeout,
                    shutdownGrace, maxMessageBytes, maxConnections, maxConnectionsPerAddress, handshakeTimeout,
                    unfinishedMessageTimeout, maxUnfinishedMessageBytes, publicApplications, allowedOrigins,
                    reauthorizeInterval, tls, identity, cluster, ops, maxApplicationSeries, seriesRetention,
                    console, groupRetention, writeThreads);
        }
    }
}
