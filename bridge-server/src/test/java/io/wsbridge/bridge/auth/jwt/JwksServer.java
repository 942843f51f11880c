package io.wsbridge.bridge.auth.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Keycloak realm's key endpoint on 127.0.0.1: serves the public part of the published keys and counts the
 * requests. It can answer with an error, hold answers back until released, stop and start again on the same port.
 */
final class JwksServer implements AutoCloseable {

    static final String REALM_PATH = "/realms/wsbridge";

    private final AtomicInteger requests = new AtomicInteger();
    private volatile String body = new JWKSet().toString();
    private volatile int status = 200;
    private volatile CountDownLatch gate;
    private int port;
    private HttpServer server;

    private JwksServer() {
    }

    static JwksServer start(JWK... keys) throws IOException {
        JwksServer jwks = new JwksServer();
        jwks.publish(keys);
        jwks.bind(0);
        return jwks;
    }

    private void bind(int wanted) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", wanted), 0);
        server.createContext(REALM_PATH + JwtSettings.KEYCLOAK_JWKS_PATH, this::handle);
        server.start();
        port = server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        CountDownLatch held = gate;
        if (held != null) {
            try {
                held.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] bytes = (status == 200 ? body : "{\"error\":\"unavailable\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Publishes these keys (their public parts) from now on. */
    void publish(JWK... keys) {
        body = new JWKSet(List.of(keys)).toString();
    }

    /** Publishes this raw body from now on. */
    void publishRaw(String json) {
        body = json;
    }

    /** Answers every request with this status (200 to serve the keys again). */
    void answerWith(int httpStatus) {
        status = httpStatus;
    }

    /** Holds every answer until the returned latch is counted down. */
    CountDownLatch holdAnswers() {
        CountDownLatch latch = new CountDownLatch(1);
        gate = latch;
        return latch;
    }

    int requests() {
        return requests.get();
    }

    String issuer() {
        return "http://127.0.0.1:" + port + REALM_PATH;
    }

    void stop() {
        server.stop(0);
    }

    /** Listens again on the same port, as a restarted Keycloak would. */
    void restart() throws IOException {
        bind(port);
    }

    @Override
    public void close() {
        CountDownLatch held = gate;
        if (held != null) {
            held.countDown();
        }
        server.stop(0);
    }
}
