package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Resume and replay on the real stack: a real broker, a real Connect worker loading the plugin archive, real WebSocket
 * clients. Every frame carries a {@code wsbridgecursor}; a client whose connection is cut at random points and that
 * reconnects with {@code ?from=<its last cursor>} gets every event exactly once, in per-partition order;
 * {@code from=earliest} and {@code from=<time>} replay what the topics hold, then continue live; bad {@code from}
 * values answer 400 saying which; replays beyond {@code replay.max.concurrent} answer 503 with {@code Retry-After}.
 */
@ExtendWith(StackExtension.class)
class ResumeIT {

    private static final String KILL_APP = "resume-kill";
    private static final String REPLAY_APP = "resume-replay";
    private static final String BULK_APP = "resume-bulk";
    private static final String GAP_APP = "resume-gap";
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(KILL_APP), PARTITIONS);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(REPLAY_APP), PARTITIONS);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(BULK_APP), 1);
        SinkConnector.createTopicIfAbsent(stack.kafka(), topic(GAP_APP), 1);
        sink = SinkConnector.shipped(stack, "resume-it", Map.of(
                "topics", topic(KILL_APP) + "," + topic(REPLAY_APP) + "," + topic(BULK_APP) + "," + topic(GAP_APP),
                "auth.public.applications", KILL_APP + "," + REPLAY_APP + "," + BULK_APP + "," + GAP_APP,
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers(),
                "replay.max.concurrent", "2",
                "websocket.subscriber.queue.size", "64"));
        sink.create().awaitRunning();
        sink.awaitFlowing(KILL_APP, topic(KILL_APP), PARTITIONS);
        sink.awaitFlowing(REPLAY_APP, topic(REPLAY_APP), PARTITIONS);
        sink.awaitFlowing(BULK_APP, topic(BULK_APP), 1);
        sink.awaitFlowing(GAP_APP, topic(GAP_APP), 1);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    private static String topic(String application) {
        return "events-" + application;
    }

    @Test
    void aClientCutOffAtRandomPointsResumesWithEveryEventExactlyOnceInPartitionOrder(Stack stack) throws Exception {
        int perPartition = 5_000; // 15,000 events at 5,000 events/s: three seconds of flow
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Received received = new Received();
        String cursor = null;
        int connections = 0;
        CompletableFuture<Void> producing = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (received.count() < PARTITIONS * perPartition && System.nanoTime() < deadline) {
            String query = cursor == null ? "" : "?from=" + cursor;
            try (WsClient ws = WsClient.awaitConnect(sink.uri("/" + KILL_APP + query), Map.of(), WAIT)) {
                connections++;
                if (producing == null) {
                    sink.awaitSubscribers(KILL_APP, 1);
                    producing = CompletableFuture.runAsync(() -> producePaced(stack, KILL_APP, perPartition,
                            5_000));
                }
                int frames = random.nextInt(300); // cut off after this many frames, at once included
                for (int i = 0; i < frames && received.count() < PARTITIONS * perPartition; i++) {
                    Optional<String> frame = ws.nextFrame(Duration.ofSeconds(2));
                    if (frame.isEmpty()) {
                        if (ws.closeStatus().isPresent()) {
                            break; // closed by the server (a slow consumer, say): resume too
                        }
                        continue;
                    }
                    cursor = received.take(frame.get(), "seed " + seed);
                }
                ws.abort();
            }
        }
        producing.get();
        assertThat(connections).as("connections (seed %s)", seed).isGreaterThan(5);
        received.assertEveryEventOnceInOrder(perPartition, "seed " + seed);
    }

    @Test
    void earliestReplaysWhatTheTopicsHoldThenLiveAndATimeReplaysFromThatTime(Stack stack) throws Exception {
        produce(stack, REPLAY_APP, 50);
        Instant between = Instant.now().plusMillis(2);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> Instant.now()
                .isAfter(between.plusMillis(1)));
        produceFrom(stack, REPLAY_APP, 50, 100);

        try (WsClient earliest = WsClient.connect(sink.uri("/" + REPLAY_APP + "?from=earliest"), Map.of());
             WsClient fromTime = WsClient.connect(sink.uri("/" + REPLAY_APP + "?from="
                     + URLEncoder.encode(between.toString(), StandardCharsets.UTF_8)), Map.of())) {
            Received all = new Received();
            Received later = new Received();
            all.awaitCount(earliest, PARTITIONS * 100);
            later.awaitCount(fromTime, PARTITIONS * 50);
            produceFrom(stack, REPLAY_APP, 100, 110);
            all.awaitCount(earliest, PARTITIONS * 110);
            later.awaitCount(fromTime, PARTITIONS * 60);

            all.assertEveryEventOnceInOrder(110, "from=earliest");
            later.assertEveryEventOnceInOrder(50, 110, "from=" + between);
            assertThat(earliest.nextFrame(Duration.ofMillis(500))).as("nothing more").isEmpty();

            // the cursor of the last frame resumes after it: only what comes next
            try (WsClient resumed = WsClient.connect(sink.uri("/" + REPLAY_APP + "?from=" + all.lastCursor),
                    Map.of())) {
                produceFrom(stack, REPLAY_APP, 110, 115);
                Received next = new Received();
                next.awaitCount(resumed, PARTITIONS * 5);
                next.assertEveryEventOnceInOrder(110, 115, "from=<last cursor>");
            }
        }
    }

    /**
     * Real retention: the topic's segments roll every 100 ms, events g-0 to g-19 are written, 6 s later g-20 to g-29
     * (in a segment of their own), and retention drops to 3 s until the broker (which checks every second in these
     * tests) removed the first segment, into which the cursor points; it is restored before the second one ages.
     */
    @Test
    void aCursorOlderThanRetentionGetsTheGapEventFirstThenEverythingStillHeld(Stack stack) throws Exception {
        String topic = topic(GAP_APP);
        String cursor;
        try (WsClient ws = WsClient.connect(sink.uri("/" + GAP_APP), Map.of())) {
            sink.awaitSubscribers(GAP_APP, 1);
            produceTo(GAP_APP, 0, 20);
            List<String> frames = ws.awaitFrames(20, WAIT);
            cursor = json(frames.get(4)).path("wsbridgecursor").asText(); // after g-4: 15 events missed from here
        }
        PartitionId partition0 = new PartitionId(topic, 0);
        long offsetAfterCursor = Cursor.decode(cursor, GAP_APP).positions().get(partition0);
        alterTopic(stack, topic, Map.of("segment.ms", "100"));
        Thread.sleep(6_000);
        produceTo(GAP_APP, 20, 30); // the first of them rolls a new segment: the first 20 are in an old one
        alterTopic(stack, topic, Map.of("retention.ms", "3000"));
        try {
            await("retention removes the first segment").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> earliestOffset(stack, topic) > 0);
        } finally {
            alterTopic(stack, topic, Map.of("retention.ms", "-1", "segment.ms", "604800000"));
        }
        long earliest = earliestOffset(stack, topic);
        assertThat(earliest).as("what retention kept starts with g-20, 15 offsets after the cursor")
                .isEqualTo(offsetAfterCursor + 15);

        // a cursor also naming a partition the topic does not have (any more)
        String withGone = Cursor.of(GAP_APP, Map.of(partition0, offsetAfterCursor, new PartitionId(topic, 7), 3L))
                .encode();
        for (String from : List.of(cursor, withGone)) {
            try (WsClient ws = WsClient.connect(sink.uri("/" + GAP_APP + "?from=" + from), Map.of())) {
                List<String> frames = ws.awaitFrames(11, WAIT);
                JsonNode gap = json(frames.get(0));
                assertThat(gap.path("type").asText()).isEqualTo("io.wsbridge.gap");
                assertThat(gap.path("source").asText()).isEqualTo("/wsbridge");
                assertThat(gap.path("data").path("reason").asText()).isEqualTo("retention");
                assertThat(gap.path("data").path("lost").asLong()).isEqualTo(earliest - offsetAfterCursor);
                JsonNode partitions = gap.path("data").path("partitions");
                assertThat(partitions.get(0).path("topic").asText()).isEqualTo(topic);
                assertThat(partitions.get(0).path("partition").asInt()).isZero();
                assertThat(partitions.get(0).path("lost").asLong()).isEqualTo(15);
                if (from.equals(withGone)) {
                    assertThat(partitions).hasSize(2);
                    assertThat(partitions.get(1).path("partition").asInt()).isEqualTo(7);
                    assertThat(partitions.get(1).path("gone").asBoolean()).isTrue();
                    assertThat(partitions.get(1).path("lost").isNull()).isTrue();
                } else {
                    assertThat(partitions).hasSize(1);
                }
                List<String> ids = new ArrayList<>();
                for (String frame : frames.subList(1, frames.size())) {
                    ids.add(json(frame).path("id").asText());
                }
                List<String> expected = new ArrayList<>();
                for (int seq = 20; seq < 30; seq++) {
                    expected.add("g-" + seq);
                }
                assertThat(ids).as("everything still held, once, in order (from=%s)", from).isEqualTo(expected);
                assertThat(ws.nextFrame(Duration.ofMillis(300))).as("nothing more").isEmpty();
            }
        }
    }

    @Test
    void badFromValuesAreRefusedWith400SayingWhichAfterTheCredentials() throws Exception {
        String cursorOfAnotherApplication;
        try (WsClient ws = WsClient.connect(sink.uri("/" + KILL_APP + "?from=earliest"), Map.of())) {
            cursorOfAnotherApplication = json(ws.awaitFrames(1, WAIT).get(0)).path("wsbridgecursor").asText();
        }
        assertRefused("/" + REPLAY_APP + "?from=yesterday", 400,
                "from must be earliest, latest, an RFC 3339 time (such as 2026-12-02T15:04:05Z) or the "
                        + "wsbridgecursor of an event");
        assertRefused("/" + REPLAY_APP + "?from=2026-02-30T10:00:00Z", 400, "from: not a valid RFC 3339 time");
        assertRefused("/" + REPLAY_APP + "?from=AQ-this-is-no-cursor", 400, "from: malformed cursor: ");
        assertRefused("/" + REPLAY_APP + "?from=" + cursorOfAnotherApplication, 400,
                "from: the cursor belongs to another application than &apos;" + REPLAY_APP + "&apos;");
        assertRefused("/" + REPLAY_APP + "?from=earliest&group_id=g", 400,
                "resuming or replaying a group (from with group_id) is not implemented yet");
        assertRefused("/not-public?from=" + cursorOfAnotherApplication, 404, "");
    }

    @Test
    void slowReplaysArePacedByTheirReaderHoldTheirSlotAndFurtherOnesAreRefusedWith503(Stack stack)
            throws Exception {
        bulkProduce(stack, BULK_APP, 20_000);
        RawWsClient first = RawWsClient.connect(KafkaBroker.HOST, sink.port(), "/" + BULK_APP + "?from=earliest",
                4096);
        try (RawWsClient second = RawWsClient.connect(KafkaBroker.HOST, sink.port(), "/" + BULK_APP
                     + "?from=earliest", 4096)) {
            try (RawWsClient third = RawWsClient.attempt(KafkaBroker.HOST, sink.port(), "/" + BULK_APP
                    + "?from=earliest", Map.of())) {
                assertThat(third.handshake().status()).isEqualTo(503);
                assertThat(third.handshake().headers()).containsKey("retry-after");
            }

            // The replays that nobody reads stall; a live event still reaches a live subscriber at once (a live
            // subscriber that the bulk events the task may still publish overflowed connects again).
            AtomicInteger sent = new AtomicInteger();
            await("a live event").atMost(WAIT).pollInterval(Duration.ZERO).until(() -> {
                try (WsClient live = WsClient.connect(sink.uri("/" + BULK_APP), Map.of())) {
                    if (!sink.subscribersWithin(BULK_APP, 3, Duration.ofSeconds(10))) {
                        return false; // with the two replaying ones; an overflowed live one is gone: again
                    }
                    String id = "live-" + sent.incrementAndGet();
                    sink.sendTo(topic(BULK_APP), 0, Events.event(BULK_APP, "live").withId(id));
                    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    while (System.nanoTime() < until && live.closeStatus().isEmpty()) {
                        if (live.nextFrame(Duration.ofMillis(200)).map(frame -> json(frame).path("id").asText())
                                .filter(id::equals).isPresent()) {
                            return true;
                        }
                    }
                    return false;
                }
            });
            assertThat(second.read(Duration.ofSeconds(10))).as("the stalled replay has sent what it could")
                    .isPresent();

            first.close();
            await("a replay slot freed").atMost(WAIT).until(() -> {
                try (RawWsClient again = RawWsClient.attempt(KafkaBroker.HOST, sink.port(), "/" + BULK_APP
                        + "?from=earliest", Map.of())) {
                    return again.handshake().status() == 101;
                }
            });
        } finally {
            first.close();
        }
    }

    /** The upgrade is answered with {@code status} and a body that says {@code message}. */
    private void assertRefused(String pathAndQuery, int status, String message) throws Exception {
        try (Socket socket = RawWsClient.open(null, KafkaBroker.HOST, sink.port(), 0)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(RawWsClient.upgradeRequest(KafkaBroker.HOST, sink.port(), pathAndQuery, "")
                    .getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int read;
            while (!answer.toString(StandardCharsets.UTF_8).contains("</html>") && (read = in.read(buffer)) > 0) {
                answer.write(buffer, 0, read);
            }
            assertThat(answer.toString(StandardCharsets.UTF_8)).as(pathAndQuery)
                    .startsWith("HTTP/1.1 " + status + " ").contains(message);
        }
    }

    /** Events {@code g-<seq>} for seq in [from, until) to partition 0 of the application's topic, then flushed. */
    private static void produceTo(String application, int from, int until) {
        for (int seq = from; seq < until; seq++) {
            sink.sendTo(topic(application), 0, Events.event(application, "d").withId("g-" + seq)
                    .withData("{\"seq\":" + seq + "}"));
        }
    }

    private static long earliestOffset(Stack stack, String topic) throws Exception {
        TopicPartition partition = new TopicPartition(topic, 0);
        return stack.kafka().admin().listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition)
                .get().offset();
    }

    private static void alterTopic(Stack stack, String topic, Map<String, String> settings) throws Exception {
        List<AlterConfigOp> ops = new ArrayList<>();
        settings.forEach((key, value) -> ops.add(new AlterConfigOp(new ConfigEntry(key, value),
                AlterConfigOp.OpType.SET)));
        stack.kafka().admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
                ops)).all().get();
    }

    /**
     * As {@link #produce}, at {@code perSecond} events per second over the partitions together (sent without waiting
     * for each acknowledgement); logs the rate reached.
     */
    private static void producePaced(Stack stack, String application, int perPartition, int perSecond) {
        KafkaProducer<byte[], byte[]> producer = stack.events().producer();
        long start = System.nanoTime();
        long sent = 0;
        for (int seq = 0; seq < perPartition; seq++) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                ProducerRecord<byte[], byte[]> record = Events.binaryRecord(topic(application),
                        Events.event(application, "d").withId("r-" + partition + "-" + seq)
                                .withData("{\"p\":" + partition + ",\"seq\":" + seq + "}"));
                producer.send(new ProducerRecord<>(topic(application), partition, record.key(), record.value(),
                        record.headers()));
                sent++;
                long due = start + sent * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
        producer.flush();
        double seconds = (System.nanoTime() - start) / 1e9;
        LoggerFactory.getLogger(ResumeIT.class).info("produced {} events in {} s: {} events/s", sent,
                String.format("%.2f", seconds), Math.round(sent / seconds));
    }

    /** {@code perPartition} events to each partition: ids {@code r-<partition>-<seq>}, seq from 0. */
    private static void produce(Stack stack, String application, int perPartition) {
        produceFrom(stack, application, 0, perPartition);
    }

    private static void produceFrom(Stack stack, String application, int from, int until) {
        for (int seq = from; seq < until; seq++) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                sink.sendTo(topic(application), partition, Events.event(application, "d")
                        .withId("r-" + partition + "-" + seq)
                        .withData("{\"p\":" + partition + ",\"seq\":" + seq + "}"));
            }
        }
    }

    private static void bulkProduce(Stack stack, String application, int count) throws Exception {
        String padding = "x".repeat(300);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 20), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                ProducerRecord<byte[], byte[]> record = Events.binaryRecord(topic(application),
                        Events.event(application, "bulk").withId("b-" + i).withData("{\"pad\":\"" + padding + "\"}"));
                producer.send(new ProducerRecord<>(topic(application), 0, record.key(), record.value(),
                        record.headers()));
            }
            producer.flush();
        }
    }

    /** What a client got: events by id, and the order within each partition. */
    private static final class Received {
        final Map<String, Integer> counts = new ConcurrentHashMap<>();
        final Map<Integer, List<Integer>> sequences = new HashMap<>();
        String lastCursor;

        int count() {
            return counts.size();
        }

        /** Takes a frame: checks its cursor and records it if it is one of the test's events; returns the cursor. */
        String take(String frame, String context) {
            JsonNode event = json(frame);
            String cursor = event.path("wsbridgecursor").asText();
            assertThat(cursor).as("cursor of %s (%s)", frame, context).matches("[A-Za-z0-9_-]+");
            lastCursor = cursor;
            String id = event.path("id").asText();
            if (id.startsWith("r-")) {
                counts.merge(id, 1, Integer::sum);
                sequences.computeIfAbsent(event.path("data").path("p").asInt(), p -> new ArrayList<>())
                        .add(event.path("data").path("seq").asInt());
            }
            return cursor;
        }

        void awaitCount(WsClient ws, int count) {
            await("events").atMost(WAIT).pollInterval(Duration.ZERO).until(() -> {
                ws.nextFrame(Duration.ofMillis(200)).ifPresent(frame -> take(frame, ""));
                return count() >= count;
            });
        }

        void assertEveryEventOnceInOrder(int perPartition, String context) {
            assertEveryEventOnceInOrder(0, perPartition, context);
        }

        void assertEveryEventOnceInOrder(int from, int until, String context) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                List<Integer> expected = new ArrayList<>();
                for (int seq = from; seq < until; seq++) {
                    expected.add(seq);
                }
                assertThat(sequences.getOrDefault(partition, List.of()))
                        .as("partition %s, each event once and in order (%s)", partition, context)
                        .isEqualTo(expected);
            }
            assertThat(counts.values()).as("no event twice (%s)", context).allMatch(n -> n == 1);
        }
    }
}
