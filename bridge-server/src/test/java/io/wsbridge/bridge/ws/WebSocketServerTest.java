package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebSocketServerTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String BIG = "x".repeat(16 * 1024);

    Bridge bridge;

    Bridge start(BridgeSettings settings) {
        bridge = Bridge.start(settings);
        return bridge;
    }

    Bridge startDefault() {
        return start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub", "other")).build());
    }

    URI uri(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + bridge.port() + pathAndQuery);
    }

    void awaitSubscribers(String application, int count) {
        await().atMost(WAIT).until(() -> bridge.router().subscribers(application) == count);
    }

    void publish(String application, String channel, int from, int to) {
        for (int i = from; i < to; i++) {
            bridge.publish(new Event(application, channel, "{\"n\":" + i + "}"));
        }
    }

    static List<String> numbered(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "{\"n\":" + i + "}").toList();
    }

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    @Test
    void subscriberOfPublicApplicationGetsEveryEventInOrder() throws Exception {
        startDefault();
        try (TestClient client = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 1);
            publish("other", null, 0, 5);
            publish("pub", null, 0, 500);

            assertThat(client.take(500, WAIT)).isEqualTo(numbered(0, 500));
        }
    }

    @Test
    void channelRouteGetsOnlyEventsWithThatSubject() throws Exception {
        startDefault();
        try (TestClient client = TestClient.connect(uri("/pub/device%2F1"))) {
            awaitSubscribers("pub", 1);
            bridge.publish(new Event("pub", "device/2", "{\"n\":0}"));
            bridge.publish(new Event("pub", null, "{\"n\":1}"));
            bridge.publish(new Event("pub", "device/1", "{\"n\":2}"));

            assertThat(client.take(1, WAIT)).containsExactly("{\"n\":2}");
        }
    }

    @Test
    void upgradesThatMayNotReadAreRefusedWithTheRightStatus() {
        startDefault();
        assertThat(TestClient.refusal(uri("/private"))).isEqualTo(404);
        assertThat(TestClient.refusal(uri("/a/b/c"))).isEqualTo(404);
        assertThat(TestClient.refusal(uri("/pub?token=t&username=u&api_key=k"))).isEqualTo(400);
        assertThat(TestClient.refusal(uri("/pub?group_id=a&group_id=b"))).isEqualTo(400);
        assertThatThrownBy(() -> TestClient.connect(uri("/pub?token=abc")))
                .isInstanceOfSatisfying(TestClient.Refused.class, refused -> {
                    assertThat(refused.status).isEqualTo(401);
                    assertThat(refused.wwwAuthenticate).contains("Bearer").contains("Basic");
                });
        String basic = Base64.getEncoder().encodeToString("alice:key".getBytes(StandardCharsets.UTF_8));
        assertThat(TestClient.refusal(uri("/pub"), "Authorization", "Basic " + basic)).isEqualTo(401);
    }

    @Test
    void parametersOfPlannedFeaturesAreRefusedSayingSoInsteadOfIgnored() throws Exception {
        startDefault();
        assertThat(refusalBody("/pub?from=earliest&group_id=g")).startsWith("HTTP/1.1 400 ")
                .contains("resuming or replaying a group (from with group_id) is not implemented yet");
    }

    @Test
    void fromIsCheckedAfterTheCredentialsAndABadOneIsRefusedSayingWhatIsWrong() throws Exception {
        startDefault();
        assertThat(TestClient.refusal(uri("/private?from=nonsense"))).isEqualTo(404);
        assertThat(refusalBody("/pub?from=yesterday")).startsWith("HTTP/1.1 400 ")
                .contains("from must be earliest, latest, an RFC 3339 time");
        assertThat(refusalBody("/pub?from=2026-12-32T00:00:00Z")).startsWith("HTTP/1.1 400 ")
                .contains("from: not a valid RFC 3339 time");
        assertThat(refusalBody("/pub?from=AQ_not_a_cursor")).startsWith("HTTP/1.1 400 ")
                .contains("from: malformed cursor: ");
        String other = Cursor.of("other", Map.of(new PartitionId("events-other", 0), 3L)).encode();
        assertThat(refusalBody("/pub?from=" + other)).startsWith("HTTP/1.1 400 ")
                .contains("from: the cursor belongs to another application than &apos;pub&apos;");
        assertThat(refusalBody("/pub?from=latest&from=earliest")).startsWith("HTTP/1.1 400 ")
                .contains("from is given more than once");
        assertThat(refusalBody("/pub?from=earliest")).startsWith("HTTP/1.1 501 ")
                .contains("resuming and replaying (from) need a Kafka connection that this bridge does not have");
        try (TestClient client = TestClient.connect(uri("/pub?from=latest"))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.server().subscriberCount() == 1);
            bridge.publish(new Event("pub", null, "{\"id\":\"1\"}"));
            assertThat(client.take(1, Duration.ofSeconds(10))).containsExactly("{\"id\":\"1\"}");
        }
    }

    @Test
    void aFilterThatIsNotValidIsRefusedWithTheParsersMessage() throws Exception {
        startDefault();
        assertThat(refusalBody("/pub?filter=device%20%3D%20")).startsWith("HTTP/1.1 400 ")
                .contains("the filter is not valid CloudEvents SQL at character 10: Cannot parse: mismatched input");
        assertThat(refusalBody("/pub?filter=true&filter=false")).startsWith("HTTP/1.1 400 ")
                .contains("filter is given more than once");
        assertThat(refusalBody("/nope?filter=device%20%3D%20")).as("access is checked before the filter")
                .startsWith("HTTP/1.1 404 ");
    }

    /** The whole answer to an upgrade request, status line to body. */
    private String refusalBody(String pathAndQuery) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", bridge.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // the head, then as many bytes of body as its Content-Length says
            StringBuilder answer = new StringBuilder();
            InputStream in = socket.getInputStream();
            int headEnd = -1;
            int length = -1;
            while (headEnd < 0 || answer.length() < headEnd + length) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                answer.append((char) b);
                if (headEnd < 0 && answer.toString().endsWith("\r\n\r\n")) {
                    headEnd = answer.length();
                    Matcher matcher = Pattern.compile("(?i)content-length: *(\\d+)").matcher(answer);
                    length = matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
                }
            }
            return answer.toString();
        }
    }

    @Test
    void groupMembersAlternateWhileAPlainSubscriberGetsAll() throws Exception {
        startDefault();
        try (TestClient first = TestClient.connect(uri("/pub?group_id=billing"));
                TestClient second = TestClient.connect(uri("/pub?group_id=billing"));
                TestClient plain = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 3);
            publish("pub", null, 0, 100);

            List<String> a = first.take(50, WAIT);
            List<String> b = second.take(50, WAIT);
            assertThat(plain.take(100, WAIT)).isEqualTo(numbered(0, 100));
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            assertThat(all).containsExactlyInAnyOrderElementsOf(numbered(0, 100));
            // round-robin: each member's events are every other one, in order
            assertThat(a).isIn(numbered(0, 100).stream().filter(s -> even(s)).toList(),
                    numbered(0, 100).stream().filter(s -> !even(s)).toList());

            second.close();
            awaitSubscribers("pub", 2);
            first.drain();
            publish("pub", null, 100, 110);
            assertThat(first.take(10, WAIT)).isEqualTo(numbered(100, 110));
        }
    }

    private static boolean even(String event) {
        return Integer.parseInt(event.replaceAll("\\D", "")) % 2 == 0;
    }

    @Test
    void slowSubscriberIsClosedWith1013AndDoesNotHoldUpOthers() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .queue(32, OverflowPolicy.CLOSE).build());
        try (RawWebSocket stalled = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 4096);
                TestClient reader = TestClient.connect(uri("/pub"))) {
            assertThat(stalled.status()).isEqualTo(101);
            awaitSubscribers("pub", 2);

            int published = 0;
            while (bridge.router().subscribers("pub") == 2 && published < 5_000) {
                bridge.publish(new Event("pub", null, published + BIG));
                published++;
                if (published % 100 == 0) {
                    reader.take(100, WAIT);
                }
            }
            int total = published;
            assertThat(reader.take(total % 100, WAIT)).hasSize(total % 100);
            awaitSubscribers("pub", 1);

            assertThat(total).isLessThan(5_000);
            // reading again, it finds the close frame behind the stalled events, or the connection cut off if it
            // came back after the server gave up on the close handshake
            RawWebSocket.Frame close = stalled.readUntilClose();
            if (close != null) {
                assertThat(close.closeCode()).isEqualTo(CloseCodes.SLOW_CONSUMER);
            }
        }
    }

    @Test
    void dropOldestKeepsTheSlowSubscriberAndCountsWhatItDropped() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .queue(32, OverflowPolicy.DROP_OLDEST).build());
        try (RawWebSocket stalled = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 4096);
                TestClient reader = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 2);
            ClientSubscriber slow = bridge.server().subscribers().stream()
                    .filter(s -> s.toString().contains(":" + stalled.localPort() + " ")).findFirst()
                    .orElseThrow();

            int published = 0;
            while (slow.dropped() < 100 && published < 10_000) {
                bridge.publish(new Event("pub", null, published + BIG));
                published++;
                if (published % 100 == 0) {
                    reader.take(100, WAIT);
                }
            }
            reader.take(published % 100, WAIT);

            assertThat(slow.dropped()).isGreaterThanOrEqualTo(100);
            assertThat(slow.queued()).isLessThanOrEqualTo(32);
            assertThat(bridge.router().subscribers("pub")).isEqualTo(2);
            // once it reads again it gets the newest events and stays connected
            RawWebSocket.Frame frame;
            String last = null;
            while ((frame = stalled.read()) != null && frame.opcode() == 0x1) {
                last = frame.text();
                if (last.startsWith((published - 1) + "x")) {
                    break;
                }
            }
            assertThat(last).startsWith((published - 1) + "x");
        }
    }

    @Test
    void clientThatNeverAnswersPingsIsClosed() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .liveness(Duration.ofMillis(100), Duration.ofMillis(500)).build());
        try (RawWebSocket silent = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536);
                TestClient answering = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 2);
            List<Integer> opcodes = new ArrayList<>();
            RawWebSocket.Frame frame;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((frame = silent.read()) != null && System.nanoTime() < deadline) {
                opcodes.add(frame.opcode());
                if (frame.opcode() == 0x8) {
                    assertThat(frame.closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
                    break;
                }
            }
            assertThat(opcodes).contains(0x9).endsWith(0x8);
            awaitSubscribers("pub", 1);
            assertThat(answering.isOpen()).isTrue();
        }
    }

    @Test
    void pingFromTheClientIsAnsweredWithItsPayload() throws Exception {
        startDefault();
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            client.send(0x9, "hello".getBytes(StandardCharsets.UTF_8));
            RawWebSocket.Frame pong = client.read();
            assertThat(pong.opcode()).isEqualTo(0xA);
            assertThat(pong.text()).isEqualTo("hello");
        }
    }

    @Test
    void framesGoStraightToTheConnectionWithThePongInTurnAndTheClientsCloseIsAnswered() throws Exception {
        startDefault();
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            awaitSubscribers("pub", 1);
            assertThat(bridge.server().subscribers()).singleElement()
                    .satisfies(s -> assertThat(((Subscriber) s).writesDirectly()).as("DirectFrames in use").isTrue());
            publish("pub", null, 0, 100);
            client.send(0x9, "between".getBytes(StandardCharsets.UTF_8));
            publish("pub", null, 100, 200);
            List<String> texts = new ArrayList<>();
            String pong = null;
            while (texts.size() < 200 || pong == null) { // the pong comes between the events or after them
                RawWebSocket.Frame frame = client.read();
                if (frame.opcode() == 0xA) {
                    pong = frame.text();
                } else {
                    assertThat(frame.opcode()).isEqualTo(0x1);
                    texts.add(frame.text());
                }
            }
            assertThat(texts).containsExactlyElementsOf(numbered(0, 200));
            assertThat(pong).isEqualTo("between");

            client.send(0x8, new byte[] {0x03, (byte) 0xE8}); // close 1000
            RawWebSocket.Frame answer = client.readUntilClose();
            assertThat(answer.opcode()).isEqualTo(0x8);
            assertThat(answer.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void clientMessagesOutsideTheProtocolCloseWithTheDocumentedCodes() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub")).maxMessageBytes(1024).build());
        assertThat(closeCodeAfter(0x1, "not json".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(closeCodeAfter(0x1, "{\"Hello\":1}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(closeCodeAfter(0x2, new byte[] {1, 2, 3})).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        assertThat(closeCodeAfter(0x1, new byte[] {(byte) 0xff, (byte) 0xfe})).isEqualTo(CloseCodes.BAD_PAYLOAD);
        assertThat(closeCodeAfter(0x1, ("\"" + "y".repeat(2000) + "\"").getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(closeCodeAfter(0x1, "{\"RefreshAccessToken\":\"abc\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(CloseCodes.POLICY_VIOLATION);
        // the server is still serving
        try (TestClient client = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 1);
        }
    }

    @Test
    void aTextMessageEndingInsideAMultiByteCharacterClosesWith1007() throws Exception {
        startDefault();
        // 0xC3 starts a two-byte sequence that never ends
        assertThat(closeCodeAfter(0x1, new byte[] {'{', (byte) 0xc3})).isEqualTo(CloseCodes.BAD_PAYLOAD);
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            // the sequence split over two fragments is valid
            client.send(0x1, new byte[] {'"', (byte) 0xc3}, false);
            client.send(0x0, new byte[] {(byte) 0xa9, '"'}, true);
            assertThat(client.readUntilClose().closeCode()).as("valid UTF-8, but not a token refresh")
                    .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void theMessageSizeLimitCountsBytesOverAllFragments() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub")).maxMessageBytes(1024).build());
        byte[] twoByteChars = "\u00e9".repeat(200).getBytes(StandardCharsets.UTF_8); // 400 bytes, 200 chars
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            client.send(0x1, twoByteChars, false);
            client.send(0x0, twoByteChars, false);
            client.send(0x0, twoByteChars, true); // 1200 bytes in all, 600 chars
            RawWebSocket.Frame close = client.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
            assertThat(close.text()).endsWith("message larger than 1024 bytes");
        }
    }

    @Test
    void protocolErrorsThatJettyDetectsAreClosedWith1002AndCounted() throws Exception {
        startDefault();
        try (TestClient bystander = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 1);
            assertThat(closeCodeAfter(0x3, new byte[0])).as("reserved opcode").isEqualTo(CloseCodes.PROTOCOL_ERROR);
            assertThat(closeCodeAfter(0xB, new byte[0])).as("reserved control opcode")
                    .isEqualTo(CloseCodes.PROTOCOL_ERROR);
            assertThat(closeCodeAfterUnfinished(0x9, new byte[0])).as("a fragmented ping")
                    .isEqualTo(CloseCodes.PROTOCOL_ERROR);

            await().atMost(WAIT).untilAsserted(() -> assertThat(bridge.metrics().registry().find("wsbridge.closes")
                    .tag("code", "1002").counter()).isNotNull().extracting(c -> c.count()).isEqualTo(3.0));
            awaitSubscribers("pub", 1);
            publish("pub", null, 0, 3);
            assertThat(bystander.take(3, WAIT)).as("the well-behaved subscriber is unaffected").isEqualTo(numbered(0, 3));
        }
    }

    /** As {@link #closeCodeAfter(int, byte[])}, with a frame without FIN. */
    private int closeCodeAfterUnfinished(int opcode, byte[] payload) throws Exception {
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            client.send(opcode, payload, false);
            RawWebSocket.Frame close = client.readUntilClose();
            assertThat(close).as("close frame").isNotNull();
            return close.closeCode();
        }
    }

    private int closeCodeAfter(int opcode, byte[] payload) throws Exception {
        try (RawWebSocket client = RawWebSocket.connect("127.0.0.1", bridge.port(), "/pub", 65536)) {
            assertThat(client.status()).isEqualTo(101);
            client.send(opcode, payload);
            RawWebSocket.Frame close = client.readUntilClose();
            assertThat(close).as("close frame").isNotNull();
            return close.closeCode();
        }
    }

    @Test
    void closingTheBridgeClosesSubscribersWith1001AndFreesThePort() throws Exception {
        startDefault();
        int port = bridge.port();
        try (TestClient client = TestClient.connect(uri("/pub"))) {
            awaitSubscribers("pub", 1);
            bridge.close();
            assertThat(client.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.GOING_AWAY);
        }
        try (java.net.ServerSocket reuse = new java.net.ServerSocket()) {
            reuse.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        }
        bridge = null;
    }
}
