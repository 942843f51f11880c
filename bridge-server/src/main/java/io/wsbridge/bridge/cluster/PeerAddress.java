package io.wsbridge.bridge.cluster;

import java.net.URI;
import java.util.Objects;

/**
 * Where a peer bridge listens: its advertised host and the connector's {@code websocket.port}.
 *
 * @param host a host name or address; an IPv6 address without brackets
 * @param port the WebSocket port
 */
public record PeerAddress(String host, int port) {

    public PeerAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("a peer needs a host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
        }
    }

    /**
     * The peer a Connect worker id names: the host part of {@code host:port} (the REST listener's advertised address)
     * with the bridge's port.
     *
     * @throws IllegalArgumentException if the worker id has no host
     */
    public static PeerAddress fromWorkerId(String workerId, int websocketPort) {
        return new PeerAddress(hostOf(workerId), websocketPort);
    }

    /** The host part of a {@code host:port} worker id, without brackets around an IPv6 address. */
    public static String hostOf(String workerId) {
        String id = Objects.requireNonNull(workerId, "workerId").trim();
        if (id.startsWith("[")) {
            int end = id.indexOf(']');
            if (end > 1) {
                return id.substring(1, end);
            }
        }
        int colon = id.lastIndexOf(':');
        if (colon > 0 && id.indexOf(':') == colon) {
            return id.substring(0, colon);
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("empty worker id");
        }
        return id;
    }

    /** The peer link endpoint of this peer. */
    URI peerUri(String scheme, String node) {
        String authority = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        return URI.create(scheme + "://" + authority + PeerProtocol.PATH + "?" + PeerProtocol.NODE_PARAM + "="
                + java.net.URLEncoder.encode(node, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
