package io.wsbridge.bridge.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Plain HTTP of a bridge, in two kinds.
 *
 * <p>{@link #publicPort} answers on the WebSocket port, which anyone may reach: {@code /healthz} and {@code /readyz}
 * as bare status codes for load balancers and probes (no body, no reason: a reason could name a peer or an internal
 * address), {@code /metrics} 404 (its labels name applications and peers), anything else 426. Upgrades never reach
 * this handler, so an application may be called {@code healthz} too.
 *
 * <p>{@link #opsListener} answers on the operations listener: {@code /metrics} (Prometheus text), {@code /healthz}
 * and {@code /readyz} with a JSON body that says why the bridge is not ready.
 */
public final class HttpEndpoints extends Handler.Abstract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final BridgeMetrics metrics;
    private final Readiness readiness;

    private HttpEndpoints(BridgeMetrics metrics, Readiness readiness) {
        this.metrics = metrics;
        this.readiness = readiness;
    }

    /** The bare probes of the public WebSocket port. */
    public static HttpEndpoints publicPort(Readiness readiness) {
        return new HttpEndpoints(null, readiness);
    }

    /** Metrics and detailed probes, for the operations listener. */
    public static HttpEndpoints opsListener(BridgeMetrics metrics, Readiness readiness) {
        return new HttpEndpoints(metrics, readiness);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
            return true;
        }
        if (metrics == null) {
            publicPort(path, request, response, callback);
        } else {
            opsListener(path, request, response, callback);
        }
        return true;
    }

    private void publicPort(String path, Request request, Response response, Callback callback) {
        switch (path) {
            case "/healthz" -> respond(response, callback, 200, null, "");
            case "/readyz" -> respond(response, callback, readiness.notReadyReason() == null ? 200 : 503, null, "");
            case "/metrics" -> Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404,
                    "not served on this port: metrics are on the operations listener (ops.port)");
            default -> Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                    "this is a WebSocket endpoint: connect to /{application} with a WebSocket client");
        }
    }

    private void opsListener(String path, Request request, Response response, Callback callback) {
        switch (path) {
            case "/metrics" -> respond(response, callback, 200, PROMETHEUS_TEXT, metrics.scrape());
            case "/healthz" -> respond(response, callback, 200, "application/json", "{\"status\":\"UP\"}");
            case "/readyz" -> {
                String reason = readiness.notReadyReason();
                if (reason == null) {
                    respond(response, callback, 200, "application/json", "{\"status\":\"READY\"}");
                } else {
                    respond(response, callback, 503, "application/json",
                            JSON.createObjectNode().put("status", "NOT_READY").put("reason", reason).toString());
                }
            }
            default -> Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404,
                    "the operations listener serves /metrics, /healthz and /readyz");
        }
    }

    private static void respond(Response response, Callback callback, int status, String contentType, String body) {
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }
}
