package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscriber replays a backlog of 1,000,000 events from {@code earliest} and reads slowly, while ten live
 * subscribers get the events produced meanwhile: the replay is paced by the slow reader's socket (it is never closed
 * as too slow, and the backlog is not read into memory ahead of it), the live subscribers get every live event once
 * and in order, and in the end the slow reader has the whole backlog once and in order. The live subscribers'
 * produce-to-receive latency without and with the replay running is printed (a figure for {@code BENCHMARKS.md}, not
 * asserted: the machines are shared).
 *
 * <p>Runs only in the Maven profile {@code heavy}. Sizes: {@code -Dit.heavy.replay.backlog=1000000},
 * {@code -Dit.heavy.replay.live.rate=200} (events a second), {@code -Dit.heavy.replay.phase.seconds=20}.
 */
@ExtendWith(StackExtension.class)
class ReplayHeavyIT {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayHeavyIT.class);
    private static final String APP = "replay-heavy";
    private static final String TOPIC = "events-" + APP;
    private static final int BACKLOG = Integer.getInteger("it.heavy.replay.backlog", 1_000_000);
    private static final int LIVE_RATE = Integer.getInteger("it.heavy.replay.live.rate", 200);
    private static final int PHASE_SECONDS = Integer.getInteger("it.heavy.replay.phase.seconds", 20);
    private static final int LIVE_SUBSCRIBERS = 10;
    /** The slow reader takes this many frames, then pauses a millisecond: at most some 20,000 frames a second. */
    private static final int SLOW_BATCH = 20;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aSlowReaderReplayingTheBacklogIsPacedByItsSocketAndTheLiveSubscribersMissNothing(Stack stack)
            throws Exception {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        produceBacklog(stack);
        try (SinkConnector sink = SinkConnector.shipped(stack, "replay-heavy-it", Map.of(
                "topics", TOPIC, "auth.public.applications", APP,
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers(),
                // the task starts at the end: the backlog reaches subscribers only by replay
                "consumer.override.auto.offset.reset", "latest"))) {
            sink.create().awaitRunning();
            sink.awaitFlowing(APP, TOPIC, 1);
            List<WsClient> live = new ArrayList<>();
            try {
                for (int i = 0; i < LIVE_SUBSCRIBERS; i++) {
                    live.add(WsClient.connect(sink.uri("/" + APP), Map.of()));
                }
                sink.awaitSubscribers(APP, LIVE_SUBSCRIBERS);
                run(stack, sink, live);
            } finally {
                live.forEach(WsClient::close);
            }
        }
    }

    private void run(Stack stack, SinkConnector sink, List<WsClient> live) throws Exception {
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> produceLive(stack, producing, sent));
        List<List<Long>> latencies = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Long>> sequences = new ArrayList<>();
        live.forEach(client -> sequences.add(new ArrayList<>()));

        receive(live, sequences, latencies.get(0), PHASE_SECONDS);
        SlowReader reader = new SlowReader(sink);
        CompletableFuture<Void> reading = CompletableFuture.runAsync(reader);
        receive(live, sequences, latencies.get(1), PHASE_SECONDS);
        long readDuringPhase = reader.backlog.get();
        producing.set(false);
        producer.get(30, TimeUnit.SECONDS);
        long total = sent.get();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (sequences.stream().anyMatch(s -> s.size() < total) && System.nanoTime() < deadline) {
            receive(live, sequences, latencies.get(1), 1);
        }

        for (int i = 0; i < live.size(); i++) {
            List<Long> expected = new ArrayList<>();
            for (long seq = 0; seq < total; seq++) {
                expected.add(seq);
            }
            assertThat(sequences.get(i)).as("live subscriber %s: every live event once, in order", i)
                    .isEqualTo(expected);
        }
        reader.fast.set(true);
        reading.get(5, TimeUnit.MINUTES);
        assertThat(reader.failure).as("the slow reader").isNull();
        assertThat(reader.backlog.get()).as("the whole backlog, once and in order").isEqualTo(BACKLOG);
        assertThat(readDuringPhase).as("the replay made progress while the reader was slow").isPositive();
        String figures = String.format(Locale.ROOT, "live latency to %d subscribers at %d events/s: without a replay "
                        + "%s; while a slow reader replays %,d events from earliest (%,d read in %d s) %s",
                LIVE_SUBSCRIBERS, LIVE_RATE, describe(latencies.get(0)), BACKLOG, readDuringPhase, PHASE_SECONDS,
                describe(latencies.get(1)));
        LOG.info(figures);
        System.out.println("ReplayHeavyIT: " + figures);
    }

    /** Reads the live subscribers' frames for {@code seconds}: their sequence numbers and latencies. */
    private static void receive(List<WsClient> live, List<List<Long>> sequences, List<Long> latencies, int seconds) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            boolean any = false;
            for (int i = 0; i < live.size(); i++) {
                Optional<String> frame;
                while ((frame = live.get(i).nextFrame(Duration.ZERO)).isPresent()) {
                    JsonNode event = json(frame.get());
                    if (!event.path("id").asText().startsWith("live-")) {
                        continue; // the connector's probes
                    }
                    latencies.add(System.currentTimeMillis() - event.path("data").path("sentAt").asLong());
                    sequences.get(i).add(event.path("data").path("seq").asLong());
                    any = true;
                }
            }
            if (!any) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static String describe(List<Long> latencies) {
        if (latencies.isEmpty()) {
            return "(no events)";
        }
        List<Long> sorted = latencies.stream().sorted().toList();
        return String.format(Locale.ROOT, "p50 %d ms, p99 %d ms, max %d ms (%,d frames)",
                sorted.get(sorted.size() / 2), sorted.get((int) Math.min(sorted.size() - 1, sorted.size() * 0.99)),
                sorted.get(sorted.size() - 1), sorted.size());
    }

    private static void produceBacklog(Stack stack) {
        String padding = "x".repeat(200);
        long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 20), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < BACKLOG; i++) {
                producer.send(Events.binaryRecord(TOPIC, Events.event(APP, "backlog").withId("b-" + i)
                        .withData("{\"seq\":" + i + ",\"pad\":\"" + padding + "\"}")));
            }
            producer.flush();
        }
        LOG.info("{} backlog events produced in {} ms", BACKLOG, (System.nanoTime() - started) / 1_000_000);
    }

    private static void produceLive(Stack stack, AtomicBoolean producing, AtomicLong sent) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer())) {
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / LIVE_RATE;
            long next = System.nanoTime();
            while (producing.get()) {
                long seq = sent.get();
                ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, Events.event(APP, "live")
                        .withId("live-" + seq)
                        .withData("{\"seq\":" + seq + ",\"sentAt\":" + System.currentTimeMillis() + "}"));
                producer.send(record);
                sent.incrementAndGet();
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A subscriber from {@code earliest} on a small receive buffer that reads slowly until told to read fast. */
    private static final class SlowReader implements Runnable {
        final AtomicLong backlog = new AtomicLong();
        final AtomicBoolean fast = new AtomicBoolean();
        private final SinkConnector sink;
        volatile String failure;

        SlowReader(SinkConnector sink) {
            this.sink = sink;
        }

        @Override
        public void run() {
            try (RawWsClient client = RawWsClient.connect(KafkaBroker.HOST, sink.port(), "/" + APP + "?from=earliest",
                    64 * 1024)) {
                int sinceBreak = 0;
                while (backlog.get() < BACKLOG) {
                    Optional<RawWsClient.Frame> frame = client.read(WAIT);
                    if (frame.isEmpty()) {
                        failure = "the connection ended after " + backlog.get() + " backlog events";
                        return;
                    }
                    switch (frame.get().opcode()) {
                        case RawWsClient.PING -> client.send(RawWsClient.PONG, frame.get().payload());
                        case RawWsClient.CLOSE -> {
                            failure = "closed by the bridge after " + backlog.get() + " backlog events: "
                                    + frame.get().close();
                            return;
                        }
                        case RawWsClient.TEXT -> {
                            JsonNode event = json(frame.get().text());
                            if (event.path("id").asText().startsWith("b-")) {
                                long seq = event.path("data").path("seq").asLong();
                                if (seq != backlog.get()) {
                                    failure = "backlog event " + seq + " where " + backlog.get() + " was next";
                                    return;
                                }
                                backlog.incrementAndGet();
                            }
                        }
                        default -> {
                            // continuation frames are not sent by the bridge
                        }
                    }
                    if (!fast.get() && ++sinceBreak >= SLOW_BATCH) {
                        sinceBreak = 0;
                        Thread.sleep(1);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                failure = e.toString();
            }
        }
    }
}
