package io.wsbridge.bridge.settings;

import java.time.Duration;
import java.util.Objects;

/**
 * Cluster mode of a bridge: the shared secret that authenticates peer links, and how this bridge names itself to
 * its peers. Equal settings mean the same cluster, so a task and the REST extension that compute them from the same
 * connector configuration share one bridge without restarting it.
 *
 * @param secret the cluster secret ({@code cluster.secret}); every bridge of the connector uses the same one
 * @param advertisedHost the host its peers reach this bridge at; names this bridge in its peers' metrics and logs
 * @param workerHost the host of this bridge's Connect worker id, at which its peers dial it (they learn no other
 *     address); it differs from {@code advertisedHost} when a worker names itself otherwise. A peer's handshake must
 *     name one of the two, with the bridge's port. {@code null}: the advertised host only (outside a Connect worker)
 * @param unreadyLimit how long a known peer without a link keeps {@code /readyz} at NOT_READY; after that the peer is
 *     taken for dead (its link keeps retrying), because every bridge is equally affected and taking all of them out of
 *     the load balancer would turn one lost worker into an outage
 * @param reconnectBackoffMax the longest wait between two attempts to link to a peer
 */
public record ClusterSettings(String secret, String advertisedHost, String workerHost, Duration unreadyLimit,
        Duration reconnectBackoffMax) {

    public static final Duration DEFAULT_UNREADY_LIMIT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofSeconds(5);

    public ClusterSettings {
        Objects.requireNonNull(secret, "secret");
        if (secret.isBlank()) {
            throw new IllegalArgumentException("the cluster secret must not be blank");
        }
        Objects.requireNonNull(unreadyLimit, "unreadyLimit");
        Objects.requireNonNull(reconnectBackoffMax, "reconnectBackoffMax");
    }

    /** Settings of a bridge whose peers dial it at its advertised host. */
    public ClusterSettings(String secret, String advertisedHost, Duration unreadyLimit, Duration reconnectBackoffMax) {
        this(secret, advertisedHost, null, unreadyLimit, reconnectBackoffMax);
    }

    public static ClusterSettings of(String secret, String advertisedHost) {
        return new ClusterSettings(secret, advertisedHost, DEFAULT_UNREADY_LIMIT, DEFAULT_RECONNECT_BACKOFF_MAX);
    }

    @Override
    public String toString() {
        return "ClusterSettings[secret=[hidden], advertisedHost=" + advertisedHost + ", workerHost=" + workerHost
                + ", unreadyLimit=" + unreadyLimit + ", reconnectBackoffMax=" + reconnectBackoffMax + "]";
    }
}
