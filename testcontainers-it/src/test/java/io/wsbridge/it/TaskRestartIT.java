package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient.CloseStatus;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebSocket server outlives its task: restarting, pausing and resuming the task keeps subscribers
 * connected; deleting the connector closes them and frees the port.
 */
@ExtendWith(StackExtension.class)
class TaskRestartIT {

    private static final String APP = "restart-it";
    private static final String TOPIC = "events-" + APP;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Default grace period (30 s): the server outlives a task restart. */
    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        sink = SinkConnector.startedForPublicApplication(stack, "restart-it", APP);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void restartingTheTaskKeepsSubscribersConnected(Stack stack) {
        try (WsClient ws = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            RecordMetadata before = sendAndReceive(stack, ws);
            // so that the restarted task resumes where this one stopped, not at "latest"
            awaitCommitted(stack, sink, before);
            // Connect's own log line for each new instance of the task
            String instantiated = "Instantiated task " + sink.name() + "-0 ";
            long instancesBefore = sink.workerLogLines(instantiated);

            stack.rest().restartTask(sink.name(), 0);
            await("a new task instance").atMost(WAIT).until(() -> sink.workerLogLines(instantiated) > instancesBefore);
            stack.rest().awaitRunning(sink.name(), 1);

            Events.CloudEvent after = Events.event(APP, "device-1");
            stack.events().sendBinary(TOPIC, after);
            assertThat(ids(ws.awaitFrames(1, WAIT))).as("an event produced after the restart, on the same connection")
                    .containsExactly(after.id());
            assertThat(ws.closeStatus()).as("the subscriber was never disconnected").isEmpty();
        }
    }

    @Test
    void pausingAndResumingKeepsSubscribersConnected(Stack stack) {
        try (WsClient ws = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            sendAndReceive(stack, ws);

            stack.rest().pause(sink.name());
            stack.rest().awaitStatus(sink.name(), WAIT, "PAUSED", status -> "PAUSED".equals(status.state())
                    && status.tasks().stream().allMatch(task -> "PAUSED".equals(task.state())));
            Events.CloudEvent whilePaused = Events.event(APP, "device-1");
            stack.events().sendBinary(TOPIC, whilePaused);
            assertThat(ws.nextFrame(Duration.ofSeconds(2))).as("nothing is delivered while paused").isEmpty();

            stack.rest().resume(sink.name());
            stack.rest().awaitRunning(sink.name(), 1);
            assertThat(ids(ws.awaitFrames(1, WAIT))).as("the event held back while paused, on the same connection")
                    .containsExactly(whilePaused.id());
            sendAndReceive(stack, ws);
            assertThat(ws.closeStatus()).isEmpty();
        }
    }

    @Test
    void deletingTheConnectorClosesSubscribersAndFreesThePort(Stack stack) {
        String app = "restart-it-deleted";
        SinkConnector deleted = SinkConnector.shipped(stack, "restart-it-deleted", Map.of(
                "topics.regex", TOPIC,
                "auth.public.applications", app,
                "websocket.shutdown.grace.ms", "0"));
        try {
            deleted.create().awaitRunning();
            try (WsClient ws = WsClient.awaitConnect(deleted.uri("/" + app), Map.of(), WAIT)) {
                deleted.awaitSubscribers(app, 1);

                stack.rest().delete(deleted.name());

                CloseStatus closed = ws.awaitClose(WAIT);
                assertThat(closed.code()).as("close status %s", closed).isEqualTo(1001);
            }
            await("port " + deleted.port() + " free again").atMost(Duration.ofSeconds(10))
                    .until(() -> canBind(deleted.port()));
            assertThat(stack.rest().connectors()).doesNotContain(deleted.name());
        } finally {
            deleted.close();
        }
    }

    /** Sends an event and waits until it arrives: the task is consuming. */
    private static RecordMetadata sendAndReceive(Stack stack, WsClient ws) {
        Events.CloudEvent event = Events.event(APP, "device-1");
        RecordMetadata sent = stack.events().sendBinary(TOPIC, event);
        assertThat(ids(ws.awaitFrames(1, WAIT))).containsExactly(event.id());
        return sent;
    }

    private static void awaitCommitted(Stack stack, SinkConnector connector, RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        await("offset " + (record.offset() + 1) + " of " + partition + " committed by " + connector.name())
                .atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                    Map<TopicPartition, OffsetAndMetadata> offsets = stack.kafka().admin()
                            .listConsumerGroupOffsets("connect-" + connector.name())
                            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    OffsetAndMetadata committed = offsets.get(partition);
                    return committed != null && committed.offset() > record.offset();
                });
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(KafkaBroker.HOST))) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }
}
