package io.wsbridge.bridge.auth.keycloak;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Just enough of Keycloak on 127.0.0.1 for the Admin client: a token endpoint that logs the service account in, and an
 * Admin API that answers every call with one status and body (or, first, with statuses queued for one call each).
 * Counts logins and Admin API calls.
 */
final class KeycloakStub implements AutoCloseable {

    static final String REALM = "wsbridge";

    private final HttpServer server;
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final Deque<Integer> once = new ArrayDeque<>();
    private volatile int status = 200;
    private volatile String body = "[]";
    /** Answers (200) by the Admin API path they are for, below the realm, e.g. {@code /group-by-path/a/b}. */
    private final Map<String, String> byPath = new ConcurrentHashMap<>();
    /** What the Admin API was asked: path below the realm and query. */
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private KeycloakStub(HttpServer server) {
        this.server = server;
    }

    static KeycloakStub start() throws IOException {
        KeycloakStub stub = new KeycloakStub(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        stub.server.createContext("/realms/" + REALM + "/protocol/openid-connect/token", stub::login);
        stub.server.createContext("/admin/realms/" + REALM, stub::admin);
        stub.server.start();
        return stub;
    }

    KeycloakSettings settings() {
        return KeycloakSettings.of("http://127.0.0.1:" + server.getAddress().getPort(), REALM, "wsbridge-bridge",
                "s3cret-value");
    }

    /** Every Admin API call from now on gets this answer. */
    void answer(int httpStatus, String json) {
        status = httpStatus;
        body = json;
    }

    /** Calls of {@code path} (below the realm, e.g. {@code /users/id-1/groups}) get {@code json} with 200. */
    void answer(String path, String json) {
        byPath.put(path, json);
    }

    /** The Admin API calls so far: their path below the realm, and {@code ?query} if they have one. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    /** The next Admin API call gets this status (with an error body), before the usual answer resumes. */
    synchronized void answerOnce(int httpStatus) {
        once.add(httpStatus);
    }

    int logins() {
        return logins.get();
    }

    int calls() {
        return calls.get();
    }

    private void login(HttpExchange exchange) throws IOException {
        int n = logins.incrementAndGet();
        respond(exchange, 200, "{\"access_token\":\"token-" + n + "\",\"expires_in\":300,\"token_type\":\"Bearer\"}");
    }

    private void admin(HttpExchange exchange) throws IOException {
        calls.incrementAndGet();
        String path = exchange.getRequestURI().getPath().substring(("/admin/realms/" + REALM).length());
        String query = exchange.getRequestURI().getQuery();
        requests.add(query == null ? path : path + "?" + query);
        String answer = byPath.get(path);
        if (answer != null) {
            respond(exchange, 200, answer);
            return;
        }
        Integer first;
        synchronized (this) {
            first = once.poll();
        }
        if (first != null) {
            respond(exchange, first, "{\"error\":\"HTTP " + first + "\"}");
        } else {
            respond(exchange, status, status < 300 ? body : "{\"error\":\"HTTP " + status + "\"}");
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
