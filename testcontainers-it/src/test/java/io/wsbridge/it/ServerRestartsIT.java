package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.idsOf;
import static io.wsbridge.it.ItSupport.receiveIds;
import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.WsClient.CloseStatus;
import io.wsbridge.it.harness.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers around the bridge go away and come back, on a stack of this class's own: after a broker restart the
 * same subscribers get the new events on the same connections, with no task failure; a worker restart closes the
 * subscribers with 1001 (the bridge outlives no JVM) and, once they reconnect, they get the events produced after it;
 * a killed worker (SIGKILL) cuts its connections without a close frame, and once it runs again the same holds.
 * Task restarts, pause and resume, and deleting the connector are {@code TaskRestartIT}'s.
 */
class ServerRestartsIT {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRestartsIT.class);
    private static final String APP = "restarts-it";
    private static final String TOPIC = "events-" + APP;
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** A consumer finds a restarted broker, and a restarted worker its tasks, in well under this; slow CI included. */
    private static final Duration RECOVERY = Duration.ofSeconds(180);

    private static Stack stack;
    private static SinkConnector sink;

    @BeforeAll
    static void startStack() {
        stack = Stack.startNew("wsbridge-restarts-it");
        stack.kafka().createTopic(TOPIC, 2);
        // When the broker goes away, Connect stops the task after 3 s without a coordinator and starts it again once
        // the broker is back; the task's consumer then waits for its old membership to expire (45 s by default)
        // before it gets its partitions back. The WebSocket server outlives the pause by websocket.shutdown.grace.ms
        // (30 s), so subscribers stay connected if the broker is back within that.
        sink = SinkConnector.shipped(stack, "restarts-it", Map.of(
                "topics", TOPIC,
                "auth.public.applications", APP,
                "consumer.override.session.timeout.ms", "10000",
                "consumer.override.heartbeat.interval.ms", "2000"));
        sink.create().awaitRunning();
        sink.awaitFlowing(APP, TOPIC, 2);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void afterABrokerRestartNewEventsReachTheSameSubscribersOnTheSameConnections() {
        try (WsClient first = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT);
             WsClient second = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT)) {
            sink.awaitSubscribers(APP, 2);
            List<RecordMetadata> before = sendAndReceive(List.of(first, second), 4);
            awaitCommitted(before);

            stack.kafka().restart();

            List<Events.CloudEvent> after = events(20);
            List<RecordMetadata> sent = sendAll(stack.events(), records(after));
            LOG.info("produced {} events after the broker restart, up to offset {}", after.size(),
                    sent.get(sent.size() - 1).offset());
            for (WsClient client : List.of(first, second)) {
                assertReceived(client, after, RECOVERY);
                assertThat(client.closeStatus()).as("still the same connection").isEmpty();
            }
        }
        ConnectorStatus status = stack.rest().awaitRunning(sink.name(), 1);
        assertThat(status.isRunning(1)).as("%s", status.describe()).isTrue();
    }

    @Test
    void afterAWorkerRestartSubscribersThatReconnectGetTheEventsProducedAfterIt() {
        WsClient first = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT);
        WsClient member = WsClient.awaitConnect(sink.uri("/" + APP + "?group_id=g"), Map.of(), WAIT);
        try {
            sink.awaitSubscribers(APP, 2);
            awaitCommitted(sendAndReceive(List.of(first), 4));
            member.awaitFrames(4, WAIT); // the group's only member

            stack.worker().restart();

            for (WsClient client : List.of(first, member)) {
                CloseStatus closed = client.awaitClose(WAIT);
                LOG.info("the worker's restart ended a subscriber with {}", closed);
                assertThat(closed.code()).as("how the stopping worker ended the connection: %s", closed).isEqualTo(1001);
                assertThat(closed.reason()).isEqualTo("server shutting down");
            }
        } finally {
            first.close();
            member.close();
        }
        stack.rest().awaitRunning(sink.name(), 1);

        try (WsClient first2 = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), RECOVERY);
             WsClient member2 = WsClient.awaitConnect(sink.uri("/" + APP + "?group_id=g"), Map.of(), WAIT)) {
            sink.awaitSubscribers(APP, 2);
            List<Events.CloudEvent> after = events(20);
            sendAll(stack.events(), records(after));
            assertReceived(first2, after, RECOVERY);
            assertReceived(member2, after, WAIT); // the group's only member
        }
        ConnectorStatus status = stack.rest().status(sink.name());
        assertThat(status.isRunning(1)).as("%s", status.describe()).isTrue();
    }

    @Test
    void afterTheWorkerIsKilledSubscribersThatReconnectGetTheEventsProducedAfterIt() {
        WsClient client = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), WAIT);
        try {
            sink.awaitSubscribers(APP, 1);
            awaitCommitted(sendAndReceive(List.of(client), 4));

            stack.worker().kill(); // SIGKILL: no shutdown hook, no close frame, the group learns it from timeouts

            CloseStatus closed = client.awaitClose(WAIT);
            LOG.info("the killed worker's connection ended with {}", closed);
            assertThat(closed.code()).as("a connection cut without a close frame (1006, or an error): %s", closed)
                    .isIn(1006, -1);
        } finally {
            client.close();
        }
        stack.worker().start();
        stack.rest().awaitRunning(sink.name(), 1);

        try (WsClient again = WsClient.awaitConnect(sink.uri("/" + APP), Map.of(), RECOVERY)) {
            sink.awaitSubscribers(APP, 1);
            List<Events.CloudEvent> after = events(20);
            sendAll(stack.events(), records(after));
            // the events before the kill were committed: none comes again, and none of the new ones is missing
            assertReceived(again, after, RECOVERY);
        }
        ConnectorStatus status = stack.rest().status(sink.name());
        assertThat(status.isRunning(1)).as("%s", status.describe()).isTrue();
    }

    /** Sends {@code count} events round-robin over both partitions and waits until every client has them. */
    private static List<RecordMetadata> sendAndReceive(List<WsClient> clients, int count) {
        List<Events.CloudEvent> events = events(count);
        List<RecordMetadata> sent = sendAll(stack.events(), records(events));
        for (WsClient client : clients) {
            assertReceived(client, events, WAIT);
        }
        return sent;
    }

    /**
     * The client receives exactly {@code events}, each partition's (device's) in the order sent, and nothing more:
     * nothing lost, nothing twice.
     */
    private static void assertReceived(WsClient client, List<Events.CloudEvent> events, Duration timeout) {
        List<String> received = receiveIds(client, events.size(), timeout);
        assertThat(received).containsExactlyInAnyOrderElementsOf(idsOf(events));
        for (String device : List.of("device-0", "device-1")) {
            List<String> sent = idsOf(events.stream().filter(event -> event.device().equals(device)).toList());
            assertThat(received.stream().filter(sent::contains).toList()).as("the events of %s in order", device)
                    .containsExactlyElementsOf(sent);
        }
        assertThat(client.nextFrame(Duration.ofMillis(500))).as("no event twice").isEmpty();
    }

    private static List<Events.CloudEvent> events(int count) {
        return IntStream.range(0, count).mapToObj(i -> Events.event(APP, "device-" + i % 2)).toList();
    }

    /** One partition per device, so that the order within a partition is the order of a device's events. */
    private static List<ProducerRecord<byte[], byte[]>> records(List<Events.CloudEvent> events) {
        return events.stream().map(event -> ItSupport.toPartition(Events.binaryRecord(TOPIC, event),
                event.device().endsWith("0") ? 0 : 1)).toList();
    }

    /** Waits until the connector's consumer group has committed past every record. */
    private static void awaitCommitted(List<RecordMetadata> records) {
        await("offsets of " + records.size() + " records committed by " + sink.name()).atMost(WAIT)
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    Map<TopicPartition, OffsetAndMetadata> offsets = stack.kafka().admin()
                            .listConsumerGroupOffsets("connect-" + sink.name())
                            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    return records.stream().allMatch(record -> {
                        OffsetAndMetadata committed = offsets.get(new TopicPartition(record.topic(), record.partition()));
                        return committed != null && committed.offset() > record.offset();
                    });
                });
    }
}
