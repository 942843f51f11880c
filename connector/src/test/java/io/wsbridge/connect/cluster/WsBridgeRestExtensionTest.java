package io.wsbridge.connect.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.connect.cluster.ClusterWatcherTest.State;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.rest.ConnectRestExtensionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The extension in a fake worker: it starts the bridge of a clustered connector, and frees the port when closed. */
class WsBridgeRestExtensionTest {

    @AfterEach
    void reset() {
        WorkerRegistry.clear();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
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

    @Test
    void theBridgeOfAClusteredConnectorRunsWithoutAnyTaskAndStopsWithTheExtension() throws Exception {
        int port = freePort();
        State state = new State();
        Map<String, String> config = ClusterWatcherTest.config(ClusterWatcherTest.SECRET);
        config.put("websocket.port", String.valueOf(port));
        config.put("websocket.shutdown.grace.ms", "0");
        state.configs.put("ws", config);
        WsBridgeRestExtension extension = new WsBridgeRestExtension();
        extension.configure(Map.of("listeners", "http://127.0.0.1:8083", "wsbridge.websocket.host", "127.0.0.1"));
        assertThat(WorkerRegistry.current()).hasValue(new WorkerSettings("127.0.0.1", null, "127.0.0.1",
                "127.0.0.1:8083"));

        long started = System.nanoTime();
        extension.register(new ConnectRestExtensionContext() {
            @Override
            public jakarta.ws.rs.core.Configurable<? extends jakarta.ws.rs.core.Configurable<?>> configurable() {
                throw new AssertionError("the extension must never touch configurable()");
            }

            @Override
            public ConnectClusterState clusterState() {
                return state;
            }
        });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("register returns at once")
                .isLessThan(Duration.ofMillis(500));

        await().atMost(Duration.ofSeconds(15)).until(() -> !portIsFree(port));
        extension.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> portIsFree(port));
    }
}
