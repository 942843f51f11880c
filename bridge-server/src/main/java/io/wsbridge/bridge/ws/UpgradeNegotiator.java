package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.session.Refusals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Base64;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts or refuses a WebSocket upgrade: the {@link Admission} (connection slot, route, query, credentials, access,
 * filter, starting position) that every transport shares, plus what only WebSocket asks: a valid
 * {@code Sec-WebSocket-Key}. An admitted upgrade becomes a {@link Subscriber}.
 */
final class UpgradeNegotiator implements WebSocketNegotiator {

    private static final Logger log = LoggerFactory.getLogger(UpgradeNegotiator.class);

    private final SubscriberHost host;
    private final Admission admission;

    UpgradeNegotiator(SubscriberHost host, Admission admission) {
        this.host = host;
        this.admission = admission;
    }

    @Override
    public void customize(Configuration configuration) {
        var settings = host.settings();
        configuration.setMaxFrameSize(settings.maxMessageBytes());
        configuration.setMaxTextMessageSize(settings.maxMessageBytes());
        configuration.setMaxBinaryMessageSize(settings.maxMessageBytes());
        // Liveness is the ping/pong check; the idle timeout is only a backstop for connections that are gone.
        configuration.setIdleTimeout(settings.pongTimeout().multipliedBy(2));
        // Jetty copies batched frames into a pooled buffer of this size and writes when it is full: 4 KB by default,
        // ten events. Room for a whole batch of the subscriber's flusher makes one write per batch; the buffer is
        // held only while a batch is being written, never by an idle connection.
        configuration.setOutputBufferSize(Subscriber.OUTPUT_BUFFER_BYTES);
    }

    @Override
    public FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        String remote = Refusals.remote(request);
        InetAddress address = ((InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress())
                .getAddress();
        if (!admission.takeSlot(request, response, callback, remote, address)) {
            return null;
        }
        FrameHandler handler = null;
        try {
            handler = admit(request, response, callback, remote, address);
            return handler;
        } finally {
            if (handler == null) {
                admission.releaseSlot(request); // refused (done already) or failed
            }
        }
    }

    private FrameHandler admit(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback,
            String remote, InetAddress address) {
        String key = request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY);
        if (key != null && !isValidKey(key)) {
            // Jetty answers any key; RFC 6455 (4.2.1) wants 16 random bytes in base64, else 400.
            admission.refuse(request, response, callback, 400,
                    "Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455)", remote);
            return null;
        }
        Admission.Ticket ticket = admission.admit(request, response, callback, remote, address, null);
        if (ticket == null) {
            return null;
        }
        Subscriber subscriber = new Subscriber(host, ticket.route().application(), ticket.route().channel(),
                ticket.groupId(), ticket.filter(), ticket.credentials(), ticket.decision(), remote);
        if (!admission.startReplay(ticket, subscriber, request, response, callback, remote)) {
            return null;
        }
        log.debug("Accepting {} as {} for '{}'{}", remote, ticket.decision().principal(), ticket.route().application(),
                ticket.from().replays() ? " from " + ticket.from() : "");
        return subscriber;
    }

    /** Whether an HTTP/1.1 upgrade's key is what RFC 6455 asks for: base64 of 16 bytes (24 characters). */
    static boolean isValidKey(String key) {
        String trimmed = key.trim();
        if (trimmed.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(trimmed).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
