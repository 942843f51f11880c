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
 * Plain HTTP on the WebSocket port: {@code /metrics} (Prometheus text), {@code /healthz} (alive), {@code /readyz}
 * ({@link Readiness}); anything else says what the port is for. Upgrades never reach this handler, so an application
 * may be called {@code metrics} too.
 */
public final class HttpEndpoints extends Handler.Abstract {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BridgeMetrics metrics;
    private final Readiness readiness;

    public HttpEndpoints(BridgeMetrics metrics, Readiness readiness) {
        this.metrics = metrics;
        this.readiness = readiness;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
            return true;
        }
        switch (path) {
            case "/metrics" -> respond(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape());
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
            default -> Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                    "this is a WebSocket endpoint: connect to /{application} with a WebSocket client");
        }
        return true;
    }

    private static void respond(Response response, Callback callback, int status, String contentType, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
