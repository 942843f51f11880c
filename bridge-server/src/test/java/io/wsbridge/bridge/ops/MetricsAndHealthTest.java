package io.wsbridge.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.BridgeException;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.ws.RawWebSocket;
import io.wsbridge.bridge.ws.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MetricsAndHealthTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Duration WAIT = Duration.ofSeconds(10);

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one Prometheus sample of the ops listener on {@code port}, e.g. {@code wsbridge_connections}; -1 if absent. */
    static double sample(int port, String name, String labels) throws Exception {
        String body = get(port, "/metrics").body();
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(body);
        while (matcher.find()) {
            String found = matcher.group(1) == null ? "" : matcher.group(1);
            if (labels == null || found.contains(labels)) {
                return Double.parseDouble(matcher.group(2));
            }
        }
        return -1;
    }

    /** The whole answer (status line, headers, body) to a WebSocket upgrade of {@code path}, as a client reads it. */
    static String upgradeAnswer(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static BridgeSettings.Builder withOps() {
        return BridgeSettings.builder("127.0.0.1", 0).ops(new BridgeSettings.Ops("127.0.0.1", 0));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void metricsFollowClientsThatConnectReceiveFallBehindAndAreRefused() throws Exception {
        try (Bridge bridge = Bridge.start(withOps().publicApplications(Set.of("pub"))
                .queue(16, OverflowPolicy.CLOSE).build())) {
            int port = bridge.opsPort();
            int ws = bridge.port();
            assertThat(get(port, "/metrics").headers().firstValue("content-type").orElse(""))
                    .startsWith("text/plain");
            assertThat(sample(port, "wsbridge_connections", null)).isZero();

            try (TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + ws + "/pub"))) {
                await().atMost(WAIT).until(() -> sample(port, "wsbridge_connections", null) == 1);
                for (int i = 0; i < 10; i++) {
                    bridge.publish(new Event("pub", null, "{\"n\":" + i + "}"));
                }
                client.take(10, WAIT);
                await().atMost(WAIT).until(
                        () -> sample(port, "wsbridge_events_out_total", "application=\"pub\"") == 10);
                assertThat(sample(port, "wsbridge_events_in_total", "application=\"pub\"")).isEqualTo(10);
                assertThat(sample(port, "wsbridge_subscribers", "application=\"pub\"")).isEqualTo(1);
                assertThat(sample(port, "wsbridge_dispatch_latency_seconds_count", "application=\"pub\""))
                        .isPositive();

                assertThat(TestClient.refusal(URI.create("ws://127.0.0.1:" + ws + "/secret"))).isEqualTo(404);
                assertThat(sample(port, "wsbridge_upgrades_refused_total", "status=\"404\"")).isEqualTo(1);

                try (RawWebSocket stalled = RawWebSocket.connect("127.0.0.1", ws, "/pub", 4096)) {
                    await().atMost(WAIT).until(() -> sample(port, "wsbridge_connections", null) == 2);
                    String big = "x".repeat(16 * 1024);
                    for (int i = 0; i < 2_000 && bridge.router().subscribers("pub") == 2; i++) {
                        bridge.publish(new Event("pub", null, "\"" + big + "\""));
                        if (i % 10 == 0) {
                            client.drain();
                        }
                    }
                    assertThat(sample(port, "wsbridge_slow_consumer_closes_total", "application=\"pub\""))
                            .isEqualTo(1);
                    assertThat(sample(port, "wsbridge_closes_total", "code=\"1013\"")).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void readyzNeedsAnAttachedTaskAndHealthzOnlyARunningServer() throws Exception {
        Bridges bridges = Bridges.shared();
        int port = freePort();
        int ops = freePort();
        BridgeSettings settings = BridgeSettings.builder("127.0.0.1", port).shutdownGrace(Duration.ofSeconds(5))
                .ops(new BridgeSettings.Ops("127.0.0.1", ops)).build();
        Bridges.Lease lease = bridges.acquire(settings);
        assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        assertThat(get(ops, "/readyz").body()).isEqualTo("{\"status\":\"READY\"}");
        assertThat(get(ops, "/healthz").body()).isEqualTo("{\"status\":\"UP\"}");
        lease.close();
        // the server lingers for its grace period: alive, but not ready without a task
        HttpResponse<String> notReady = get(port, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).as("the public port says no reason").isEmpty();
        HttpResponse<String> detailed = get(ops, "/readyz");
        assertThat(detailed.statusCode()).isEqualTo(503);
        assertThat(detailed.body()).isEqualTo("{\"status\":\"NOT_READY\",\"reason\":\"no task is attached\"}");
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        try (Bridges.Lease again = bridges.acquire(settings)) {
            assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void thePublicPortAnswersBareProbesAndNoMetrics() throws Exception {
        try (Bridge bridge = Bridge.start(withOps().publicApplications(Set.of("pub")).build())) {
            int port = bridge.port();
            HttpResponse<String> healthz = get(port, "/healthz");
            assertThat(healthz.statusCode()).isEqualTo(200);
            assertThat(healthz.body()).isEmpty();
            HttpResponse<String> readyz = get(port, "/readyz");
            assertThat(readyz.statusCode()).as("no task is attached").isEqualTo(503);
            assertThat(readyz.body()).isEmpty();
            HttpResponse<String> metrics = get(port, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(404);
            assertThat(metrics.body()).doesNotContain("wsbridge_").doesNotContain("pub").doesNotContain("Jetty")
                    .doesNotContain(":" + bridge.opsPort());
            HttpResponse<String> other = get(port, "/drogue-public-temperature");
            assertThat(other.statusCode()).isEqualTo(426);
            assertThat(other.body()).doesNotContain("Jetty").doesNotContain(":" + bridge.opsPort());
            assertThat(other.headers().firstValue("server")).isEmpty();
            assertThat(get(bridge.opsPort(), "/metrics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aRefusalReadsTheSameForAnApplicationThatExistsAndOneThatDoesNot() throws Exception {
        try (Bridge bridge = Bridge.start(withOps().publicApplications(Set.of("pub")).build())) {
            String secret = upgradeAnswer(bridge.port(), "/private-app");
            String none = upgradeAnswer(bridge.port(), "/made-up-app");
            assertThat(secret).startsWith("HTTP/1.1 404 ");
            assertThat(secret.replace("private-app", "APP")).isEqualTo(none.replace("made-up-app", "APP"));
            assertThat(secret).doesNotContain("127.0.0.1:" + bridge.opsPort()).doesNotContain("Jetty");
        }
    }

    @Test
    void withoutOpsSettingsThereIsNoOpsListener() throws Exception {
        try (Bridge bridge = Bridge.start(BridgeSettings.defaults("127.0.0.1", 0))) {
            assertThat(bridge.opsPort()).isEqualTo(-1);
            assertThat(get(bridge.port(), "/metrics").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theOpsListenerServesOnlyItsThreePaths() throws Exception {
        try (Bridge bridge = Bridge.start(withOps().build())) {
            HttpResponse<String> other = get(bridge.opsPort(), "/pub");
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(other.body()).contains("the operations listener serves /metrics, /healthz and /readyz");
        }
    }

    @Test
    void anOpsPortThatCannotBindFailsTheBridgeNamingOpsPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = freePort();
            BridgeSettings settings = BridgeSettings.builder("127.0.0.1", port)
                    .ops(new BridgeSettings.Ops("127.0.0.1", taken.getLocalPort())).build();
            assertThatThrownBy(() -> Bridge.start(settings)).isInstanceOf(BridgeException.class)
                    .hasMessageStartingWith("Cannot start the operations listener of the bridge on port " + port
                            + " on 127.0.0.1:" + taken.getLocalPort() + " (ops.host / ops.port): ")
                    .hasMessageEndingWith(". Is another process or connector using the port? Each connector needs "
                            + "an ops.port of its own");
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(again.getLocalPort()).as("the WebSocket port is free again").isEqualTo(port);
            }
        }
    }

    @Test
    void theOpsListenerMovesWhenItsSettingsChangeAndSubscribersStay() throws Exception {
        Bridges bridges = Bridges.shared();
        int port = freePort();
        BridgeSettings first = BridgeSettings.builder("127.0.0.1", port).publicApplications(Set.of("pub"))
                .shutdownGrace(Duration.ZERO).build();
        try (Bridges.Lease lease = bridges.acquire(first);
                TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + port + "/pub"))) {
            assertThat(lease.bridge().opsPort()).isEqualTo(-1);
            int ops = freePort();
            try (Bridges.Lease second = bridges.acquire(first.toBuilder().ops(new BridgeSettings.Ops("127.0.0.1", ops))
                    .build())) {
                assertThat(second.bridge()).isSameAs(lease.bridge());
                assertThat(second.bridge().opsPort()).isEqualTo(ops);
                await().atMost(WAIT).until(() -> sample(ops, "wsbridge_connections", null) == 1);
            }
        }
    }

    @Test
    void madeUpPathsAndNewTopicsCreateNoSeriesAndSeriesGoRetentionAfterTheLastSubscriber() throws Exception {
        try (Bridge bridge = Bridge.start(withOps().publicApplications(Set.of("pub"))
                .applicationSeries(5, Duration.ofSeconds(1)).build())) {
            int ops = bridge.opsPort();
            for (int i = 0; i < 1_000; i++) {
                assertThat(TestClient.refusal(URI.create("ws://127.0.0.1:" + bridge.port() + "/made-up-" + i)))
                        .isEqualTo(404);
                bridge.publish(new Event("new-topic-" + i, null, "{}"));
            }
            assertThat(bridge.metrics().applicationsWithSeries()).isEmpty();
            assertThat(sample(ops, "wsbridge_events_in_total", "application=\"\"")).isEqualTo(1000);
            assertThat(get(ops, "/metrics").body()).doesNotContain("made-up-").doesNotContain("new-topic-");

            try (TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + bridge.port() + "/pub"))) {
                await().atMost(WAIT).until(() -> sample(ops, "wsbridge_subscribers", "application=\"pub\"") == 1);
                await().during(Duration.ofMillis(1500)).atMost(WAIT)
                        .until(() -> bridge.metrics().applicationsWithSeries().contains("pub"));
            }
            await().atMost(Duration.ofMillis(1000 + 2 * 200 + 1000))
                    .until(() -> sample(ops, "wsbridge_subscribers", "application=\"pub\"") == -1);
            assertThat(get(ops, "/metrics").body()).doesNotContain("application=\"pub\"");
        }
    }

    @Test
    void anOpsListenerThatCouldNotMoveIsStartedByTheNextTaskThatAsksForIt() throws Exception {
        Bridges bridges = Bridges.shared();
        int port = freePort();
        BridgeSettings plain = BridgeSettings.builder("127.0.0.1", port).shutdownGrace(Duration.ZERO).build();
        try (Bridges.Lease first = bridges.acquire(plain)) {
            BridgeSettings withOps;
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                withOps = plain.toBuilder().ops(new BridgeSettings.Ops("127.0.0.1", taken.getLocalPort())).build();
                assertThatThrownBy(() -> bridges.acquire(withOps)).isInstanceOf(BridgeException.class)
                        .hasMessageContaining("(ops.host / ops.port)");
                assertThat(first.bridge().opsPort()).isEqualTo(-1);
            }
            try (Bridges.Lease second = bridges.acquire(withOps)) {
                assertThat(second.bridge().opsPort()).isEqualTo(withOps.ops().port());
                assertThat(get(withOps.ops().port(), "/healthz").statusCode()).isEqualTo(200);
            }
        }
    }
}
