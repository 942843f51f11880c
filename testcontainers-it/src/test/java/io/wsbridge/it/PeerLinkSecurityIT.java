package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ClusterExamples;
import io.wsbridge.it.harness.ConnectRest;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ImpostorPeer;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.PeerCredentials;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The peer handshake attacked on two real Connect workers in cluster mode (127.0.0.1 and 127.0.0.2, the shipped
 * cluster examples): the connector has one task, so one worker consumes and the other links to it for its
 * subscriber. Credentials captured for one worker are refused by the other, and once the consuming worker is dead,
 * something answering on its address without the cluster secret gets no event to the other worker's subscriber.
 *
 * <p>The tests run in order on the same cluster; the last one kills the consuming worker. Its task stays assigned to
 * it in Connect's view for the rest of the run ({@code scheduled.rebalance.max.delay.ms}), so the other worker keeps
 * linking to its address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PeerLinkSecurityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2");
    private static final String GROUP = "wsbridge-peer-security-it";
    private static final String CONNECTOR = "ws-peer-security";
    private static final String APPLICATION = "peer-app";
    private static final String TOPIC = "events-" + APPLICATION;
    private static final String SECRET = "it-peer-secret-" + Long.toHexString(System.nanoTime());
    private static final String PEER_PATH = "/_wsbridge/peer?node=it-capture%3A1";
    private static final Duration CONVERGE = Duration.ofSeconds(30);

    private KafkaBroker kafka;
    private final Map<String, ConnectWorker> workers = new LinkedHashMap<>();
    private Events events;
    private int port;
    private int opsPort;
    private String consumer;
    private String puller;
    private WsClient subscriber;
    private ImpostorPeer impostor;

    @BeforeAll
    void startCluster() throws Exception {
        kafka = new KafkaBroker().start();
        kafka.createTopic(TOPIC, 2);
        port = ClusterExamples.portFreeOnEvery(HOSTS);
        do {
            opsPort = ClusterExamples.portFreeOnEvery(HOSTS);
        } while (opsPort == port);
        Path secrets = ClusterExamples.secretsFile("peer-security-secrets", SECRET);
        // A dead worker keeps its task in Connect's view for the whole run: its peers keep linking to its address.
        ClusterExamples.startWorkers(kafka, HOSTS, GROUP, Map.of("scheduled.rebalance.max.delay.ms", "600000"), workers);
        events = new Events(kafka.bootstrapServers());

        rest().createConnector(CONNECTOR, ClusterExamples.connectorConfig(TOPIC, 1, port, opsPort, APPLICATION,
                secrets));
        rest().awaitRunning(CONNECTOR, 1);
        String workerId = rest().status(CONNECTOR).tasks().get(0).workerId();
        consumer = workerId.substring(0, workerId.lastIndexOf(':'));
        puller = HOSTS.stream().filter(host -> !host.equals(consumer)).findFirst().orElseThrow();
        for (String host : HOSTS) {
            await("the bridge on " + host + ":" + port).atMost(CONVERGE).ignoreExceptions()
                    .until(() -> bridge(host).get("/healthz").status() == 200);
        }
        subscriber = WsClient.awaitConnect(URI.create("ws://" + puller + ":" + port + "/" + APPLICATION), Map.of(),
                CONVERGE);
        await("the subscriber on " + puller + " known on " + consumer).atMost(CONVERGE).ignoreExceptions()
                .until(() -> ops(consumer).metrics().value("wsbridge_peer_subscriptions", "application",
                        APPLICATION) == 1);
    }

    @AfterAll
    void stopCluster() throws IOException {
        if (subscriber != null) {
            subscriber.close();
        }
        if (impostor != null) {
            impostor.close();
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
    void aHandshakeForOneWorkerIsRefusedByTheOtherAndTheRightOneProvesItself() throws Exception {
        PeerCredentials forConsumer = PeerCredentials.of(SECRET, "it-capture:1", consumer + ":" + port);

        assertThat(status(puller, forConsumer.authorization())).as("replayed to the other worker").isEqualTo(403);
        try (RawWsClient link = RawWsClient.attempt(consumer, port, PEER_PATH,
                Map.of("Authorization", forConsumer.authorization()))) {
            assertThat(link.handshake().status()).as("at the worker it names").isEqualTo(101);
            assertThat(link.handshake().headers().get("wsbridge-peer-proof")).as("the consumer proves the secret")
                    .isEqualTo(forConsumer.proof());
        }
        assertThat(status(consumer, forConsumer.authorization())).as("replayed to the worker it names").isEqualTo(401);
        assertThat(status(consumer, "WsBridgePeer v1." + System.currentTimeMillis() + ".bm9uY2Uxx.bWFj"))
                .as("the old format").isEqualTo(401);

        assertThat(Files.readString(workers.get(puller).logFile()))
                .contains("credentials addressed to another worker, " + consumer + ":" + port)
                .doesNotContain(SECRET);
        assertThat(Files.readString(workers.get(consumer).logFile()))
                .contains("replayed credentials")
                .contains("credentials of peer link protocol v1, from an older wsbridge version")
                .doesNotContain(SECRET);
    }

    @Test
    @Order(2)
    void theWorkersLinkStillCarriesTheConsumersEvents() throws Exception {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Events.CloudEvent event = Events.event(APPLICATION, "device-" + i).withId("live-" + i);
            ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, event);
            events.producer().send(record).get();
            sent.add(event.id());
        }

        assertThat(subscriber.awaitFrames(10, CONVERGE).stream().map(PeerLinkSecurityIT::id).toList())
                .as("events consumed on %s, delivered on %s", consumer, puller)
                .containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    @Order(3)
    void nothingAnsweringOnADeadWorkersAddressGetsAnEventToASubscriber() throws Exception {
        workers.get(consumer).kill();
        String forged = "{\"specversion\":\"1.0\",\"id\":\"forged-by-impostor\",\"source\":\"impostor\","
                + "\"type\":\"forged\",\"application\":\"" + APPLICATION + "\"}";
        await("the dead worker's port " + consumer + ":" + port + " taken over").atMost(CONVERGE)
                .until(() -> {
                    try {
                        impostor = new ImpostorPeer(consumer, port, APPLICATION, forged);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });

        List<String> received = new ArrayList<>();
        await("attempts of " + puller + " to link to the impostor").atMost(Duration.ofSeconds(60))
                .until(() -> {
                    subscriber.nextFrame(Duration.ofMillis(200)).ifPresent(received::add);
                    return !received.isEmpty() || impostor.closes().size() >= 4;
                });

        assertThat(received).as("what reached the subscriber on %s", puller).isEmpty();
        assertThat(impostor.closes()).as("%s closes every unproven link: policy violation", puller)
                .allMatch(code -> code == 1008);
        assertThat(impostor.requests()).allSatisfy(request -> assertThat(request.get("authorization"))
                .startsWith("WsBridgePeer v2.").doesNotContain(SECRET));
        assertThat(ops(puller).metrics().value("wsbridge_peer_link", "peer", consumer + ":" + port)).isZero();
        assertThat(Files.readString(workers.get(puller).logFile()))
                .contains("Refusing the link to peer " + consumer + ":" + port
                        + ": its answer carries no WsBridge-Peer-Proof")
                .contains("Refusing the link to peer " + consumer + ":" + port + ": its WsBridge-Peer-Proof is wrong")
                .doesNotContain(SECRET);
        assertThat(rest().status(CONNECTOR).tasks().get(0).workerId())
                .as("in Connect's view the dead worker still consumes, so its address is still a peer")
                .startsWith(consumer + ":");
    }

    private int status(String host, String authorization) {
        try (RawWsClient attempt = RawWsClient.attempt(host, port, PEER_PATH, Map.of("Authorization", authorization))) {
            return attempt.handshake().status();
        }
    }

    private ConnectRest rest() {
        return workers.get(puller == null ? HOSTS.get(0) : puller).rest();
    }

    private BridgeHttp bridge(String host) {
        return new BridgeHttp(URI.create("http://" + host + ":" + port));
    }

    private BridgeHttp ops(String host) {
        return new BridgeHttp(URI.create("http://" + host + ":" + opsPort));
    }

    private static String id(String frame) {
        try {
            return JSON.readTree(frame).path("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + frame, e);
        }
    }
}
