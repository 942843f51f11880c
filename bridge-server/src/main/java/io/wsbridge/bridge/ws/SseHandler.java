package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.session.Refusals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /{application}[/{channel}]} with {@code Accept: text/event-stream} as a Server-Sent Events
 * stream ({@link SseSubscriber}): the same routes, query parameters, credentials and refusals as a WebSocket upgrade
 * ({@link Admission}), and {@code Last-Event-ID} (what a reconnecting {@code EventSource} sends) resumes like
 * {@code ?from=}. Other requests go to the next handler.
 */
final class SseHandler extends Handler.Wrapper {

    private static final Logger log = LoggerFactory.getLogger(SseHandler.class);
    static final String EVENT_STREAM = "text/event-stream";
    static final String LAST_EVENT_ID = "Last-Event-ID";

    private final SubscriberHost host;
    private final Admission admission;

    SseHandler(SubscriberHost host, Admission admission, Handler next) {
        super(next);
        this.host = host;
        this.admission = admission;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!HttpMethod.GET.is(request.getMethod())
                || !accepts(request.getHeaders().getValuesList(HttpHeader.ACCEPT), EVENT_STREAM)) {
            return super.handle(request, response, callback);
        }
        String remote = Refusals.remote(request);
        InetAddress address = ((InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress())
                .getAddress();
        if (!admission.takeSlot(request, response, callback, remote, address)) {
            return true;
        }
        boolean started = false;
        try {
            Admission.Ticket ticket = admission.admit(request, response, callback, remote, address,
                    request.getHeaders().get(LAST_EVENT_ID));
            if (ticket == null) {
                return true;
            }
            boolean gzip = accepts(request.getHeaders().getValuesList(HttpHeader.ACCEPT_ENCODING), "gzip");
            SseSubscriber subscriber = new SseSubscriber(host, ticket, request, response, callback, gzip, remote);
            if (!admission.startReplay(ticket, subscriber, request, response, callback, remote)) {
                return true;
            }
            log.debug("Streaming events to {} as {} for '{}'{}", remote, ticket.decision().principal(),
                    ticket.route().application(), ticket.from().replays() ? " from " + ticket.from() : "");
            started = true;
            // Admission let its Origin in: a browser's EventSource needs to be told so (CORS)
            subscriber.start(request.getHeaders().get(HttpHeader.ORIGIN));
            return true;
        } finally {
            if (!started && !response.isCommitted()) {
                admission.releaseSlot(request); // failed before an answer: Jetty answers 500
            }
        }
    }

    /**
     * Whether a list of {@code Accept} or {@code Accept-Encoding} values names {@code wanted} itself (no wildcard: a
     * client that accepts anything gets what it got before) with a quality above zero.
     */
    static boolean accepts(List<String> values, String wanted) {
        for (String value : values) {
            for (String item : value.split(",")) {
                String[] parts = item.split(";");
                String name = parts[0].trim().toLowerCase(Locale.ROOT);
                if (!name.equals(wanted)) {
                    continue;
                }
                boolean refused = false;
                for (int i = 1; i < parts.length; i++) {
                    String parameter = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
                    if (parameter.startsWith("q=") && parameter.substring(2).matches("0(\\.0{0,3})?")) {
                        refused = true;
                    }
                }
                if (!refused) {
                    return true;
                }
            }
        }
        return false;
    }
}
