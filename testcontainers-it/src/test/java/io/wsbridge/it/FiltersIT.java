package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.ids;
import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code ?filter=} on the real stack: CloudEvents SQL over attributes and extensions of binary and structured events,
 * each distinct expression evaluated once per event whatever the number of its subscribers, failures counted, groups
 * keyed by their filter, and bad expressions refused with 400 and the parser's message.
 */
@ExtendWith(StackExtension.class)
class FiltersIT {

    private static final String APP = "filters-it";
    private static final String TOPIC = "events-" + APP;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration QUIET = Duration.ofMillis(500);

    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        // with a Kafka connection of its own, for the replayed stream
        sink = SinkConnector.shipped(stack, "filters-it", Map.of("topics.regex", TOPIC, "auth.public.applications", APP,
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers()));
        sink.create().awaitRunning();
        sink.awaitFlowing(APP, TOPIC, 1);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    private static String filtered(String expression) {
        return "/" + APP + "?filter=" + URLEncoder.encode(expression, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Events.CloudEvent event(String device, String subject, String severity) {
        Events.CloudEvent event = Events.event(APP, device).withSubject(subject);
        return severity == null ? event : event.withExtension("severity", severity);
    }

    @Test
    void subscribersGetOnlyTheEventsTheirFilterMatchesEachFilterEvaluatedOncePerEvent(Stack stack) {
        String byDevice = "device = 'device-1'";
        String alarms = "type LIKE 'io.drogue.%' AND subject = 'alarm' AND EXISTS severity AND severity IN ('high')";
        try (WsClient device1 = WsClient.connect(sink.uri(filtered(byDevice)), Map.of());
             WsClient device1Again = WsClient.connect(sink.uri(filtered(byDevice)), Map.of());
             WsClient highAlarms = WsClient.connect(sink.uri(filtered(alarms)), Map.of());
             WsClient everything = WsClient.connect(sink.uri("/" + APP), Map.of())) {
            sink.awaitSubscribers(APP, 4);
            double evaluationsBefore = sink.metric("wsbridge_filter_evaluations_total");
            assertThat(sink.metric("wsbridge_filters")).isEqualTo(2);

            List<Events.CloudEvent> events = List.of(
                    event("device-1", "telemetry", null),
                    event("device-2", "alarm", "high"),
                    event("device-1", "alarm", "low"),
                    event("device-1", "alarm", "high"),
                    event("device-3", "telemetry", null));
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                // both encodings: the filter sees the same attributes and extensions
                records.add(i % 2 == 0 ? Events.binaryRecord(TOPIC, events.get(i))
                        : Events.structuredRecord(TOPIC, events.get(i)));
            }
            sendAll(stack.events(), records);

            assertThat(ids(everything.awaitFrames(5, WAIT))).hasSize(5);
            List<String> device1Ids = List.of(events.get(0).id(), events.get(2).id(), events.get(3).id());
            assertThat(ids(device1.awaitFrames(3, WAIT))).containsExactlyElementsOf(device1Ids);
            assertThat(ids(device1Again.awaitFrames(3, WAIT))).containsExactlyElementsOf(device1Ids);
            assertThat(ids(highAlarms.awaitFrames(2, WAIT)))
                    .containsExactly(events.get(1).id(), events.get(3).id());
            assertThat(device1.nextFrame(QUIET)).isEmpty();
            assertThat(device1Again.nextFrame(Duration.ZERO)).isEmpty();
            assertThat(highAlarms.nextFrame(Duration.ZERO)).isEmpty();

            assertThat(sink.metric("wsbridge_filter_evaluations_total") - evaluationsBefore)
                    .as("two distinct filters, five events: ten evaluations, not fifteen").isEqualTo(10);
        }
    }

    @Test
    void anEvaluationThatFailsDeliversNothingAndIsCounted(Stack stack) {
        try (WsClient typeMismatch = WsClient.connect(sink.uri(filtered("device + 1 = 2")), Map.of())) {
            sink.awaitSubscribers(APP, 1);
            double failuresBefore = sink.metric("wsbridge_filter_failures_total");

            stack.events().sendBinary(TOPIC, event("device-1", "telemetry", null));

            await(() -> sink.metric("wsbridge_filter_failures_total") - failuresBefore == 1);
            assertThat(typeMismatch.nextFrame(QUIET)).isEmpty();
        }
    }

    @Test
    void aGroupWithAFilterIsAnotherGroupThanTheSameGroupIdWithout(Stack stack) {
        String alarms = "subject = 'alarm'";
        try (WsClient filteredMember = WsClient.connect(sink.uri(filtered(alarms) + "&group_id=ops"), Map.of());
             WsClient plainMember = WsClient.connect(sink.uri("/" + APP + "?group_id=ops"), Map.of())) {
            sink.awaitSubscribers(APP, 2);
            Events.CloudEvent alarm = event("device-1", "alarm", "high");
            Events.CloudEvent reading = event("device-1", "telemetry", null);
            sendAll(stack.events(), List.of(Events.binaryRecord(TOPIC, alarm), Events.binaryRecord(TOPIC, reading)));

            assertThat(ids(plainMember.awaitFrames(2, WAIT))).as("the group without a filter gets both")
                    .containsExactly(alarm.id(), reading.id());
            assertThat(ids(filteredMember.awaitFrames(1, WAIT))).containsExactly(alarm.id());
            assertThat(filteredMember.nextFrame(QUIET)).isEmpty();
            assertThat(sink.metric("wsbridge_groups", "application", APP)).isEqualTo(2);
        }
    }

    @Test
    void aReplayedStreamGetsOnlyWhatItsChannelAndFilterMatch(Stack stack) {
        String device = "replay-" + UUID.randomUUID();
        List<Events.CloudEvent> events = List.of(event(device, "alarm", "high"), event(device, "telemetry", null),
                event("device-other", "alarm", "high"), event(device, "alarm", "low"));
        sendAll(stack.events(), events.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());

        String path = "/" + APP + "/alarm?from=earliest&filter="
                + URLEncoder.encode("device = '" + device + "'", StandardCharsets.UTF_8).replace("+", "%20");
        try (WsClient replaying = WsClient.connect(sink.uri(path), Map.of())) {
            assertThat(ids(replaying.awaitFrames(2, WAIT))).as("history: the channel and the filter both apply")
                    .containsExactly(events.get(0).id(), events.get(3).id());
            assertThat(replaying.nextFrame(QUIET)).isEmpty();

            Events.CloudEvent live = event(device, "alarm", "high");
            sendAll(stack.events(), List.of(Events.binaryRecord(TOPIC, event("device-other", "alarm", null)),
                    Events.binaryRecord(TOPIC, live)));
            assertThat(ids(replaying.awaitFrames(1, WAIT))).as("then live, filtered as well").containsExactly(live.id());
        }
    }

    @Test
    void badFiltersAreRefusedWith400AndSayWhyAfterTheCredentialsWereChecked() {
        assertThat(refusal(filtered("device = 'x' AND")))
                .startsWith("400")
                .contains("the filter is not valid CloudEvents SQL at character 17: Cannot parse: mismatched input");
        assertThat(refusal(filtered("device = '" + "x".repeat(1100) + "'")))
                .startsWith("400").contains("the filter is 1111 bytes long; at most 1024 are allowed");
        assertThat(refusal(filtered("(".repeat(40) + "true" + ")".repeat(40))))
                .startsWith("400").contains("the filter nests more than 32 levels deep");
        assertThat(refusal(filtered("true") + "&filter=false"))
                .startsWith("400").contains("filter is given more than once");
        assertThat(refusal("/no-such-app?filter=" + URLEncoder.encode("garbage (", StandardCharsets.UTF_8)))
                .as("an application the client may not read: 404 before the filter is looked at").startsWith("404");
        assertThat(sink.metric("wsbridge_filters")).as("nothing compiled stays").isZero();
    }

    /** The status code and body of a refused upgrade. */
    private static String refusal(String pathAndQuery) {
        String answer = RawWsClient.exchange(KafkaBroker.HOST, sink.port(), RawWsClient.upgradeRequest(
                KafkaBroker.HOST, sink.port(), pathAndQuery, "Connection: close\r\n"));
        String statusLine = answer.substring(0, answer.indexOf("\r\n"));
        return statusLine.split(" ", 3)[1] + " " + answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }

    private static void await(Callable<Boolean> condition) {
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(condition);
    }
}
