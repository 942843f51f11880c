package io.wsbridge.bridge.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console's files on a real bridge's WebSocket port. */
class ConsoleHandlerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageAndItsFilesWithAContentSecurityPolicy() throws Exception {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub")).build());

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html;charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'"));
        assertThat(page.body()).contains("<title>wsbridge console</title>");
        assertThat(get("/_wsbridge/console/console.js").body()).contains("new WebSocket(streamUrl(wanted))");
        assertThat(get("/_wsbridge/console/uPlot.iife.min.js").statusCode()).isEqualTo(200);
        assertThat(get("/_wsbridge/console/features.json").body()).as("no Kafka connection: no replay")
                .isEqualTo("{\"resume\":false}");
        assertThat(get("/_wsbridge/console/missing.js").statusCode()).as("not a file of the console").isEqualTo(426);
        assertThat(get("/pub").statusCode()).as("a route without an upgrade, as before").isEqualTo(426);
    }

    @Test
    void isOffWhenTheSettingsSaySo() throws Exception {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).console(false).build());

        // what the port answers to any plain request that is not a probe: 426 Upgrade Required
        assertThat(get("/").statusCode()).isEqualTo(426);
        assertThat(get("/_wsbridge/console/console.js").statusCode()).isEqualTo(426);
    }
}
