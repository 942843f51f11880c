package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.ClientProcess;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.SseStream;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsbridgeCli;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Server-Sent Events on the real stack: a real broker, a real Connect worker loading the plugin archive, a real
 * Keycloak, and real clients ({@code curl -N}, and the JDK's HTTP client read as an {@code EventSource} would). Events
 * with their cursor as {@code id}, every credential form, the refusals of WebSocket, {@code Last-Event-ID} resuming
 * with no loss and no duplicate, gzip, a client that never reads, and a token that expires: the stream's last message
 * says so, and reconnecting with a new token and {@code Last-Event-ID} loses nothing.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SseIT {

    private static final String PUBLIC_APP = "sse-public";
    private static final String PRIVATE_APP = "acme-private";
    private static final String ALICE_PASSWORD = "alice-dev-password";
    private static final String BOB_PASSWORD = "bob-dev-password";
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private Stack stack;
    private KeycloakServer keycloak;
    private SinkConnector sink;
    private String aliceKey;

    @BeforeAll
    void deployConnector(Stack stack, KeycloakServer keycloak) throws IOException {
        this.stack = stack;
        this.keycloak = keycloak;
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PUBLIC_APP), PARTITIONS);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(PRIVATE_APP), 1);
        Map<String, String> overrides = new LinkedHashMap<>(keycloakConfig());
        overrides.put("topics", topic(PUBLIC_APP) + "," + topic(PRIVATE_APP));
        overrides.put("keycloak.url", keycloak.url());
        overrides.put("auth.public.applications", PUBLIC_APP);
        overrides.put("kafka.bootstrap.servers", stack.kafka().bootstrapServers());
        overrides.put("websocket.subscriber.queue.size", "256");
        overrides.put("websocket.ping.interval.ms", "1000");
        overrides.put("websocket.pong.timeout.ms", "5000");
        sink = SinkConnector.shipped(stack, "sse-it", overrides);
        sink.create().awaitRunning();
        sink.awaitFlowing(PUBLIC_APP, topic(PUBLIC_APP), PARTITIONS);
        aliceKey = WsbridgeCli.of(keycloak).createKey("alice");
    }

    @AfterAll
    void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void curlReadsEventsWithTheirCursorsAsIdsPlainAndGzipped() throws Exception {
        Path work = Files.createTempDirectory("sse-curl");
        String url = "http://" + KafkaBroker.HOST + ":" + sink.port() + "/" + PUBLIC_APP;
        try (ClientProcess plain = ClientProcess.start("curl-sse", List.of("curl", "-sS", "-N", "-D", "-",
                "-H", "Accept: text/event-stream", url), work, Duration.ofSeconds(90));
                ClientProcess zipped = ClientProcess.start("curl-sse-gzip", List.of("curl", "-sS", "-N", "-D", "-",
                        "--compressed", "-H", "Accept: text/event-stream", url), work, Duration.ofSeconds(90))) {
            // The bridge writes the preamble once the session is in its router. (Waiting for the session gauge to
            // reach its earlier value + 2 raced with sessions of other tests still closing.)
            for (ClientProcess curl : List.of(plain, zipped)) {
                await(curl.name() + " open").atMost(WAIT).until(() -> curl.stdoutLines().contains("retry: 2000"));
            }
            assertThat(sink.metric("wsbridge_sessions", "transport", "sse")).as("two SSE sessions")
                    .isGreaterThanOrEqualTo(2);
            String run = UUID.randomUUID().toString();
            for (int i = 0; i < 9; i++) {
                sink.sendTo(topic(PUBLIC_APP), i % PARTITIONS, Events.event(PUBLIC_APP, "curl")
                        .withId("curl-" + run + "-" + i).withData("{\"n\":" + i + "}"));
            }
            for (ClientProcess curl : List.of(plain, zipped)) {
                await(curl.name() + " printing the nine events").atMost(WAIT)
                        .until(() -> ids(curl.stdoutLines(), "curl-" + run).size() == 9);
                String head = curl.stdout().substring(0, curl.stdout().indexOf("\r\n\r\n")).toLowerCase();
                assertThat(head).startsWith("http/1.1 200").contains("content-type: text/event-stream");
                if (curl == zipped) {
                    assertThat(head).contains("content-encoding: gzip");
                } else {
                    assertThat(head).doesNotContain("content-encoding");
                }
                assertThat(curl.stdoutLines()).contains("retry: 2000");
            }
        }
    }

    /** The ids of the events whose id starts with {@code prefix}, checking that each came with its cursor as id. */
    private static List<String> ids(List<String> lines, String prefix) {
        List<String> ids = new ArrayList<>();
        String lastId = null;
        for (String line : lines) {
            if (line.startsWith("id: ")) {
                lastId = line.substring(4);
            } else if (line.startsWith("data: {")) {
                JsonNode event = json(line.substring(6));
                if (event.path("id").asText().startsWith(prefix)) {
                    assertThat(lastId).as("the id line of %s", line).isEqualTo(event.path("wsbridgecursor").asText());
                    ids.add(event.path("id").asText());
                }
                lastId = null;
            }
        }
        return ids;
    }

    @Test
    void everyCredentialFormReadsThePrivateApplicationAndRefusalsAreThoseOfWebSocket() {
        String alice = keycloak.passwordToken("alice", ALICE_PASSWORD);
        String bob = keycloak.passwordToken("bob", BOB_PASSWORD);
        String basic = "Basic " + Base64.getEncoder().encodeToString(("alice:" + aliceKey)
                .getBytes(StandardCharsets.UTF_8));
        Map<String, SseStream> forms = new LinkedHashMap<>();
        try {
            forms.put("Bearer header", SseStream.open(uri("/" + PRIVATE_APP), Map.of("Authorization", "Bearer " + alice)));
            forms.put("token query", SseStream.open(uri("/" + PRIVATE_APP + "?token=" + alice), Map.of()));
            forms.put("Basic header", SseStream.open(uri("/" + PRIVATE_APP), Map.of("Authorization", basic)));
            forms.put("api_key query", SseStream.open(uri("/" + PRIVATE_APP + "?username=alice&api_key="
                    + URLEncoder.encode(aliceKey, StandardCharsets.UTF_8)), Map.of()));
            forms.forEach((form, stream) -> assertThat(stream.status()).as(form).isEqualTo(200));
            String marker = "private-" + UUID.randomUUID();
            forms.forEach((form, stream) -> await(form + " getting a private event").atMost(WAIT).until(() -> {
                sink.sendTo(topic(PRIVATE_APP), 0, Events.event(PRIVATE_APP, "d").withId(marker));
                return stream.next(Duration.ofMillis(500)).map(m -> json(m.data()).path("id").asText())
                        .filter(marker::equals).isPresent();
            }));
        } finally {
            forms.values().forEach(SseStream::close);
        }

        assertThat(SseStream.open(uri("/" + PRIVATE_APP), Map.of()).status()).as("anonymous").isEqualTo(404);
        assertThat(SseStream.open(uri("/" + PRIVATE_APP), Map.of("Authorization", "Bearer " + bob)).status())
                .as("not a member").isEqualTo(404);
        SseStream badToken = SseStream.open(uri("/" + PRIVATE_APP + "?token=not-a-token"), Map.of());
        assertThat(badToken.status()).isEqualTo(401);
        assertThat(badToken.header("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value)
                .contains("Bearer").contains("Basic"));
        SseStream badFilter = SseStream.open(uri("/" + PUBLIC_APP + "?filter="
                + URLEncoder.encode("device =", StandardCharsets.UTF_8)), Map.of());
        assertThat(badFilter.status()).isEqualTo(400);
        assertThat(badFilter.body()).contains("the filter is not valid CloudEvents SQL");
        SseStream badId = SseStream.open(uri("/" + PUBLIC_APP), Map.of("Last-Event-ID", "not-a-cursor"));
        assertThat(badId.status()).isEqualTo(400);
        assertThat(badId.body()).startsWith("Last-Event-ID: malformed cursor");
    }

    @Test
    void aClientCutOffAtRandomPointsResumesWithLastEventIdExactlyOnceInPartitionOrder() throws Exception {
        int perPartition = 400;
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String run = "r" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        Map<Integer, List<Integer>> sequences = new HashMap<>();
        String lastId = null;
        int connections = 0;
        CompletableFuture<Void> producing = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (counts.size() < PARTITIONS * perPartition && System.nanoTime() < deadline) {
            try (SseStream stream = SseStream.open(uri("/" + PUBLIC_APP),
                    lastId == null ? Map.of() : Map.of("Last-Event-ID", lastId))) {
                assertThat(stream.status()).isEqualTo(200);
                connections++;
                if (producing == null) {
                    producing = CompletableFuture.runAsync(() -> produce(run, perPartition));
                }
                int messages = random.nextInt(200);
                for (int i = 0; i < messages && counts.size() < PARTITIONS * perPartition; i++) {
                    Optional<SseStream.Message> message = stream.next(Duration.ofSeconds(2));
                    if (message.isEmpty()) {
                        if (stream.ended()) {
                            break;
                        }
                        continue;
                    }
                    if (message.get().id() == null) {
                        continue; // a notice of the bridge's: no position
                    }
                    lastId = message.get().id();
                    JsonNode event = json(message.get().data());
                    assertThat(event.path("wsbridgecursor").asText()).isEqualTo(lastId);
                    String id = event.path("id").asText();
                    if (id.startsWith(run + "-")) {
                        counts.merge(id, 1, Integer::sum);
                        sequences.computeIfAbsent(event.path("data").path("p").asInt(), p -> new ArrayList<>())
                                .add(event.path("data").path("seq").asInt());
                    }
                }
            }
        }
        producing.get();
        assertThat(connections).as("connections (seed %s)", seed).isGreaterThan(3);
        for (int partition = 0; partition < PARTITIONS; partition++) {
            List<Integer> expected = new ArrayList<>();
            for (int seq = 0; seq < perPartition; seq++) {
                expected.add(seq);
            }
            assertThat(sequences.get(partition)).as("partition %s in order, each once (seed %s)", partition, seed)
                    .isEqualTo(expected);
        }
        assertThat(counts.values()).as("no event twice (seed %s)", seed).allMatch(n -> n == 1);
    }

    private void produce(String run, int perPartition) {
        for (int seq = 0; seq < perPartition; seq++) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                sink.sendTo(topic(PUBLIC_APP), partition, Events.event(PUBLIC_APP, "d")
                        .withId(run + "-" + partition + "-" + seq)
                        .withData("{\"p\":" + partition + ",\"seq\":" + seq + "}"));
            }
        }
    }

    @Test
    void aClientThatNeverReadsIsClosedByTheOverflowPolicyAndTheOthersGetEverything() throws Exception {
        double closedBefore = sink.metric("wsbridge_closes_total", "code", "1013", "transport", "sse");
        String run = "big-" + UUID.randomUUID();
        int count = 1_500;
        try (Socket stuck = new Socket();
                SseStream reader = SseStream.open(uri("/" + PUBLIC_APP), Map.of())) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress(KafkaBroker.HOST, sink.port()));
            stuck.getOutputStream().write(("GET /" + PUBLIC_APP + " HTTP/1.1\r\nHost: " + KafkaBroker.HOST
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String padding = "x".repeat(8_000);
            CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < count; i++) {
                    sink.sendTo(topic(PUBLIC_APP), i % PARTITIONS, Events.event(PUBLIC_APP, "big")
                            .withId(run + "-" + i).withData("{\"pad\":\"" + padding + "\"}"));
                }
            });
            List<String> got = new ArrayList<>();
            await("the reader getting every event").atMost(WAIT).pollInterval(Duration.ZERO).until(() -> {
                reader.next(Duration.ofMillis(200)).map(m -> json(m.data()).path("id").asText())
                        .filter(id -> id.startsWith(run)).ifPresent(got::add);
                return got.size() == count;
            });
            producing.get();
            await("the stuck client closed as too slow").atMost(WAIT).until(() ->
                    sink.metric("wsbridge_closes_total", "code", "1013", "transport", "sse") == closedBefore + 1);
            assertThat(got).doesNotHaveDuplicates();
        }
    }

    @Test
    void aStreamWhoseTokenExpiresEndsSayingSoAndAReconnectWithLastEventIdLosesNothing() throws Exception {
        String shortLived = keycloak.shortLivedToken("alice", ALICE_PASSWORD, Duration.ofSeconds(8));
        String run = "expiry-" + UUID.randomUUID();
        List<String> got = new ArrayList<>();
        String lastId = null;
        JsonNode closed = null;
        int sent = 0;
        try (SseStream stream = SseStream.open(uri("/" + PRIVATE_APP + "?token=" + shortLived), Map.of())) {
            assertThat(stream.status()).isEqualTo(200);
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (closed == null && System.nanoTime() < deadline) {
                sink.sendTo(topic(PRIVATE_APP), 0, Events.event(PRIVATE_APP, "d").withId(run + "-" + sent++));
                Optional<SseStream.Message> message = stream.next(Duration.ofMillis(200));
                while (message.isPresent()) {
                    JsonNode event = json(message.get().data());
                    if ("io.wsbridge.closed".equals(event.path("type").asText())) {
                        assertThat(message.get().id()).as("the closing notice has no id").isNull();
                        closed = event;
                        break;
                    }
                    lastId = message.get().id();
                    if (event.path("id").asText().startsWith(run)) {
                        got.add(event.path("id").asText());
                    }
                    message = stream.next(Duration.ofMillis(10));
                }
            }
            assertThat(closed).as("the stream's last message").isNotNull();
            assertThat(closed.path("source").asText()).isEqualTo("/wsbridge");
            assertThat(closed.path("data").path("code").asInt()).isEqualTo(1008);
            assertThat(closed.path("data").path("reason").asText()).isEqualTo("token expired");
            await("the stream ending").atMost(Duration.ofSeconds(10)).until(stream::ended);
        }
        for (int i = 0; i < 20; i++) { // produced while the client is away
            sink.sendTo(topic(PRIVATE_APP), 0, Events.event(PRIVATE_APP, "d").withId(run + "-" + sent++));
        }
        assertThat(got).isNotEmpty();
        String fresh = keycloak.passwordToken("alice", ALICE_PASSWORD);
        try (SseStream again = SseStream.open(uri("/" + PRIVATE_APP + "?token=" + fresh),
                Map.of("Last-Event-ID", lastId))) {
            assertThat(again.status()).isEqualTo(200);
            int total = sent;
            await("the rest after the reconnect").atMost(WAIT).pollInterval(Duration.ZERO).until(() -> {
                again.next(Duration.ofMillis(200)).map(m -> json(m.data()).path("id").asText())
                        .filter(id -> id.startsWith(run)).ifPresent(got::add);
                return got.size() >= total;
            });
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < sent; i++) {
            expected.add(run + "-" + i);
        }
        assertThat(got).as("every event once, in order, across the expiry").isEqualTo(expected);
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://" + KafkaBroker.HOST + ":" + sink.port() + pathAndQuery);
    }

    private static String topic(String application) {
        return "events-" + application;
    }

    private static Map<String, String> keycloakConfig() throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink-keycloak.json")
                .orElseThrow(() -> new IllegalStateException("no websocket-sink-keycloak.json in config/"));
        Map<String, String> config = new LinkedHashMap<>();
        json(Files.readString(file)).path("config").properties().forEach(e -> config.put(e.getKey(),
                e.getValue().asText()));
        config.remove("topics.regex");
        config.remove("websocket.host");
        config.remove("websocket.port");
        config.remove("ops.host");
        config.remove("ops.port");
        return config;
    }
}
