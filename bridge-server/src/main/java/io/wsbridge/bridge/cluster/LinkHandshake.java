package io.wsbridge.bridge.cluster;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.eclipse.jetty.websocket.core.client.UpgradeListener;
import org.eclipse.jetty.websocket.core.exception.UpgradeException;

/**
 * The linking side of one attempt to open a {@link PeerLink}: it puts this bridge's credentials for the peer on the
 * upgrade request, checks the proof in the peer's answer ({@link PeerAuth}), and says why an attempt failed.
 */
final class LinkHandshake implements UpgradeListener {

    private final PeerAuth.Handshake handshake;
    private volatile String unproven = "its answer was not checked";
    private volatile boolean acks;

    /** A handshake from {@code node} to the peer it addresses as {@code target}. */
    LinkHandshake(PeerAuth auth, String node, String target) {
        this.handshake = auth.handshake(node, target);
    }

    /** Adds the credentials to {@code request}, and this handshake as the listener that checks the answer. */
    void sign(CoreClientUpgradeRequest request) {
        request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, handshake.authorization())
                .put(PeerProtocol.ACKS_HEADER, "1").put(PeerProtocol.POSITIONS_HEADER, "1"));
        request.addListener(this);
    }

    @Override
    public void onHandshakeResponse(Request request, Response response) {
        unproven = handshake.checkProof(response.getHeaders().get(PeerAuth.PROOF_HEADER));
        acks = "1".equals(response.getHeaders().get(PeerProtocol.ACKS_HEADER));
    }

    /** Whether the peer keeps what it hands to groups here until this side acknowledges it. */
    boolean acks() {
        return acks;
    }

    /** Why the peer's answer does not prove that it holds the secret; {@code null} once it does. */
    String unproven() {
        return unproven;
    }

    /** Why a link attempt or an open link failed, with a hint for a refused upgrade; never a credential. */
    static String describe(Throwable failure) {
        int status = 0;
        for (Throwable cause = failure; cause != null && status <= 0; cause = cause.getCause()) {
            if (cause instanceof UpgradeException upgrade) {
                status = upgrade.getResponseStatusCode();
            }
        }
        if (status > 0) {
            return "refused with HTTP " + status + switch (status) {
                case 401 -> " (is cluster.secret the same on every worker, and do they run the same wsbridge version?)";
                case 403 -> " (the bridge there is not the one its worker id names: check rest.advertised.host.name"
                        + " and wsbridge.websocket.advertised.host of that worker)";
                default -> "";
            };
        }
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return String.valueOf(cause.getMessage());
    }
}
