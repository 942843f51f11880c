package io.wsbridge.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.Bridges;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.ws.RawWebSocket;
import io.wsbridge.bridge.ws.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    /** The value of one Prometheus sample, e.g. {@code wsbridge_connections}; -1 if absent. */
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

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void metricsFollowClientsThatConnectReceiveFallBehindAndAreRefused() throws Exception {
        try (Bridge bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .queue(16, OverflowPolicy.CLOSE).build())) {
            int port = bridge.port();
            assertThat(get(port, "/metrics").headers().firstValue("content-type").orElse(""))
                    .startsWith("text/plain");
            assertThat(sample(port, "wsbridge_connections", null)).isZero();

            try (TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + port + "/pub"))) {
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

                assertThat(TestClient.refusal(URI.create("ws://127.0.0.1:" + port + "/secret"))).isEqualTo(404);
                assertThat(sample(port, "wsbridge_upgrades_refused_total", "status=\"404\"")).isEqualTo(1);

                try (RawWebSocket stalled = RawWebSocket.connect("127.0.0.1", port, "/pub", 4096)) {
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
        BridgeSettings settings = BridgeSettings.builder("127.0.0.1", port).shutdownGrace(Duration.ofSeconds(5))
                .build();
        Bridges.Lease lease = bridges.acquire(settings);
        assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        lease.close();
        // the server lingers for its grace period: alive, but not ready without a task
        HttpResponse<String> notReady = get(port, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("{\"status\":\"NOT_READY\",\"reason\":\"no task is attached\"}");
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        try (Bridges.Lease again = bridges.acquire(settings)) {
            assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void otherPlainRequestsSayWhatThePortIsFor() throws Exception {
        try (Bridge bridge = Bridge.start(BridgeSettings.defaults("127.0.0.1", 0))) {
            assertThat(get(bridge.port(), "/drogue-public-temperature").statusCode()).isEqualTo(426);
        }
    }
}
