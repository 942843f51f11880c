package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.idsOf;
import static io.wsbridge.it.ItSupport.receiveIds;
import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.JvmDiagnostics;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.ManyWsClients;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.TcpConnections;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients that break the protocol, vanish, stall or knock with garbage: each gets the documented close code or HTTP
 * status, the server releases what they held, and a well-behaved subscriber of the same application keeps getting
 * every event in order. Clients that stop reading under both overflow policies are {@code SlowSubscriberIT}'s; this
 * class adds that such a client is cut off when it cannot even take the close frame.
 */
@ExtendWith(StackExtension.class)
class BadClientsIT {

    private static final Logger LOG = LoggerFactory.getLogger(BadClientsIT.class);
    private static final String APP = "bad-clients";
    private static final String PING_APP = "bad-clients-pings";
    private static final String LIMITS_APP = "bad-clients-limits";
    private static final String HOST = KafkaBroker.HOST;
    private static final int MAX_MESSAGE_BYTES = 1024;
    private static final int QUEUE_SIZE = 64;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(15);
    private static final int MAX_CONNECTIONS = 6;
    private static final int MAX_CONNECTIONS_PER_ADDRESS = 3;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration UNFINISHED_TIMEOUT = Duration.ofSeconds(4);
    private static final int UNFINISHED_BUDGET = 2048;

    private static SinkConnector sink;
    /** Pings every 300 ms and gives up on a client after 1.5 s of silence. */
    private static SinkConnector pinging;
    /** Few connections, short handshake and unfinished-message timeouts, a small budget for unfinished messages. */
    private static SinkConnector limited;

    @BeforeAll
    static void startConnectors(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(APP), 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PING_APP), 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(LIMITS_APP), 1);
        sink = SinkConnector.shipped(stack, "bad-clients-it", Map.of(
                "topics", topic(APP),
                "auth.public.applications", APP,
                "websocket.max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES),
                "websocket.subscriber.queue.size", Integer.toString(QUEUE_SIZE),
                // a thousand connections from four addresses below
                "websocket.max.connections.per.address", "1000"));
        pinging = SinkConnector.shipped(stack, "bad-clients-pings-it", Map.of(
                "topics", topic(PING_APP),
                "auth.public.applications", PING_APP,
                "websocket.ping.interval.ms", "300",
                "websocket.pong.timeout.ms", "1500"));
        limited = SinkConnector.shipped(stack, "bad-clients-limits-it", Map.of(
                "topics", topic(LIMITS_APP),
                "auth.public.applications", LIMITS_APP,
                "websocket.max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES),
                "websocket.max.connections", Integer.toString(MAX_CONNECTIONS),
                "websocket.max.connections.per.address", Integer.toString(MAX_CONNECTIONS_PER_ADDRESS),
                "websocket.handshake.timeout.ms", Long.toString(HANDSHAKE_TIMEOUT.toMillis()),
                "websocket.unfinished.message.timeout.ms", Long.toString(UNFINISHED_TIMEOUT.toMillis()),
                "websocket.max.unfinished.message.bytes", Integer.toString(UNFINISHED_BUDGET)));
        sink.create();
        pinging.create();
        limited.create();
        sink.awaitRunning().awaitFlowing(APP, topic(APP), 1);
        pinging.awaitRunning().awaitFlowing(PING_APP, topic(PING_APP), 1);
        limited.awaitRunning().awaitFlowing(LIMITS_APP, topic(LIMITS_APP), 1);
    }

    @AfterAll
    static void deleteConnectors() {
        for (SinkConnector connector : new SinkConnector[] {sink, pinging, limited}) {
            if (connector != null) {
                connector.close();
            }
        }
    }

    @Test
    void malformedOversizedAndBinaryFramesCloseWithTheDocumentedCodes(Stack stack) {
        byte[] oversized = "x".repeat(2 * MAX_MESSAGE_BYTES).getBytes(StandardCharsets.UTF_8);
        byte[] fragment = "y".repeat(MAX_MESSAGE_BYTES / 2 + 10).getBytes(StandardCharsets.UTF_8);
        Map<String, Integer> expected = new LinkedHashMap<>();
        Map<String, Integer> actual = new LinkedHashMap<>();
        Map<Integer, Double> closesBefore = closeCounts();
        try (WsClient bystander = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            List<Events.CloudEvent> sent = new ArrayList<>();

            check(expected, actual, "reserved data opcode 0x3", 1002, raw -> raw.sendFrame(0x80 | 0x3, new byte[0], true));
            check(expected, actual, "reserved control opcode 0xB", 1002, raw -> raw.sendFrame(0x80 | 0xB, new byte[0], true));
            check(expected, actual, "unmasked text frame", 1002, raw -> raw.sendFrame(0x81, bytes("{}"), false));
            check(expected, actual, "RSV1 without an extension", 1002, raw -> raw.sendFrame(0xC1, bytes("{}"), true));
            check(expected, actual, "fragmented ping", 1002, raw -> raw.sendFrame(0x09, new byte[0], true));
            check(expected, actual, "continuation without a first frame", 1002,
                    raw -> raw.sendFrame(0x80, bytes("x"), true));
            check(expected, actual, "close frame with the invalid code 999", 1002,
                    raw -> raw.sendFrame(0x88, new byte[] {0x03, (byte) 0xE7}, true));
            check(expected, actual, "text that is no token refresh", 1002, raw -> raw.send(RawWsClient.TEXT, bytes("hello")));
            sent.addAll(sendEvents(stack, APP, 5));
            check(expected, actual, "text with invalid UTF-8", 1007,
                    raw -> raw.send(RawWsClient.TEXT, new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'}));
            check(expected, actual, "text ending inside a UTF-8 sequence", 1007,
                    raw -> raw.send(RawWsClient.TEXT, new byte[] {'{', (byte) 0xC3}));
            check(expected, actual, "binary frame", 1003, raw -> raw.send(RawWsClient.BINARY, new byte[] {1, 2, 3}));
            check(expected, actual, "text over websocket.max.message.bytes", 1009, raw -> raw.send(RawWsClient.TEXT, oversized));
            check(expected, actual, "text over the limit in two fragments", 1009, raw -> {
                raw.sendFrame(RawWsClient.TEXT, fragment, true); // no FIN
                raw.sendFrame(0x80, fragment, true); // FIN, continuation
            });
            check(expected, actual, "a 1 MB text frame", 1009, raw -> sendIgnoringResets(raw, new byte[1024 * 1024]));
            sent.addAll(sendEvents(stack, APP, 5));

            assertThat(actual).as("close code by offence").containsExactlyEntriesOf(expected);
            assertThat(receiveIds(bystander, sent.size(), WAIT)).as("the well-behaved subscriber, meanwhile")
                    .containsExactlyElementsOf(idsOf(sent));
            sink.awaitSubscribers(APP, 1);
            Map<Integer, Double> closesAfter = closeCounts();
            for (int code : List.of(1002, 1003, 1007, 1009)) {
                long offences = expected.values().stream().filter(value -> value == code).count();
                assertThat(closesAfter.get(code) - closesBefore.get(code)).as("wsbridge_closes_total{code=%d}", code)
                        .isEqualTo((double) offences);
            }
            assertThat(bystander.closeStatus()).isEmpty();
        }
        assertRunning(stack, sink);
    }

    @Test
    void aThousandConnectionsDroppedWithoutACloseFrameLeaveNothingBehind(Stack stack) {
        long pid = stack.worker().pid();
        try (WsClient bystander = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            double connections = sink.metric("wsbridge_connections");
            long sockets = TcpConnections.openOnServer(sink.port());
            long files = JvmDiagnostics.openFiles(pid);
            JvmDiagnostics.Histogram before = JvmDiagnostics.liveHistogram(pid);

            try (ManyWsClients many = ManyWsClients.open(HOST, sink.port(), "/" + APP, 1000,
                    List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"), "drop-")) {
                many.awaitOpen(WAIT);
                await("the bridge counting 1000 more connections").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                        .until(() -> sink.metric("wsbridge_connections") == connections + 1000);
                List<Events.CloudEvent> events = IntStream.range(0, 3)
                        .mapToObj(i -> Events.event(APP, "device-1").withId("drop-" + i)).toList();
                sendAll(stack.events(), events.stream().map(event -> Events.binaryRecord(topic(APP), event)).toList());
                many.awaitEveryConnectionReceived(events.size(), WAIT);
                assertThat(receiveIds(bystander, events.size(), WAIT)).containsExactlyElementsOf(idsOf(events));
                assertThat(many.sequenceErrors()).as("%s", many).isZero();

                many.dropAllMixed(); // half with a FIN, half with an RST, none with a close frame
            }
            await("the bridge forgetting the dropped connections").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> sink.metric("wsbridge_connections") == connections);
            await("the worker closing their sockets").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> TcpConnections.openOnServer(sink.port()) <= sockets);
            // reset connections leave /proc/net/tcp at once: the worker's descriptors show whether it closed them
            await("the worker's open files back to " + files + " or about").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> JvmDiagnostics.openFiles(pid) <= files + 20);

            JvmDiagnostics.Histogram after = JvmDiagnostics.liveHistogram(pid);
            long maxHeap = JvmDiagnostics.maxHeapBytes(pid);
            LOG.info("worker live heap {} MB before, {} MB after 1000 dropped connections (max {} MB)",
                    before.totalMegabytes(), after.totalMegabytes(), maxHeap / (1024 * 1024));
            for (String type : List.of("io.wsbridge.bridge.ws.Subscriber", "org.eclipse.jetty.websocket.core.WebSocketCoreSession")) {
                assertThat(after.instances(type)).as("live %s after the drop (before: %d)", type, before.instances(type))
                        .isLessThanOrEqualTo(before.instances(type));
            }
            // Connect's REST server and scrapes of /metrics hold a few connections of their own
            assertThat(after.instances("org.eclipse.jetty.io.SocketChannelEndPoint")).as("live Jetty endpoints")
                    .isLessThanOrEqualTo(before.instances("org.eclipse.jetty.io.SocketChannelEndPoint") + 5);
            assertThat(after.totalBytes()).as("the worker's live heap").isLessThan(maxHeap * 3 / 4);

            Events.CloudEvent after1 = Events.event(APP, "device-1");
            stack.events().sendBinary(topic(APP), after1);
            assertThat(receiveIds(bystander, 1, WAIT)).as("the bystander still streams").containsExactly(after1.id());
            try (WsClient newcomer = WsClient.connect(sink.uri("/" + APP), Map.of())) {
                sink.awaitSubscribers(APP, 2);
                Events.CloudEvent after2 = Events.event(APP, "device-1");
                stack.events().sendBinary(topic(APP), after2);
                assertThat(receiveIds(newcomer, 1, WAIT)).as("a new client streams").containsExactly(after2.id());
            }
        }
        assertRunning(stack, sink);
    }

    @Test
    void aClientThatNeverAnswersPingsIsClosedWith1001WhileOneThatAnswersStays(Stack stack) {
        double goingAway = pinging.metric("wsbridge_closes_total", "code", "1001");
        try (WsClient answering = WsClient.connect(pinging.uri("/" + PING_APP), Map.of());
             RawWsClient silent = RawWsClient.connect(HOST, pinging.port(), "/" + PING_APP)) {
            pinging.awaitSubscribers(PING_APP, 2);
            List<Integer> opcodes = new ArrayList<>();
            RawWsClient.Close close = null;
            long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
            while (close == null && System.nanoTime() < deadline) {
                Optional<RawWsClient.Frame> frame = silent.read(CLOSE_WAIT);
                if (frame.isEmpty()) {
                    break;
                }
                opcodes.add(frame.get().opcode());
                if (frame.get().opcode() == RawWsClient.CLOSE) {
                    close = frame.get().close();
                }
            }
            assertThat(opcodes).as("pings, then a close frame").contains(RawWsClient.PING).endsWith(RawWsClient.CLOSE);
            assertThat(close).isEqualTo(new RawWsClient.Close(1001, "no answer to ping"));
            pinging.awaitSubscribers(PING_APP, 1);
            assertThat(pinging.metric("wsbridge_closes_total", "code", "1001")).isEqualTo(goingAway + 1);

            Events.CloudEvent event = Events.event(PING_APP, "device-1");
            stack.events().sendBinary(topic(PING_APP), event);
            assertThat(receiveIds(answering, 1, WAIT)).as("the client that answers pings, %s later", CLOSE_WAIT)
                    .containsExactly(event.id());
            assertThat(answering.closeStatus()).isEmpty();
        }
        assertRunning(stack, pinging);
    }

    @Test
    void upgradesWithGarbageInPathOrHeadersAreRefusedAndTheServerKeepsServing(Stack stack) {
        int port = sink.port();
        String ok = RawWsClient.upgradeRequest(HOST, port, "/" + APP, "");
        Map<String, String> requests = new LinkedHashMap<>();
        requests.put("/../", RawWsClient.upgradeRequest(HOST, port, "/../", ""));
        requests.put("/..", RawWsClient.upgradeRequest(HOST, port, "/..", ""));
        requests.put("/%2e%2e", RawWsClient.upgradeRequest(HOST, port, "/%2e%2e", ""));
        requests.put("/%2e%2e/app", RawWsClient.upgradeRequest(HOST, port, "/%2e%2e/" + APP, ""));
        requests.put("/app/%2e%2e", RawWsClient.upgradeRequest(HOST, port, "/" + APP + "/%2e%2e", ""));
        requests.put("//app", RawWsClient.upgradeRequest(HOST, port, "//" + APP, ""));
        requests.put("/app/..", RawWsClient.upgradeRequest(HOST, port, "/" + APP + "/..", ""));
        requests.put("/%ff (invalid UTF-8)", RawWsClient.upgradeRequest(HOST, port, "/%ff", ""));
        requests.put("/app/%c3%28 (invalid UTF-8)", RawWsClient.upgradeRequest(HOST, port, "/" + APP + "/%c3%28", ""));
        requests.put("/app?group_id=%ff", RawWsClient.upgradeRequest(HOST, port, "/" + APP + "?group_id=%ff", ""));
        requests.put("/app%00", RawWsClient.upgradeRequest(HOST, port, "/" + APP + "%00", ""));
        requests.put("/% (bad escape)", RawWsClient.upgradeRequest(HOST, port, "/%", ""));
        requests.put("a 256-character name", RawWsClient.upgradeRequest(HOST, port, "/" + "a".repeat(256), ""));
        requests.put("a 10 KB name", RawWsClient.upgradeRequest(HOST, port, "/" + "a".repeat(10 * 1024), ""));
        requests.put("no Sec-WebSocket-Key", ok.replaceFirst("Sec-WebSocket-Key: [^\r]*\r\n", ""));
        requests.put("a Sec-WebSocket-Key that is not 16 bytes in base64",
                ok.replaceFirst("Sec-WebSocket-Key: [^\r]*\r\n", "Sec-WebSocket-Key: not-a-key\r\n"));
        requests.put("Sec-WebSocket-Version: 99", ok.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 99"));
        requests.put("no Host", ok.replaceFirst("Host: [^\r]*\r\n", ""));
        requests.put("a 16 KB header", RawWsClient.upgradeRequest(HOST, port, "/" + APP, "X-Junk: " + "j".repeat(16 * 1024) + "\r\n"));
        requests.put("2000 headers", RawWsClient.upgradeRequest(HOST, port, "/" + APP, "X-Junk: j\r\n".repeat(2000)));
        requests.put("a header line without a colon", RawWsClient.upgradeRequest(HOST, port, "/" + APP, "garbage\r\n"));
        requests.put("control bytes in a header name", RawWsClient.upgradeRequest(HOST, port, "/" + APP, "X-\u0001\u0002: 1\r\n"));
        requests.put("a request line of garbage", "\u0000\u00ff GARBAGE\r\n\r\n");

        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String path : List.of("/../", "/..", "/%2e%2e", "/%2e%2e/app", "/app/%2e%2e", "//app")) {
            expected.put(path, 400); // ambiguous paths: Jetty's URI compliance refuses them before any route
        }
        expected.put("/app/..", 404); // not a route
        for (String bad : List.of("/%ff (invalid UTF-8)", "/app/%c3%28 (invalid UTF-8)", "/app?group_id=%ff", "/app%00",
                "/% (bad escape)")) {
            expected.put(bad, 400);
        }
        expected.put("a 256-character name", 404);
        expected.put("a 10 KB name", 414); // over Jetty's 8 KB request-line and header limit
        expected.put("no Sec-WebSocket-Key", 400);
        expected.put("a Sec-WebSocket-Key that is not 16 bytes in base64", 400); // RFC 6455 4.2.1
        expected.put("Sec-WebSocket-Version: 99", 426);
        expected.put("no Host", 400);
        expected.put("a 16 KB header", 431);
        expected.put("2000 headers", 431);
        expected.put("a header line without a colon", 400);
        expected.put("control bytes in a header name", 400);
        expected.put("a request line of garbage", 400);

        try (WsClient bystander = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            Map<String, Integer> actual = new LinkedHashMap<>();
            List<Events.CloudEvent> sent = new ArrayList<>();
            requests.forEach((what, request) -> {
                actual.put(what, RawWsClient.request(HOST, port, request).status());
                if (actual.size() % 5 == 0) {
                    sent.addAll(sendEvents(stack, APP, 1));
                }
            });
            assertThat(actual).as("HTTP status by request").containsExactlyEntriesOf(expected);
            assertThat(receiveIds(bystander, sent.size(), WAIT)).containsExactlyElementsOf(idsOf(sent));
            try (RawWsClient fine = RawWsClient.connect(HOST, port, "/" + APP)) {
                assertThat(fine.handshake().status()).as("a good upgrade after all that").isEqualTo(101);
            }
            assertThat(bystander.closeStatus()).isEmpty();
        }
        assertRunning(stack, sink);
    }

    @Test
    void repeatedBadCredentialsAreEach401AndCountedWhileAStreamingClientGetsEveryEvent(Stack stack) throws Exception {
        int attempts = 200;
        List<Map<String, String>> credentials = List.of(
                Map.of("Authorization", "Bearer not-a-token"),
                Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(bytes("alice:wrong-key"))),
                Map.of());
        double refusedBefore = sink.metric("wsbridge_upgrades_refused_total", "status", "401");
        List<Events.CloudEvent> events = IntStream.range(0, 200).mapToObj(i -> Events.event(APP, "device-1")).toList();
        ExecutorService producer = Executors.newSingleThreadExecutor();
        try (WsClient streaming = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            Future<?> producing = producer.submit(() -> {
                for (int i = 0; i < events.size(); i += 10) {
                    sendAll(stack.events(), events.subList(i, i + 10).stream()
                            .map(event -> Events.binaryRecord(topic(APP), event)).toList());
                }
            });
            List<String> statuses = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                Map<String, String> headers = credentials.get(i % credentials.size());
                String query = headers.isEmpty() ? "?token=not-a-token-either-" + i : "";
                try (RawWsClient attempt = RawWsClient.attempt(HOST, sink.port(), "/" + APP + query, headers)) {
                    RawWsClient.Response response = attempt.handshake();
                    statuses.add(response.status() + (response.headers().containsKey("www-authenticate") ? "" : " without WWW-Authenticate"));
                }
            }
            producing.get(120, TimeUnit.SECONDS);

            assertThat(statuses).as("every attempt").hasSize(attempts).containsOnly("401");
            assertThat(receiveIds(streaming, events.size(), WAIT)).as("every event, in order, meanwhile")
                    .containsExactlyElementsOf(idsOf(events));
            assertThat(sink.metric("wsbridge_upgrades_refused_total", "status", "401") - refusedBefore)
                    .as("wsbridge_upgrades_refused_total{status=401}").isEqualTo((double) attempts);
            assertThat(streaming.closeStatus()).isEmpty();
        } finally {
            producer.shutdownNow();
        }
        assertRunning(stack, sink);
    }

    /**
     * A client that never reads, with a tiny receive buffer, overflows its queue: the server closes it with 1013, cannot
     * even deliver the close frame, and cuts the connection after 5 s, so that its socket does not stay open.
     */
    @Test
    void aClientThatNeverReadsIsCutOffWhenItCannotTakeTheCloseFrame(Stack stack) {
        String padding = "p".repeat(16 * 1024);
        double slowCloses = sink.metric("wsbridge_slow_consumer_closes_total", "application", APP);
        try (WsClient reader = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            long sockets = TcpConnections.openOnServer(sink.port());
            try (RawWsClient stalled = RawWsClient.connect(HOST, sink.port(), "/" + APP, 4096)) {
                sink.awaitSubscribers(APP, 2);
                int sent = 0;
                while (sink.metric("wsbridge_slow_consumer_closes_total", "application", APP) == slowCloses) {
                    assertThat(sent).as("events sent without overflowing the stalled client's queue").isLessThan(3000);
                    List<Events.CloudEvent> chunk = IntStream.range(0, QUEUE_SIZE / 2)
                            .mapToObj(i -> Events.event(APP, "device-1").withData("{\"padding\":\"" + padding + "\"}"))
                            .toList();
                    sendAll(stack.events(), chunk.stream().map(event -> Events.binaryRecord(topic(APP), event)).toList());
                    assertThat(receiveIds(reader, chunk.size(), WAIT)).containsExactlyElementsOf(idsOf(chunk));
                    sent += chunk.size();
                }
                LOG.info("the stalled client overflowed after {} events of 16 KB", sent);
                sink.awaitSubscribers(APP, 1);
                await("the worker cutting the stalled connection").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> TcpConnections.openOnServer(sink.port()) <= sockets);
                RawWsClient.Close end = stalled.awaitClose(WAIT);
                assertThat(end.code()).as("what the stalled client finally reads: %s", end).isIn(-1, 1013);
            }
            Events.CloudEvent after = Events.event(APP, "device-1");
            stack.events().sendBinary(topic(APP), after);
            assertThat(receiveIds(reader, 1, WAIT)).containsExactly(after.id());
        }
        assertRunning(stack, sink);
    }

    /**
     * Over {@code websocket.max.connections.per.address} (3, counted for each client address apart: the clients bind
     * to 127.0.0.2, .3 and .4) and over {@code websocket.max.connections} (6), an upgrade answers 503 with
     * {@code Retry-After} and the connection ends, before its credentials are looked at (bad ones would be 401);
     * each refusal is counted with its reason, and a connection that closes gives its slot back.
     */
    @Test
    void upgradesOverTheConnectionLimitsAre503WithRetryAfterAndClosingFreesTheirSlots(Stack stack) {
        List<RawWsClient> open = new ArrayList<>();
        try {
            // awaitSlot: connections of the other tests may still be ending
            for (int i = 0; i < MAX_CONNECTIONS_PER_ADDRESS; i++) {
                open.add(awaitSlot("127.0.0.2"));
            }
            assertRefusedWhenBusy("127.0.0.2", "too_many_from_address",
                    "too many connections from your address: try again later");
            for (int i = 0; i < MAX_CONNECTIONS - MAX_CONNECTIONS_PER_ADDRESS; i++) {
                open.add(awaitSlot("127.0.0.3"));
            }
            assertRefusedWhenBusy("127.0.0.4", "too_many_connections", "too many connections: try again later");

            limited.awaitSubscribers(LIMITS_APP, MAX_CONNECTIONS);
            List<Events.CloudEvent> sent = sendEvents(stack, LIMITS_APP, 1);
            for (RawWsClient client : open) {
                assertThat(receiveText(client)).as("what an admitted client receives").contains(sent.get(0).id());
            }

            open.remove(0).close(); // a client of 127.0.0.2 goes away (FIN, no close frame)
            open.add(awaitSlot("127.0.0.2"));
            assertRefusedWhenBusy("127.0.0.4", "too_many_connections", "too many connections: try again later");
            open.remove(open.size() - 2).reset(); // a client of 127.0.0.3 crashes (RST)
            open.add(awaitSlot("127.0.0.4"));
            assertRefusedWhenBusy("127.0.0.3", "too_many_connections", "too many connections: try again later");
        } finally {
            open.forEach(RawWsClient::close);
        }
        limited.awaitSubscribers(LIMITS_APP, 0);
        List<RawWsClient> again = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS_PER_ADDRESS; i++) {
                again.add(awaitSlot("127.0.0.2"));
            }
            assertThat(again).as("every slot of 127.0.0.2 back").hasSize(MAX_CONNECTIONS_PER_ADDRESS);
        } finally {
            again.forEach(RawWsClient::close);
        }
        assertRunning(stack, limited);
    }

    /**
     * A client that sends its upgrade request a byte every 100 ms (each within Jetty's idle timeout, the whole would
     * take 15 s) is cut without an answer once {@code websocket.handshake.timeout.ms} (3 s) has passed, and counted.
     */
    @Test
    void anUpgradeRequestSentAByteAtATimeIsCutAfterTheHandshakeTimeout(Stack stack) throws Exception {
        int port = limited.port();
        double cutBefore = limited.metric("wsbridge_handshake_timeouts_total");
        byte[] request = RawWsClient.upgradeRequest(HOST, port, "/" + LIMITS_APP, "")
                .getBytes(StandardCharsets.ISO_8859_1);
        AtomicInteger written = new AtomicInteger();
        ScheduledExecutorService dribbler = Executors.newSingleThreadScheduledExecutor();
        // started before the connection is: the bridge's deadline starts when it accepts it, after this
        long start = System.nanoTime();
        try (Socket socket = RawWsClient.open(null, HOST, port, 0)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            dribbler.scheduleAtFixedRate(() -> {
                int next = written.get();
                if (next < request.length - 1) {
                    try {
                        out.write(request[next]);
                        out.flush();
                        written.incrementAndGet();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e); // cut: no more bytes
                    }
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            int read = readOrEnd(socket.getInputStream());
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(read).as("what the slow client reads: the end of the stream, no answer").isEqualTo(-1);
            assertThat(elapsed).as("ms until the cut").isBetween(HANDSHAKE_TIMEOUT.toMillis(),
                    HANDSHAKE_TIMEOUT.toMillis() + 3_000);
            assertThat(written.get()).as("bytes of the %d-byte request sent", request.length)
                    .isLessThan(request.length - 1);
        } finally {
            dribbler.shutdownNow();
        }
        await("the cut counted").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> limited.metric("wsbridge_handshake_timeouts_total") == cutBefore + 1);
        try (RawWsClient fine = RawWsClient.connect(HOST, port, "/" + LIMITS_APP)) {
            assertThat(fine.handshake().status()).as("an upgrade sent at once").isEqualTo(101);
        }
        assertRunning(stack, limited);
    }

    @Test
    void aFragmentedMessageLeftUnfinishedIsClosedWith1008AfterItsTimeout(Stack stack) {
        double before = limited.metric("wsbridge_closes_total", "code", "1008");
        try (RawWsClient raw = RawWsClient.connect(HOST, limited.port(), "/" + LIMITS_APP)) {
            long start = System.nanoTime();
            raw.sendFrame(RawWsClient.TEXT, bytes("{\"RefreshAccessToken\":\""), true); // no FIN
            RawWsClient.Close close = raw.awaitClose(WAIT);
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(close).isEqualTo(new RawWsClient.Close(1008, "message not finished within "
                    + UNFINISHED_TIMEOUT.toMillis() + " ms"));
            assertThat(elapsed).as("ms until the close").isBetween(UNFINISHED_TIMEOUT.toMillis(),
                    UNFINISHED_TIMEOUT.toMillis() + 3_000);
        }
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> limited.metric("wsbridge_closes_total", "code", "1008") == before + 1);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> unfinishedBytes() == 0);
        assertRunning(stack, limited);
    }

    /**
     * The unfinished messages of all clients share {@code websocket.max.unfinished.message.bytes} (2048): two
     * clients hold 1000 bytes each, the third client's fragment would exceed it and closes its connection with 1013;
     * the two others stay, and the bytes come back when their messages end.
     */
    @Test
    void unfinishedMessagesOverTheirSharedBudgetCloseTheConnectionThatWouldExceedItWith1013(Stack stack) {
        byte[] thousand = "y".repeat(1000).getBytes(StandardCharsets.UTF_8);
        try (RawWsClient first = RawWsClient.connect(HOST, limited.port(), "/" + LIMITS_APP);
             RawWsClient second = RawWsClient.connect(HOST, limited.port(), "/" + LIMITS_APP);
             RawWsClient third = RawWsClient.connect(HOST, limited.port(), "/" + LIMITS_APP)) {
            first.sendFrame(RawWsClient.TEXT, thousand, true); // no FIN
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> unfinishedBytes() == 1000);
            second.sendFrame(RawWsClient.TEXT, thousand, true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> unfinishedBytes() == 2000);

            third.sendFrame(RawWsClient.TEXT, "z".repeat(100).getBytes(StandardCharsets.UTF_8), true); // 2100 bytes
            assertThat(third.awaitClose(CLOSE_WAIT)).isEqualTo(new RawWsClient.Close(1013, "server busy: unfinished "
                    + "messages of all clients would hold more than " + UNFINISHED_BUDGET + " bytes; try again later"));
            assertThat(unfinishedBytes()).isEqualTo(2000);

            first.sendFrame(0x80, bytes("}"), true); // FIN, continuation: a whole message, though not a refresh
            assertThat(first.awaitClose(CLOSE_WAIT).code()).isEqualTo(1002);
        }
        await("the bytes given back").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> unfinishedBytes() == 0);
        assertRunning(stack, limited);
    }

    // --- helpers

    private interface Offence {
        void commit(RawWsClient client);
    }

    /** Connects a raw client, lets it commit the offence and records the server's close code. */
    private static void check(Map<String, Integer> expected, Map<String, Integer> actual, String what, int code,
                              Offence offence) {
        expected.put(what, code);
        try (RawWsClient raw = RawWsClient.connect(HOST, sink.port(), "/" + APP)) {
            offence.commit(raw);
            actual.put(what, raw.awaitClose(CLOSE_WAIT).code());
        }
    }

    /** The server closes while a large frame is still being written: the write may fail, the close frame is read. */
    private static void sendIgnoringResets(RawWsClient raw, byte[] payload) {
        CompletableFuture.runAsync(() -> {
            try {
                raw.send(RawWsClient.TEXT, payload);
            } catch (RuntimeException e) {
                LOG.debug("writing the large frame ended: {}", e.toString());
            }
        });
    }

    private static List<Events.CloudEvent> sendEvents(Stack stack, String app, int count) {
        List<Events.CloudEvent> events = IntStream.range(0, count).mapToObj(i -> Events.event(app, "device-1")).toList();
        sendAll(stack.events(), events.stream().map(event -> Events.binaryRecord(topic(app), event)).toList());
        return events;
    }

    private static double refusedCount(String reason) {
        return limited.metric("wsbridge_upgrades_refused_total", "status", "503", "reason", reason);
    }

    private static double unfinishedBytes() {
        return limited.metric("wsbridge_unfinished_messages_bytes");
    }

    /**
     * An upgrade from {@code source}, with credentials that would be refused with 401: 503 with Retry-After, the
     * reason in the body, the connection ended, counted once under {@code metricReason} and not as a 401.
     */
    private static void assertRefusedWhenBusy(String source, String metricReason, String reason) {
        double before = refusedCount(metricReason);
        double unauthorized = limited.metric("wsbridge_upgrades_refused_total", "status", "401");
        try (RawWsClient refused = RawWsClient.attemptFrom(source, HOST, limited.port(), "/" + LIMITS_APP,
                Map.of("Authorization", "Bearer not-a-token"))) {
            RawWsClient.Response response = refused.handshake();
            assertThat(response.status()).as("from %s: %s", source, response.statusLine()).isEqualTo(503);
            assertThat(response.headers()).containsEntry("retry-after", "10").containsEntry("connection", "close");
            assertThat(refused.awaitEnd(CLOSE_WAIT)).as("the body, then the end of the connection").contains(reason);
        }
        assertThat(refusedCount(metricReason) - before).as("wsbridge_upgrades_refused_total{reason=%s}", metricReason)
                .isEqualTo(1);
        assertThat(limited.metric("wsbridge_upgrades_refused_total", "status", "401")).as("credentials checked")
                .isEqualTo(unauthorized);
    }

    /** Upgrades from {@code source} until it is admitted: a slot comes back once a closed connection has ended. */
    private static RawWsClient awaitSlot(String source) {
        AtomicReference<RawWsClient> admitted = new AtomicReference<>();
        await("a connection slot for " + source).atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            RawWsClient attempt = RawWsClient.attemptFrom(source, HOST, limited.port(), "/" + LIMITS_APP, Map.of());
            if (attempt.handshake().status() == 101) {
                admitted.set(attempt);
                return true;
            }
            attempt.close();
            return false;
        });
        return admitted.get();
    }

    /** The next text frame, skipping pings. */
    private static String receiveText(RawWsClient client) {
        while (true) {
            RawWsClient.Frame frame = client.read(WAIT).orElseThrow(() -> new AssertionError("connection ended"));
            if (frame.opcode() == RawWsClient.TEXT) {
                return frame.text();
            }
        }
    }

    private static int readOrEnd(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (SocketException e) {
            return -1; // reset
        }
    }

    private static Map<Integer, Double> closeCounts() {
        Map<Integer, Double> counts = new LinkedHashMap<>();
        for (int code : List.of(1002, 1003, 1007, 1009)) {
            counts.put(code, sink.metric("wsbridge_closes_total", "code", Integer.toString(code)));
        }
        return counts;
    }

    private static void assertRunning(Stack stack, SinkConnector connector) {
        ConnectorStatus status = stack.rest().status(connector.name());
        assertThat(status.isRunning(1)).as("task still RUNNING: %s", status.describe()).isTrue();
    }

    private static String topic(String app) {
        return "events-" + app;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
