package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code maxConnections} and {@code maxConnectionsPerAddress} on a real bridge, with clients on bare sockets bound to
 * several loopback addresses: over a limit an upgrade answers 503 with {@code Retry-After} before its credentials are
 * looked at, counted by reason; a connection that ends in any way gives its slot back.
 */
class ConnectionLimitsTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String A = "127.0.0.2";
    static final String B = "127.0.0.3";

    Bridge bridge;
    final List<RawWebSocket> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (RawWebSocket client : clients) {
            client.close();
        }
        if (bridge != null) {
            bridge.close();
        }
    }

    void start(int total, int perAddress) {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .connectionLimits(total, perAddress).build());
    }

    RawWebSocket upgrade(String source, String path, String extraHeaderLines) throws IOException {
        RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), path, 65536, source,
                extraHeaderLines);
        clients.add(client);
        return client;
    }

    RawWebSocket upgrade(String source, String extraHeaderLines) throws IOException {
        return upgrade(source, "/pub", extraHeaderLines);
    }

    RawWebSocket upgrade(String source) throws IOException {
        return upgrade(source, "");
    }

    double refused(String status, String reason) {
        Counter counter = bridge.metrics().registry().find("wsbridge.upgrades.refused").tag("status", status)
                .tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void overTheWholeLimitAnUpgradeIsRefusedWith503AndRetryAfterBeforeItsCredentialsAreChecked() throws Exception {
        start(3, 10);
        assertThat(upgrade(A).status()).isEqualTo(101);
        assertThat(upgrade(A).status()).isEqualTo(101);
        RawWebSocket third = upgrade(B);
        assertThat(third.status()).isEqualTo(101);

        // credentials that development mode refuses with 401: a 503 shows that nothing looked at them
        RawWebSocket refused = upgrade(B, "Authorization: Bearer not-a-token\r\n");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("10");
        assertThat(refused.header("Connection")).isEqualTo("close");
        refused.readToEnd(); // the server closes the connection: no waiting for a retry on it
        assertThat(upgrade(A).status()).as("from the other address too").isEqualTo(503);
        assertThat(refused("503", "too_many_connections")).isEqualTo(2);
        assertThat(refused("401", "unauthorized")).isZero();

        third.close();
        await("the slot of the closed connection given back").atMost(WAIT)
                .until(() -> bridge.server().limitedConnections() == 2);
        assertThat(upgrade(B).status()).isEqualTo(101);
        assertThat(upgrade(B).status()).isEqualTo(503);
    }

    @Test
    void theLimitPerAddressCountsEachClientAddressApart() throws Exception {
        start(100, 2);
        RawWebSocket first = upgrade(A);
        assertThat(first.status()).isEqualTo(101);
        assertThat(upgrade(A).status()).isEqualTo(101);
        RawWebSocket refused = upgrade(A);
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("10");
        assertThat(upgrade(B).status()).as("another address").isEqualTo(101);
        assertThat(upgrade(B).status()).isEqualTo(101);
        assertThat(upgrade(B).status()).isEqualTo(503);
        assertThat(refused("503", "too_many_from_address")).isEqualTo(2);
        assertThat(refused("503", "too_many_connections")).isZero();

        first.reset();
        await("the slot of the reset connection given back").atMost(WAIT)
                .until(() -> bridge.server().limitedConnections() == 3);
        assertThat(upgrade(A).status()).isEqualTo(101);
        assertThat(upgrade(A).status()).isEqualTo(503);
    }

    @Test
    void everyWayAConnectionEndsGivesItsSlotBackAndForgetsTheAddress() throws Exception {
        start(100, 1);
        // refused after the slot was taken: no such application, bad credentials
        for (int i = 0; i < 3; i++) {
            assertThat(upgrade(A, "/nope", "").status()).isEqualTo(404);
            assertThat(upgrade(A, "Authorization: Bearer not-a-token\r\n").status()).isEqualTo(401);
        }
        assertThat(bridge.server().limitedConnections()).isZero();

        RawWebSocket fin = upgrade(A);
        assertThat(fin.status()).isEqualTo(101);
        fin.close(); // FIN without a close frame
        await().atMost(WAIT).until(() -> bridge.server().limitedAddresses() == 0);

        RawWebSocket reset = upgrade(A);
        assertThat(reset.status()).isEqualTo(101);
        reset.reset(); // RST
        await().atMost(WAIT).until(() -> bridge.server().limitedAddresses() == 0);

        RawWebSocket handshake = upgrade(A);
        assertThat(handshake.status()).isEqualTo(101);
        handshake.send(0x8, new byte[] {0x03, (byte) 0xe8}); // close 1000
        assertThat(handshake.readUntilClose()).as("the server's close frame").isNotNull();
        await().atMost(WAIT).until(() -> bridge.server().limitedAddresses() == 0);

        RawWebSocket offender = upgrade(A);
        assertThat(offender.status()).isEqualTo(101);
        offender.send(0x1, "not json".getBytes(StandardCharsets.UTF_8)); // the server closes it with 1002
        assertThat(offender.readUntilClose().closeCode()).isEqualTo(1002);
        await().atMost(WAIT).until(() -> bridge.server().limitedAddresses() == 0);

        RawWebSocket open = upgrade(A);
        assertThat(open.status()).isEqualTo(101);
        assertThat(bridge.server().limitedConnections()).isEqualTo(1);
        bridge.close(); // the server stops: 1001
        assertThat(bridge.server().limitedConnections()).isZero();
        assertThat(bridge.server().limitedAddresses()).isZero();
        bridge = null;
    }
}
