package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.session.Refusals;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrades under the reserved {@code /_wsbridge/} prefix: a peer link on {@code /_wsbridge/peer} with valid cluster
 * credentials in cluster mode, answered with the proof that this bridge holds the secret too ({@link PeerAuth}); 401
 * with wrong credentials, 403 with credentials addressed to another worker; 404 for anything else, and always outside
 * cluster mode.
 */
public final class PeerNegotiator implements WebSocketNegotiator {

    /** The paths this negotiator answers, to mount on the bridge's server. */
    public static final String PATH_SPEC = PeerProtocol.PREFIX + "*";

    private static final Logger log = LoggerFactory.getLogger(PeerNegotiator.class);
    private static final long DEFAULT_IDLE_MILLIS = 90_000;

    private final Supplier<ClusterNode> node;
    private final BridgeMetrics metrics;

    /** @param node the bridge's cluster node, or {@code null} outside cluster mode */
    public PeerNegotiator(Supplier<ClusterNode> node, BridgeMetrics metrics) {
        this.node = node;
        this.metrics = metrics;
    }

    @Override
    public void customize(Configuration configuration) {
        configuration.setMaxFrameSize(PeerProtocol.MAX_FRAME_BYTES);
        configuration.setMaxTextMessageSize(PeerProtocol.MAX_INTEREST_BYTES);
        configuration.setMaxBinaryMessageSize(PeerProtocol.MAX_FRAME_BYTES);
        ClusterNode current = node.get();
        // The linking peer pings every ping interval; the idle timeout catches a peer that vanished.
        configuration.setIdleTimeout(current == null ? Duration.ofMillis(DEFAULT_IDLE_MILLIS)
                : current.settings().pongTimeout().multipliedBy(2));
    }

    @Override
    public FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        String remote = Refusals.remote(request);
        ClusterNode current = node.get();
        if (current == null || !PeerProtocol.PATH.equals(request.getHttpURI().getPath())) {
            return refuse(request, response, callback, 404, "no such route", remote);
        }
        String peer;
        try {
            Fields query = Request.extractQueryParameters(request);
            peer = query.getValue(PeerProtocol.NODE_PARAM);
        } catch (RuntimeException e) {
            peer = null;
        }
        if (peer == null || peer.isBlank() || peer.length() > PeerProtocol.MAX_NODE_LENGTH
                || peer.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            return refuse(request, response, callback, 400, "a peer link needs its node name", remote);
        }
        PeerAuth.Verdict verdict = current.auth().verify(request.getHeaders().get(HttpHeader.AUTHORIZATION), peer,
                current::isSelf);
        if (!verdict.accepted()) {
            log.info("Refused a peer link from {} (claiming to be {}): {}", remote, peer, verdict.problem());
            return refuse(request, response, callback, verdict.status(), "peer link refused", remote);
        }
        response.getHeaders().put(PeerAuth.PROOF_HEADER, verdict.proof());
        boolean acks = "1".equals(request.getHeaders().get(PeerProtocol.ACKS_HEADER));
        if (acks) {
            response.getHeaders().put(PeerProtocol.ACKS_HEADER, "1");
        }
        boolean positions = "1".equals(request.getHeaders().get(PeerProtocol.POSITIONS_HEADER));
        return current.newSession(peer, remote, acks, positions);
    }

    private FrameHandler refuse(Request request, Response response, Callback callback, int status, String reason,
            String remote) {
        Refusals.refuse(request, response, callback, metrics, status, reason,
                PeerAuth.SCHEME + " realm=\"wsbridge cluster\"", remote);
        return null;
    }
}
