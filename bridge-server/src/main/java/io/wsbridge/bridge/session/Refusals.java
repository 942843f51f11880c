package io.wsbridge.bridge.session;

import io.wsbridge.bridge.ops.BridgeMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How every kind of session refuses a request: counted, logged at debug, an error status with a short reason. */
public final class Refusals {

    private static final Logger log = LoggerFactory.getLogger(Refusals.class);

    private Refusals() {
    }

    /**
     * Answers the request with {@code status} and {@code reason}, counted in {@code wsbridge_upgrades_refused_total}.
     *
     * @param wwwAuthenticate the challenge sent with a 401, or {@code null}
     * @param remote the client's address, for the log
     */
    public static void refuse(Request request, Response response, Callback callback, BridgeMetrics metrics,
            int status, String reason, String wwwAuthenticate, String remote) {
        log.debug("Refusing upgrade from {} to {} with {}: {}", remote, request.getHttpURI().getPath(), status, reason);
        metrics.refused(status);
        if (status == 401 && wwwAuthenticate != null) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, wwwAuthenticate);
        }
        writeError(request, response, callback, status, reason);
    }

    /**
     * Answers 503 with {@code Retry-After} and closes the connection: the server has no room for this client now.
     * Counted in {@code wsbridge_upgrades_refused_total{status="503",reason=metricReason}}.
     *
     * @param metricReason the fixed word that tags the count, e.g. {@code too_many_connections}
     * @param retryAfterSeconds when the client may try again
     */
    public static void refuseBusy(Request request, Response response, Callback callback, BridgeMetrics metrics,
            String metricReason, String reason, int retryAfterSeconds, String remote) {
        refuseForNow(request, response, callback, metrics, 503, metricReason, reason, retryAfterSeconds, remote);
    }

    /**
     * Answers {@code status} (429 or 503) with {@code Retry-After} and closes the connection: the request may pass
     * later. Counted in {@code wsbridge_upgrades_refused_total{status,reason=metricReason}}.
     */
    public static void refuseForNow(Request request, Response response, Callback callback, BridgeMetrics metrics,
            int status, String metricReason, String reason, int retryAfterSeconds, String remote) {
        log.debug("Refusing upgrade from {} to {} with {}: {}", remote, request.getHttpURI().getPath(), status,
                reason);
        metrics.refused(status, metricReason);
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        writeError(request, response, callback, status, reason);
    }

    /**
     * Jetty's error page, in the form the client accepts; a Server-Sent Events client (which accepts only
     * {@code text/event-stream}, a form no error page has) gets the reason as plain text, not an empty body.
     */
    private static void writeError(Request request, Response response, Callback callback, int status,
            String reason) {
        String accept = request.getHeaders().get(HttpHeader.ACCEPT);
        if (accept == null || !accept.toLowerCase(Locale.ROOT).contains("text/event-stream")) {
            Response.writeError(request, response, callback, status, reason);
            return;
        }
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** The remote address of a request as {@code host:port}, for logs. */
    public static String remote(Request request) {
        return Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request);
    }
}
