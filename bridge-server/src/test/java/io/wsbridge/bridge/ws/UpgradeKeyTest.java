package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** RFC 6455 4.2.1: a server answers an upgrade whose Sec-WebSocket-Key is not 16 bytes in base64 with 400. */
class UpgradeKeyTest {

    private Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    @Test
    void refusesMalformedKeysAndAcceptsAWellFormedOne() throws Exception {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub")).build());
        String valid = Base64.getEncoder().encodeToString(new byte[16]);

        assertThat(statusLine(valid)).contains(" 101 ");
        for (String key : new String[] {"not base64 at all!!!!!!!", "c2hvcnQ=", Base64.getEncoder().encodeToString(new byte[15]),
                Base64.getEncoder().encodeToString(new byte[17]), "", "%%%%%%%%%%%%%%%%%%%%%%=="}) {
            assertThat(statusLine(key)).as("key '%s'", key).contains(" 400 ");
        }
        assertThat(bridge.metrics().registry().find("wsbridge.upgrades.refused").tag("status", "400").counter().count())
                .isEqualTo(6);
    }

    @Test
    void checksTheKeyAsRfc6455Says() {
        assertThat(UpgradeNegotiator.isValidKey("dGhlIHNhbXBsZSBub25jZQ==")).isTrue(); // the RFC's own example
        assertThat(UpgradeNegotiator.isValidKey(" dGhlIHNhbXBsZSBub25jZQ== ")).isTrue();
        assertThat(UpgradeNegotiator.isValidKey("dGhlIHNhbXBsZSBub25jZQ")).isFalse();
        assertThat(UpgradeNegotiator.isValidKey("dGhlIHNhbXBsZSBub25jZQ=!")).isFalse();
        assertThat(UpgradeNegotiator.isValidKey(Base64.getEncoder().encodeToString(new byte[18]))).isFalse();
    }

    private String statusLine(String key) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", bridge.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }
}
