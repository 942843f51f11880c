package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A message a client sends in fragments, on a real bridge: unfinished after {@code unfinishedMessageTimeout} it
 * closes the connection with 1008; the fragments of all clients' unfinished messages share a budget of bytes, and the
 * connection whose fragment would exceed it is closed with 1013; ending a message in any way gives its bytes back.
 */
class UnfinishedMessagesTest {

    static final Duration TIMEOUT = Duration.ofMillis(800);
    static final Duration WAIT = Duration.ofSeconds(10);

    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    void start(Duration timeout, long budget) {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .maxMessageBytes(1024).unfinishedMessages(timeout, budget).build());
    }

    RawWebSocket connect() throws Exception {
        RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536);
        assertThat(client.status()).isEqualTo(101);
        return client;
    }

    /** What the gauge {@code wsbridge_unfinished_messages_bytes} says. */
    long held() {
        return (long) bridge.metrics().gauge("wsbridge.unfinished.messages");
    }

    static byte[] bytes(int count) {
        return "y".repeat(count).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aFragmentedMessageUnfinishedAfterTheTimeoutClosesWith1008() throws Exception {
        start(TIMEOUT, 1_000_000);
        try (RawWebSocket slow = connect(); RawWebSocket steady = connect()) {
            long start = System.nanoTime();
            slow.send(0x1, bytes(10), false);
            slow.send(0x0, bytes(10), false); // still within the timeout: fragments do not restart it
            // a client that finishes its fragmented message in time is not affected
            steady.send(0x1, "{\"Refresh".getBytes(StandardCharsets.UTF_8), false);
            steady.send(0x0, "AccessToken\":1}".getBytes(StandardCharsets.UTF_8), true);

            RawWebSocket.Frame close = slow.readUntilClose();
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(close.closeCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
            assertThat(close.text()).endsWith("message not finished within 800 ms");
            assertThat(elapsed).as("ms until the close").isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + 1_000);
            // the steady client's message was complete: judged as a message (not a refresh), not as a timeout
            assertThat(steady.readUntilClose().closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
        await().atMost(WAIT).until(() -> held() == 0);
        assertThat(bridge.metrics().registry().find("wsbridge.closes").tag("code", "1008").counter().count())
                .isEqualTo(1);
    }

    @Test
    void theFragmentThatWouldExceedTheBudgetClosesItsConnectionWith1013() throws Exception {
        start(Duration.ofSeconds(60), 1_000);
        try (RawWebSocket first = connect(); RawWebSocket second = connect(); RawWebSocket third = connect()) {
            first.send(0x1, bytes(600), false);
            await("the first fragment held").atMost(WAIT).until(() -> held() == 600);
            second.send(0x1, bytes(300), false);
            await().atMost(WAIT).until(() -> held() == 900);

            third.send(0x1, bytes(200), false); // 1100 > 1000
            RawWebSocket.Frame close = third.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(CloseCodes.SERVER_BUSY);
            assertThat(close.text()).endsWith("server busy: unfinished messages of all clients would hold more than "
                    + "1000 bytes; try again later");
            assertThat(held()).isEqualTo(900);

            // finishing a message gives its bytes back, and room for others
            second.send(0x0, bytes(10), true);
            assertThat(second.readUntilClose().closeCode()).as("not a token refresh").isEqualTo(1002);
            await().atMost(WAIT).until(() -> held() == 600);
            try (RawWebSocket fourth = connect()) {
                fourth.send(0x1, bytes(350), false);
                await().atMost(WAIT).until(() -> held() == 950);
            }
            await("the bytes of a client that went away given back").atMost(WAIT).until(() -> held() == 600);
            first.send(0x0, bytes(600), false); // 1200 bytes in all: over max message bytes, 1009
            assertThat(first.readUntilClose().closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
            await().atMost(WAIT).until(() -> held() == 0);
        }
    }
}
