package io.wsbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.ws.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BridgesTest {

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static boolean portIsFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static BridgeSettings settings(int port, Duration grace) {
        return BridgeSettings.builder("127.0.0.1", port).publicApplications(Set.of("pub"))
                .shutdownGrace(grace).build();
    }

    @Test
    void tasksOnOnePortShareOneBridge() throws Exception {
        Bridges bridges = new Bridges();
        int port = freePort();
        try (Bridges.Lease first = bridges.acquire(settings(port, Duration.ZERO));
                Bridges.Lease second = bridges.acquire(settings(port, Duration.ZERO))) {
            assertThat(second.bridge()).isSameAs(first.bridge());
            assertThat(bridges.running()).isEqualTo(1);
        }
        assertThat(bridges.running()).isZero();
        assertThat(portIsFree(port)).isTrue();
    }

    @Test
    void bridgeStopsOnlyAfterItsLastLeaseAndTheGracePeriod() throws Exception {
        Bridges bridges = new Bridges();
        int port = freePort();
        Bridges.Lease first = bridges.acquire(settings(port, Duration.ofMillis(300)));
        Bridges.Lease second = bridges.acquire(settings(port, Duration.ofMillis(300)));
        first.close();
        first.close();
        assertThat(portIsFree(port)).isFalse();
        second.close();
        assertThat(bridges.running()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> bridges.running() == 0);
        assertThat(portIsFree(port)).isTrue();
    }

    @Test
    void taskComingBackWithinTheGracePeriodKeepsSubscribersConnected() throws Exception {
        Bridges bridges = new Bridges();
        int port = freePort();
        Bridges.Lease before = bridges.acquire(settings(port, Duration.ofSeconds(5)));
        try (TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + port + "/pub"))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> before.bridge().router().subscribers("pub") == 1);
            before.close();
            try (Bridges.Lease after = bridges.acquire(settings(port, Duration.ofSeconds(5)))) {
                assertThat(after.bridge()).isSameAs(before.bridge());
                after.bridge().publish(new Event("pub", null, "{\"still\":\"here\"}"));
                assertThat(client.take(1, Duration.ofSeconds(5))).containsExactly("{\"still\":\"here\"}");
                assertThat(client.isOpen()).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bridges.running() == 0);
    }

    @Test
    void changedSettingsApplyWithoutARestart() throws Exception {
        Bridges bridges = new Bridges();
        int port = freePort();
        try (Bridges.Lease first = bridges.acquire(settings(port, Duration.ZERO))) {
            URI other = URI.create("ws://127.0.0.1:" + port + "/other");
            assertThat(TestClient.refusal(other)).isEqualTo(404);
            try (Bridges.Lease second = bridges.acquire(
                    settings(port, Duration.ZERO).toBuilder().publicApplications(Set.of("pub", "other")).build())) {
                assertThat(second.bridge()).isSameAs(first.bridge());
                TestClient.connect(other).close();
            }
            assertThat(first.bridge().writers().threads()).isEqualTo(BridgeSettings.DEFAULT_WRITE_THREADS);
            try (Bridges.Lease third = bridges.acquire(
                    settings(port, Duration.ZERO).toBuilder().writeThreads(3).build())) {
                assertThat(third.bridge()).isSameAs(first.bridge());
                assertThat(first.bridge().writers().threads()).isEqualTo(3);
            }
        }
    }

    @Test
    void portInUseFailsWithAMessageThatNamesIt() throws Exception {
        Bridges bridges = new Bridges();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> bridges.acquire(settings(port, Duration.ZERO)))
                    .isInstanceOf(BridgeException.class)
                    .hasMessageStartingWith("Cannot start the WebSocket server on 127.0.0.1:" + port
                            + " (websocket.host / websocket.port): ")
                    .hasMessageEndingWith("Is another process or connector using the port?");
            assertThat(bridges.running()).isZero();
        }
    }
}
