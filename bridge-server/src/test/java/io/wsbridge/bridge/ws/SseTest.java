package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Server-Sent Events on the WebSocket server's routes: messages, ids, refusals, gzip, keep-alives, endings. */
class SseTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final ObjectMapper JSON = new ObjectMapper();

    final SessionAccessTest.FakePolicy policy = new SessionAccessTest.FakePolicy();
    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    Bridge start(BridgeSettings.Builder builder) {
        policy.publicApplication = true;
        bridge = Bridge.start(builder.identity(new SessionAccessTest.FakeProvider(policy)).build());
        return bridge;
    }

    Bridge startDefault() {
        return start(BridgeSettings.builder("127.0.0.1", 0));
    }

    SseClient open(String pathAndQuery, String... headers) throws Exception {
        return SseClient.open(bridge.port(), pathAndQuery, headers);
    }

    void awaitSubscribers(int count) {
        await().atMost(WAIT).until(() -> bridge.router().subscribers("app") == count);
    }

    /** An event of "app" from partition 0 of its topic at {@code offset}, as the connector makes them. */
    static Event record(long offset, String subject) {
        return Event.fromUtf8("app", subject, ("{\"specversion\":\"1.0\",\"id\":\"" + offset + "\",\"subject\":\""
                + subject + "\"}").getBytes(StandardCharsets.UTF_8), "events-app", 0, offset);
    }

    @Test
    void eachEventIsOneMessageWithItsCursorAsIdAndItsCloudEventAsData() throws Exception {
        startDefault();
        try (SseClient client = open("/app/door")) {
            assertThat(client.status).isEqualTo(200);
            assertThat(client.headers.get("content-type")).startsWith("text/event-stream");
            assertThat(client.headers.get("cache-control")).isEqualTo("no-store");
            awaitSubscribers(1);
            for (long offset = 0; offset < 20; offset++) {
                bridge.publish(record(offset, offset % 2 == 0 ? "door" : "window"));
            }
            List<SseClient.Message> messages = client.take(10, WAIT);
            for (int i = 0; i < 10; i++) {
                JsonNode event = JSON.readTree(messages.get(i).data());
                assertThat(event.path("id").asText()).isEqualTo(String.valueOf(2 * i));
                assertThat(event.path("subject").asText()).isEqualTo("door");
                assertThat(messages.get(i).id()).as("the id is the event's cursor").isNotBlank()
                        .isEqualTo(event.path(Event.CURSOR_ATTRIBUTE).asText());
            }
            assertThat(Cursor.decode(messages.get(9).id(), "app").positions())
                    .containsEntry(new PartitionId("events-app", 0), 19L);
            assertThat(client.retries).containsExactly(String.valueOf(SseSubscriber.RETRY_MILLIS));
            assertThat(bridge.metrics().scrape()).contains("wsbridge_sessions{transport=\"sse\"} 1.0");
        }
    }

    @Test
    void groupMembersShareTheStreamRoundRobinAndAFilterApplies() throws Exception {
        startDefault();
        try (SseClient first = open("/app?group_id=g");
             SseClient second = open("/app?group_id=g");
             SseClient filtered = open("/app?filter=" + java.net.URLEncoder.encode("subject = 'door'",
                     StandardCharsets.UTF_8))) {
            awaitSubscribers(3);
            for (long offset = 0; offset < 20; offset++) {
                bridge.publish(record(offset, offset % 2 == 0 ? "door" : "window"));
            }
            java.util.Set<String> ids = new java.util.TreeSet<>();
            for (SseClient member : List.of(first, second)) {
                for (SseClient.Message message : member.take(10, WAIT)) {
                    assertThat(ids.add(JSON.readTree(message.data()).path("id").asText())).as("once").isTrue();
                }
            }
            assertThat(ids).hasSize(20);
            assertThat(filtered.take(10, WAIT)).allSatisfy(message -> assertThat(JSON.readTree(message.data())
                    .path("subject").asText()).isEqualTo("door"));
            assertThat(first.messages).isEmpty();
            assertThat(second.messages).isEmpty();
            assertThat(filtered.messages).isEmpty();
        }
    }

    @Test
    void refusalsHaveTheSameStatusesAsWebSocketUpgrades() throws Exception {
        // a client that goes away is noticed when a keep-alive cannot be written: every 200 ms here
        start(BridgeSettings.builder("127.0.0.1", 0).liveness(Duration.ofMillis(200), Duration.ofMillis(1000)));
        policy.members.add("alice");
        try (SseClient refused = open("/private", "Authorization", "Bearer nonsense")) {
            assertThat(refused.status).isEqualTo(401);
            assertThat(refused.headers.get("www-authenticate")).contains("Bearer").contains("Basic");
        }
        policy.publicApplication = false;
        assertThat(open("/app").status).as("anonymous, not public").isEqualTo(401);
        assertThat(open("/app?token=user:bob:60000").status).as("not a member").isEqualTo(404);
        assertThat(open("/a/b/c").status).isEqualTo(404);
        assertThat(open("/app?token=user:alice:60000&group_id=a&group_id=b").status).isEqualTo(400);
        SseClient badFilter = open("/app?token=user:alice:60000&filter=device%20%3D");
        assertThat(badFilter.status).isEqualTo(400);
        assertThat(badFilter.body).contains("the filter is not valid CloudEvents SQL");
        SseClient badId = open("/app?token=user:alice:60000", "Last-Event-ID", "AQ_not_a_cursor");
        assertThat(badId.status).isEqualTo(400);
        assertThat(badId.body).contains("Last-Event-ID: malformed cursor");
        String cursor = Cursor.of("app", Map.of(new PartitionId("events-app", 0), 3L)).encode();
        SseClient noKafka = open("/app?token=user:alice:60000", "Last-Event-ID", cursor);
        assertThat(noKafka.status).as("a valid Last-Event-ID resumes, which needs Kafka").isEqualTo(501);
        try (SseClient allowed = open("/app?token=user:alice:60000")) {
            assertThat(allowed.status).isEqualTo(200);
            awaitSubscribers(1);
        }
        assertThat(bridge.server().limitedConnections()).as("refused streams gave their slots back")
                .isLessThanOrEqualTo(1);
        await().atMost(WAIT).until(() -> bridge.server().limitedConnections() == 0);
    }

    @Test
    void anOriginOutsideTheAllowListIsRefusedAndAnAllowedOneIsToldSo() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).allowedOrigins(Set.of("https://dash.example")));
        assertThat(open("/app", "Origin", "https://evil.example").status).isEqualTo(403);
        try (SseClient client = open("/app", "Origin", "https://dash.example")) {
            assertThat(client.status).isEqualTo(200);
            assertThat(client.headers.get("access-control-allow-origin")).isEqualTo("https://dash.example");
        }
    }

    @Test
    void gzipIsUsedWhenAcceptedAndEachMessageCanBeReadAsItArrives() throws Exception {
        startDefault();
        try (SseClient plain = open("/app", "Accept-Encoding", "gzip;q=0, identity");
                SseClient zipped = open("/app", "Accept-Encoding", "br, gzip")) {
            assertThat(plain.headers).doesNotContainKey("content-encoding");
            assertThat(zipped.headers.get("content-encoding")).isEqualTo("gzip");
            awaitSubscribers(2);
            bridge.publish(record(0, "door"));
            // one event, and the stream stays open: the message was flushed through the compressor
            assertThat(JSON.readTree(zipped.take(WAIT).data()).path("id").asText()).isEqualTo("0");
            assertThat(JSON.readTree(plain.take(WAIT).data()).path("id").asText()).isEqualTo("0");
            for (long offset = 1; offset <= 200; offset++) {
                bridge.publish(record(offset, "door"));
            }
            assertThat(zipped.take(200, WAIT)).extracting(message -> JSON.readTree(message.data()).path("id")
                    .asText()).last().isEqualTo("200");
        }
    }

    @Test
    void aQuietStreamGetsCommentsEveryPingInterval() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).liveness(Duration.ofMillis(200), Duration.ofMillis(1000)));
        try (SseClient client = open("/app")) {
            awaitSubscribers(1);
            // the preamble's comment, then a keep-alive per interval, for longer than the connection's idle timeout
            for (int i = 0; i < 15; i++) {
                assertThat(client.comments.poll(2, java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
            }
            assertThat(client.ended).isFalse();
            bridge.publish(record(0, "door"));
            assertThat(client.take(WAIT).data()).contains("\"id\":\"0\"");
        }
    }

    @Test
    void aStreamTheBridgeEndsGetsALastMessageThatSaysWhy() throws Exception {
        startDefault();
        policy.publicApplication = false;
        policy.members.add("alice");
        try (SseClient client = open("/app?token=user:alice:1500")) {
            awaitSubscribers(1);
            bridge.publish(record(0, "door"));
            SseClient.Message event = client.take(WAIT);
            SseClient.Message last = client.take(WAIT);
            assertThat(last.id()).as("no id: a reconnecting client still names the last event").isNull();
            JsonNode closed = JSON.readTree(last.data());
            assertThat(closed.path("type").asText()).isEqualTo("io.wsbridge.closed");
            assertThat(closed.path("source").asText()).isEqualTo("/wsbridge");
            assertThat(closed.path("data").path("code").asInt()).isEqualTo(CloseCodes.POLICY_VIOLATION);
            assertThat(closed.path("data").path("reason").asText()).isEqualTo("token expired");
            await().atMost(WAIT).until(() -> client.ended);
            assertThat(event.id()).isNotNull();
        }
        awaitSubscribers(0);
        assertThat(bridge.metrics().registry().find("wsbridge.closes").tag("code", "1008").tag("transport", "sse")
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void serverShutdownEndsStreamsWith1001() throws Exception {
        startDefault();
        try (SseClient client = open("/app", "Accept-Encoding", "gzip")) {
            awaitSubscribers(1);
            bridge.close();
            JsonNode closed = JSON.readTree(client.take(WAIT).data());
            assertThat(closed.path("data").path("code").asInt()).isEqualTo(CloseCodes.GOING_AWAY);
            await().atMost(WAIT).until(() -> client.ended);
        } finally {
            bridge = null;
        }
    }

    @Test
    void aClientThatNeverReadsIsClosedByTheOverflowPolicyWithoutSlowingTheOthers() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).queue(50, OverflowPolicy.CLOSE));
        try (Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new java.net.InetSocketAddress("127.0.0.1", bridge.port()));
            stuck.getOutputStream().write(("GET /app HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            try (SseClient reader = open("/app")) {
                awaitSubscribers(2);
                String data = "x".repeat(4000);
                for (long offset = 0; offset < 5000; offset++) {
                    bridge.publish(Event.fromUtf8("app", null, ("{\"id\":\"" + offset + "\",\"data\":\"" + data
                            + "\"}").getBytes(StandardCharsets.UTF_8), "events-app", 0, offset));
                    if (offset % 100 == 99) {
                        // let the reader keep up: it is the stuck one that must overflow
                        final long upTo = offset;
                        await().atMost(WAIT).until(() -> reader.messages.size() > upTo - 50);
                    }
                }
                awaitSubscribers(1);
                assertThat(bridge.metrics().registry().find("wsbridge.closes").tag("code", "1013")
                        .tag("transport", "sse").counter().count()).isEqualTo(1.0);
                assertThat(reader.messages).hasSize(5000);
            }
        }
    }

    @Test
    void aClientThatStopsReadingUnderDropOldestGetsGapNoticesThatCountEveryDroppedEvent() throws Exception {
        start(BridgeSettings.builder("127.0.0.1", 0).queue(50, OverflowPolicy.DROP_OLDEST));
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", bridge.port()));
        SseClient.request(socket, "/app"); // nothing is read until the events are published
        awaitSubscribers(1);
        int events = 3000;
        String data = "x".repeat(4000);
        for (long offset = 0; offset < events; offset++) {
            bridge.publish(Event.fromUtf8("app", null, ("{\"id\":\"" + offset + "\",\"data\":\"" + data
                    + "\"}").getBytes(StandardCharsets.UTF_8), "events-app", 0, offset));
        }
        double dropped = bridge.metrics().registry().find("wsbridge.events.dropped").tag("application", "app")
                .counter().count();
        assertThat(dropped).as("dropped while the client did not read").isGreaterThan(0);

        try (SseClient client = SseClient.read(socket)) {
            long announced = 0;
            int received = 0;
            String lastId = null;
            while (!String.valueOf(events - 1).equals(lastId)) {
                SseClient.Message message = client.take(WAIT);
                assertThat(message).as("message after %s events", received).isNotNull();
                if (message.data().contains("\"type\":\"io.wsbridge.gap\"")) {
                    assertThat(message.id()).as("a notice is no position").isNull();
                    assertThat(message.data()).contains("\"source\":\"/wsbridge\"", "\"reason\":\"overflow\"");
                    announced += Long.parseLong(message.data().replaceAll(".*\"dropped\":(\\d+).*", "$1"));
                } else {
                    received++;
                    lastId = message.data().replaceAll("^.*?\"id\":\"(\\d+)\".*", "$1");
                }
            }
            assertThat(announced).as("every dropped event is announced").isEqualTo((long) dropped);
            assertThat(received + announced).as("each event either received or announced").isEqualTo(events);
            assertThat(bridge.router().subscribers("app")).as("still connected").isEqualTo(1);
        }
    }

    @Test
    void dataWithLineBreaksBecomesSeveralDataLines() {
        SseFormat.Bytes out = new SseFormat.Bytes(16);
        SseFormat.appendData(ByteBuffer.wrap("{\n \"a\": 1,\r\n \"b\": 2\r}".getBytes(StandardCharsets.UTF_8))
                .asReadOnlyBuffer(), out);
        assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("data: {\ndata:  \"a\": 1,\ndata:  \"b\": 2\ndata: }\n");
    }

    @Test
    void onlyAnExplicitEventStreamOrGzipCounts() {
        assertThat(SseHandler.accepts(List.of("text/html, text/event-stream;q=0.9"), "text/event-stream")).isTrue();
        assertThat(SseHandler.accepts(List.of("*/*"), "text/event-stream")).isFalse();
        assertThat(SseHandler.accepts(List.of("TEXT/EVENT-STREAM"), "text/event-stream")).isTrue();
        assertThat(SseHandler.accepts(List.of("gzip; q=0"), "gzip")).isFalse();
        assertThat(SseHandler.accepts(List.of("deflate", "gzip;q=0.5"), "gzip")).isTrue();
        assertThat(SseHandler.accepts(List.of("gzip;q=0.000"), "gzip")).isFalse();
    }
}
