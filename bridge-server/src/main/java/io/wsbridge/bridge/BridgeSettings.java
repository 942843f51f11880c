package io.wsbridge.bridge;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The plain settings a {@link Bridge} is built from. The connector maps its configuration onto this record; the
 * bridge knows nothing of Kafka or Connect.
 *
 * @param host bind address of the WebSocket server
 * @param port TCP port of the WebSocket server; 0 picks a free port (tests)
 * @param queueCapacity events a subscriber may have queued before the overflow policy applies
 * @param overflowPolicy what to do with a subscriber whose queue is full
 * @param pingInterval how often the server pings every subscriber
 * @param pongTimeout a subscriber that sent nothing (pong included) for this long is closed
 * @param shutdownGrace how long the server outlives its last user (task) before it stops
 * @param maxMessageBytes largest message a client may send (e.g. a token refresh)
 * @param publicApplications applications anonymous subscribers may read without any identity provider
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
        Set<String> publicApplications) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8085;
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(45);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

    public BridgeSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(overflowPolicy, "overflowPolicy");
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(pongTimeout, "pongTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        publicApplications = Set.copyOf(publicApplications);
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
    }

    /** Defaults for everything, listening on {@code host:port}. */
    public static BridgeSettings defaults(String host, int port) {
        return new BridgeSettings(host, port, DEFAULT_QUEUE_CAPACITY, OverflowPolicy.CLOSE, DEFAULT_PING_INTERVAL,
                DEFAULT_PONG_TIMEOUT, DEFAULT_SHUTDOWN_GRACE, DEFAULT_MAX_MESSAGE_BYTES, Set.of());
    }

    public BridgeSettings withPublicApplications(Set<String> applications) {
        return new BridgeSettings(host, port, queueCapacity, overflowPolicy, pingInterval, pongTimeout, shutdownGrace,
                maxMessageBytes, applications);
    }

    public BridgeSettings withQueue(int capacity, OverflowPolicy policy) {
        return new BridgeSettings(host, port, capacity, policy, pingInterval, pongTimeout, shutdownGrace,
                maxMessageBytes, publicApplications);
    }

    public BridgeSettings withLiveness(Duration ping, Duration pong) {
        return new BridgeSettings(host, port, queueCapacity, overflowPolicy, ping, pong, shutdownGrace,
                maxMessageBytes, publicApplications);
    }

    public BridgeSettings withShutdownGrace(Duration grace) {
        return new BridgeSettings(host, port, queueCapacity, overflowPolicy, pingInterval, pongTimeout, grace,
                maxMessageBytes, publicApplications);
    }

    public BridgeSettings withMaxMessageBytes(int bytes) {
        return new BridgeSettings(host, port, queueCapacity, overflowPolicy, pingInterval, pongTimeout, shutdownGrace,
                bytes, publicApplications);
    }

    /** The address as a user would write it, for messages. */
    public String address() {
        return host + ":" + port;
    }
}
