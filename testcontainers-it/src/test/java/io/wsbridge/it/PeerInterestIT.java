package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ClusterExamples;
import io.wsbridge.it.harness.ConnectRest;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.ManyWsClients;
import io.wsbridge.it.harness.WsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A large interest on the peer links, with two real Connect workers in cluster mode (the shipped cluster examples) and
 * real sockets: one worker runs the connector's only task (the consumer), the other (the puller) holds
 * {@link #subscribers()} subscribers, each in a group of its own on a channel of its own, both names as long as allowed
 * and of characters JSON escapes ({@code "} and {@code \}: 510 characters each in an interest message). Their interest
 * reaches the consumer in bounded deltas as they connect, and, when the consumer comes back after a crash, as a
 * snapshot in bounded parts; every subscriber gets the event of its channel through the link each time, and the link
 * is never closed for a message too big (1009).
 *
 * <p>Before version 2 of the interest messages the whole interest went out as one message after every change, and a
 * link closed with 1009, again and again, once it passed 16 MiB: with these names from about 15,900 subscribers. The
 * normal suite runs 2,000 (about 2 MiB of interest); {@link PeerInterestHeavyIT} runs 17,000, which the old messages
 * could not carry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PeerInterestIT {

    private static final Logger LOG = LoggerFactory.getLogger(PeerInterestIT.class);
    private static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2");
    private static final String GROUP = "wsbridge-interest-it";
    private static final String CONNECTOR = "ws-interest";
    private static final String APPLICATION = "interest-app";
    private static final String TOPIC = "events-" + APPLICATION;
    private static final List<String> SOURCE_ADDRESSES = IntStream.rangeClosed(1, 8).mapToObj(i -> "127.0.0." + i)
            .toList();
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int MAX_NAME_LENGTH = 255;
    private static final int CHUNK_BYTES = 64 * 1024;

    private KafkaBroker kafka;
    private final Map<String, ConnectWorker> workers = new LinkedHashMap<>();
    private Events events;
    private int port;
    private int opsPort;
    private String consumer;
    private String puller;
    private ManyWsClients members;
    private WsClient plain;

    /** Subscribers on the pulling worker, each in a group of its own. */
    int subscribers() {
        return 2_000;
    }

    static String channel(int i) {
        String prefix = "c" + i + "-";
        return prefix + "\"".repeat(MAX_NAME_LENGTH - prefix.length());
    }

    static String group(int i) {
        String prefix = "g" + i + "-";
        return prefix + "\\".repeat(MAX_NAME_LENGTH - prefix.length());
    }

    static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @BeforeAll
    void startCluster() throws Exception {
        kafka = new KafkaBroker().start();
        kafka.createTopic(TOPIC, 1);
        port = ClusterExamples.portFreeOnEvery(HOSTS);
        do {
            opsPort = ClusterExamples.portFreeOnEvery(HOSTS);
        } while (opsPort == port);
        Path secrets = ClusterExamples.secretsFile("interest-secrets",
                "it-interest-secret-" + Long.toHexString(System.nanoTime()));
        // A crashed worker is noticed soon, and its task waits for it to come back rather than moving.
        ClusterExamples.startWorkers(kafka, HOSTS, GROUP, Map.of("scheduled.rebalance.max.delay.ms", "90000",
                "offset.flush.interval.ms", "1000"), workers);
        events = new Events(kafka.bootstrapServers());

        Map<String, String> config = ClusterExamples.connectorConfig(TOPIC, 1, port, opsPort, APPLICATION, secrets);
        config.put("websocket.max.connections", Integer.toString(subscribers() + 100));
        config.put("websocket.max.connections.per.address", Integer.toString(subscribers() + 100));
        config.put("consumer.override.session.timeout.ms", "6000");
        config.put("consumer.override.heartbeat.interval.ms", "1000");
        rest().createConnector(CONNECTOR, config);
        rest().awaitRunning(CONNECTOR, 1);
        String worker = rest().status(CONNECTOR).tasks().get(0).workerId();
        consumer = worker.substring(0, worker.lastIndexOf(':'));
        puller = HOSTS.stream().filter(host -> !host.equals(consumer)).findFirst().orElseThrow();
        awaitLink();
        LOG.info("cluster up: the task on {}, subscribers on {}", consumer, puller);
    }

    @AfterAll
    void stopCluster() {
        if (members != null) {
            members.close();
        }
        if (plain != null) {
            plain.close();
        }
        if (events != null) {
            events.close();
        }
        ClusterExamples.stopWorkers(workers.values());
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Order(1)
    void subscribersWithLongGroupAndChannelNamesJoinInBoundedDeltasAndGetTheirEventsThroughTheLink()
            throws Exception {
        int count = subscribers();
        long started = System.nanoTime();
        members = ManyWsClients.open(puller, port,
                i -> "/" + APPLICATION + "/" + encode(channel(i)) + "?group_id=" + encode(group(i)), count,
                SOURCE_ADDRESSES, "ev-");
        members.awaitOpen(WAIT);
        plain = WsClient.awaitConnect(URI.create("ws://" + puller + ":" + port + "/" + APPLICATION), Map.of(), WAIT);
        await("proxies of " + (count + 1) + " subscriptions of " + puller + " on " + consumer).atMost(WAIT)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> ops(consumer).metrics().value("wsbridge_peer_subscriptions", "application", APPLICATION)
                        == count + 1);
        LOG.info("{} subscribers connected and announced in {} ms", count, (System.nanoTime() - started) / 1_000_000);

        produceOneEventPerChannel(0);

        members.awaitEveryConnectionReceived(1, WAIT);
        assertThat(plain.awaitFrames(count, WAIT)).hasSize(count);
        assertThat(members.sequenceErrors()).as("%s", members).isZero();
        assertThat(members.maxReceived()).as("each member only the event of its channel").isEqualTo(1);
        BridgeHttp.Scrape scrape = ops(consumer).metrics();
        String peer = puller + ":" + port;
        double deltas = scrape.value("wsbridge_peer_interest_messages_total", "peer", peer, "type", "delta");
        double bytes = scrape.value("wsbridge_peer_interest_bytes_total", "peer", peer);
        LOG.info("interest of {} subscribers: {} deltas, {} bytes", count, deltas, bytes);
        assertThat(bytes).as("interest bytes received from %s", peer).isGreaterThan(count * 1_000.0);
        assertThat(deltas).as("deltas of at most 64 KiB").isGreaterThanOrEqualTo(bytes / CHUNK_BYTES);
        assertThat(scrape.value("wsbridge_peer_interest_resyncs_total", "peer", peer)).isZero();
        assertThat(ops(puller).metrics().value("wsbridge_peer_link", "peer", consumer + ":" + port)).isEqualTo(1);
        assertLinkNeverTooBig();
        assertThat(Files.readString(workers.get(puller).logFile())).as("the link of %s", puller)
                .doesNotContain("Link to peer " + consumer + ":" + port + " closed");
    }

    @Test
    @Order(2)
    void whenTheConsumerComesBackTheInterestGoesOutAgainAsASnapshotInBoundedParts() throws Exception {
        int count = subscribers();
        awaitCommitted(count);
        LOG.info("killing the worker on {} and starting it again", consumer);
        workers.get(consumer).kill();
        workers.get(consumer).start();
        rest().awaitStatus(CONNECTOR, WAIT, "with its task back on " + consumer,
                status -> status.isRunning(1) && status.tasks().get(0).workerId().startsWith(consumer + ":"));
        awaitLink();
        await("proxies of " + (count + 1) + " subscriptions of " + puller + " on " + consumer).atMost(WAIT)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> ops(consumer).metrics().value("wsbridge_peer_subscriptions", "application", APPLICATION)
                        == count + 1);

        produceOneEventPerChannel(1);

        members.awaitEveryConnectionReceived(2, WAIT);
        assertThat(plain.awaitFrames(count, WAIT)).hasSize(count);
        assertThat(members.sequenceErrors()).as("%s", members).isZero();
        assertThat(members.ended()).as("%s", members).isZero();
        BridgeHttp.Scrape scrape = ops(consumer).metrics();
        String peer = puller + ":" + port;
        double parts = scrape.value("wsbridge_peer_interest_messages_total", "peer", peer, "type", "snapshot");
        double bytes = scrape.value("wsbridge_peer_interest_bytes_total", "peer", peer);
        LOG.info("interest of {} subscribers after the restart: {} snapshot parts, {} bytes", count, parts, bytes);
        assertThat(bytes).as("interest bytes received from %s", peer).isGreaterThan(count * 1_000.0);
        assertThat(parts).as("snapshot parts of at most 64 KiB").isGreaterThanOrEqualTo(bytes / CHUNK_BYTES);
        assertThat(scrape.value("wsbridge_peer_interest_resyncs_total", "peer", peer)).isZero();
        assertLinkNeverTooBig();
    }

    private void produceOneEventPerChannel(int sequence) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < subscribers(); i++) {
            records.add(Events.binaryRecord(TOPIC, Events.event(APPLICATION, "device-" + i).withSubject(channel(i))
                    .withId("ev-" + sequence)));
        }
        sendAll(events, records);
    }

    /** The events sent so far are committed: a restarted task does not deliver them again. */
    private void awaitCommitted(long offset) {
        TopicPartition partition = new TopicPartition(TOPIC, 0);
        await("offset " + offset + " committed").atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin()
                    .listConsumerGroupOffsets("connect-" + CONNECTOR).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            OffsetAndMetadata position = committed.get(partition);
            return position != null && position.offset() >= offset;
        });
    }

    private void awaitLink() {
        await("the link from " + puller + " to " + consumer).atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> ops(puller).metrics().value("wsbridge_peer_link", "peer", consumer + ":" + port) == 1);
    }

    private void assertLinkNeverTooBig() throws Exception {
        for (ConnectWorker worker : workers.values()) {
            assertThat(Files.readString(worker.logFile())).as("the log of %s", worker.host())
                    .doesNotContain("{1009").doesNotContain("MESSAGE_TOO_LARGE").doesNotContain("fresh interest snapshot");
        }
    }

    private ConnectRest rest() {
        return workers.get(puller == null ? HOSTS.get(0) : puller).rest();
    }

    private BridgeHttp ops(String host) {
        return new BridgeHttp(URI.create("http://" + host + ":" + opsPort));
    }
}
