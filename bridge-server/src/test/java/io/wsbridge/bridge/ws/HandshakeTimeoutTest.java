package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code handshakeTimeout} on a real bridge: a client that sends its upgrade request a byte at a time, each byte well
 * within Jetty's idle timeout, is cut when the timeout has passed since it connected, and counted; a WebSocket, once
 * upgraded, is not.
 */
class HandshakeTimeoutTest {

    static final Duration TIMEOUT = Duration.ofMillis(800);
    static final Duration WAIT = Duration.ofSeconds(10);

    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    void start() {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .handshakeTimeout(TIMEOUT).build());
    }

    double timeouts() {
        return bridge.metrics().registry().find("wsbridge.handshake.timeouts").counter().count();
    }

    static String upgradeRequest() {
        return "GET /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
    }

    @Test
    void anUpgradeRequestSentAByteAtATimeIsCutAfterTheTimeout() throws Exception {
        start();
        byte[] request = upgradeRequest().getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", bridge.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            long start = System.nanoTime();
            // a byte every 50 ms, far within Jetty's idle timeout: the whole request would take about 7 s
            Thread dribbler = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < request.length - 1; i++) {
                        out.write(request[i]);
                        out.flush();
                        pause(Duration.ofMillis(50));
                    }
                } catch (IOException e) {
                    // cut
                }
            }, "slow-loris");
            dribbler.setDaemon(true);
            dribbler.start();

            await("the cut counted").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> timeouts() == 1);
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsed).as("ms until the cut").isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + 1_000);
            assertThat(readOrEnd(socket.getInputStream())).as("what the slow client reads: the end, no answer")
                    .isEqualTo(-1);
            dribbler.join(WAIT.toMillis());
        }
    }

    @Test
    void aWebSocketOutlivesTheTimeoutAndAPlainRequestInTimeIsAnswered() throws Exception {
        start();
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            assertThat(client.status()).isEqualTo(101);
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            long quiet = System.nanoTime() + TIMEOUT.toNanos() * 3;
            await("three timeouts").pollInterval(Duration.ofMillis(50)).atMost(WAIT)
                    .until(() -> System.nanoTime() >= quiet);
            bridge.publish(new Event("pub", null, "{\"n\":1}"));
            assertThat(client.read().text()).isEqualTo("{\"n\":1}");
        }
        try (Socket socket = new Socket("127.0.0.1", bridge.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] status = socket.getInputStream().readNBytes(12);
            assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            long start = System.nanoTime();
            // a kept-alive connection that sends no next request is cut after the timeout too
            while (readOrEnd(socket.getInputStream()) >= 0) {
                // the rest of the answer
            }
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms until the idle kept-alive connection is cut")
                    .isLessThan(TIMEOUT.toMillis() * 2 + 500);
        }
        assertThat(timeouts()).as("an idle kept-alive connection is closed, not counted as a slow client").isZero();
    }

    @Test
    void anUnfinishedSecondRequestOnAKeptAliveConnectionIsCutAndCounted() throws Exception {
        start();
        try (Socket socket = new Socket("127.0.0.1", bridge.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            out.write("GET /metrics HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII)); // and no more
            long start = System.nanoTime();
            while (readOrEnd(in) >= 0) {
                // the rest of the first answer, then the end
            }
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms until the cut")
                    .isLessThan(TIMEOUT.toMillis() * 2 + 500);
        }
        assertThat(timeouts()).isEqualTo(1);
    }

    private static void pause(Duration duration) {
        await().pollDelay(duration).atMost(duration.plusSeconds(1)).until(() -> true);
    }

    private static int readOrEnd(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (SocketException e) {
            return -1;
        }
    }
}
