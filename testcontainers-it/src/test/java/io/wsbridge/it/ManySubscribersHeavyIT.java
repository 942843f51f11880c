package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.JvmDiagnostics;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.ManyWsClients;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.TcpConnections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ten thousand subscribers of one application held while events flow: every subscriber gets every event, in order
 * (each connection checks every event's sequence number: no sampling), nobody is closed, the worker's live heap does
 * not grow while events flow and stays well below its maximum, and once the clients close the bridge counts no
 * connection and holds no socket. The clients are {@link ManyWsClients}, all on one selector thread.
 *
 * <p>Runs only in the Maven profile {@code heavy} ({@code mvn -B -Pheavy verify}; {@code .ci/run} runs it after the
 * main build). Needs {@code ulimit -n} above the number of subscribers for the test JVM and the worker (a JVM raises
 * its soft limit to the hard one). Sizes: {@code -Dit.heavy.subscribers=10000}, {@code -Dit.heavy.hold.seconds=60},
 * {@code -Dit.heavy.events.per.second=20} (sent as one burst a second: 200,000 frames a second to deliver, which a
 * worker on a busy two-core machine keeps up with; at 50 it falls behind there, and the default queue of 1,024 events
 * would soon close the slowest subscribers. Throughput is the benchmarks' subject, not this test's).
 */
@ExtendWith(StackExtension.class)
class ManySubscribersHeavyIT {

    private static final Logger LOG = LoggerFactory.getLogger(ManySubscribersHeavyIT.class);
    private static final String APP = "many-subscribers";
    private static final String TOPIC = "events-" + APP;
    private static final int SUBSCRIBERS = Integer.getInteger("it.heavy.subscribers", 10_000);
    private static final int HOLD_SECONDS = Integer.getInteger("it.heavy.hold.seconds", 60);
    private static final int EVENTS_PER_SECOND = Integer.getInteger("it.heavy.events.per.second", 20);
    private static final List<String> SOURCE_ADDRESSES = IntStream.rangeClosed(1, 8).mapToObj(i -> "127.0.0." + i).toList();
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final long MB = 1024 * 1024;

    @Test
    void tenThousandSubscribersGetEveryEventWhileTheWorkersHeapStaysBounded(Stack stack) {
        long pid = stack.worker().pid();
        assertThat(JvmDiagnostics.openFilesLimit(pid)).as("the worker's open-file limit (ulimit -n)")
                .isGreaterThan(SUBSCRIBERS + 2_000L);
        assertThat(JvmDiagnostics.openFilesLimit(ProcessHandle.current().pid())).as("this JVM's open-file limit (ulimit -n)")
                .isGreaterThan(SUBSCRIBERS + 1_000L);
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        try (SinkConnector sink = SinkConnector.shipped(stack, "many-subscribers-heavy-it", Map.of(
                "topics", TOPIC,
                "auth.public.applications", APP,
                // every subscriber from a handful of loopback addresses, the probes besides
                "websocket.max.connections", Integer.toString(SUBSCRIBERS + 100),
                "websocket.max.connections.per.address", Integer.toString(SUBSCRIBERS + 100)))) {
            sink.create().awaitRunning().awaitFlowing(APP, TOPIC, 1);
            JvmDiagnostics.Histogram idle = JvmDiagnostics.liveHistogram(pid);
            long files = JvmDiagnostics.openFiles(pid);
            long maxHeap = JvmDiagnostics.maxHeapBytes(pid);

            long connecting = System.nanoTime();
            try (ManyWsClients clients = ManyWsClients.open(KafkaBroker.HOST, sink.port(), "/" + APP, SUBSCRIBERS,
                    SOURCE_ADDRESSES, "heavy-")) {
                clients.awaitOpen(WAIT);
                await("the bridge registering " + SUBSCRIBERS + " subscribers").atMost(WAIT)
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> sink.metric("wsbridge_subscribers", "application", APP) == SUBSCRIBERS);
                LOG.info("{} subscribers connected and registered in {} ms", SUBSCRIBERS,
                        (System.nanoTime() - connecting) / 1_000_000);
                JvmDiagnostics.Histogram connected = JvmDiagnostics.liveHistogram(pid);
                LOG.info("worker live heap: {} MB idle, {} MB with {} subscribers ({} bytes each); max {} MB",
                        idle.totalMegabytes(), connected.totalMegabytes(), SUBSCRIBERS,
                        (connected.totalBytes() - idle.totalBytes()) / SUBSCRIBERS, maxHeap / MB);

                List<Long> heapWhileFlowing = new ArrayList<>();
                int sent = 0;
                long start = System.nanoTime();
                for (int second = 0; second < HOLD_SECONDS; second++) {
                    int from = sent;
                    sendAll(stack.events(), IntStream.range(from, from + EVENTS_PER_SECOND)
                            .mapToObj(i -> Events.binaryRecord(TOPIC, Events.event(APP, "device-1").withId("heavy-" + i)))
                            .toList());
                    sent += EVENTS_PER_SECOND;
                    if (second % 20 == 19) {
                        long live = JvmDiagnostics.liveHistogram(pid).totalBytes();
                        heapWhileFlowing.add(live);
                        LOG.info("after {} s: {} events sent, received {} on average and {} at least, live heap {} MB",
                                second + 1, sent, clients.frames() / SUBSCRIBERS, clients.minReceived(), live / MB);
                    }
                    sleepUntil(start + (second + 1) * 1_000_000_000L);
                    assertThat(clients.ended()).as("connections ended while events flow: %s", clients).isZero();
                }
                clients.awaitEveryConnectionReceived(sent, WAIT);
                LOG.info("every subscriber received all {} events: {}", sent, clients);

                assertThat(clients.sequenceErrors()).as("events missing, twice or out of order: %s", clients).isZero();
                assertThat(clients.maxReceived()).as("no event beyond those sent").isEqualTo(sent);
                assertThat(clients.ended()).as("%s", clients).isZero();
                for (long live : heapWhileFlowing) {
                    assertThat(live).as("live heap while events flow, against %d MB with idle subscribers",
                            connected.totalMegabytes()).isLessThan(connected.totalBytes() + 64 * MB);
                }
                assertThat(connected.totalBytes()).as("live heap with %d subscribers", SUBSCRIBERS)
                        .isLessThan(maxHeap * 3 / 4);
                assertThat(connected.instances("io.wsbridge.bridge.ws.Subscriber")).isGreaterThanOrEqualTo(SUBSCRIBERS);

                clients.closeAll();
                await("every subscriber closed").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                        .until(() -> sink.metric("wsbridge_connections") == 0);
            }
            await("the worker holding no socket of them").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                    .until(() -> TcpConnections.openOnServer(sink.port()) <= 2); // /metrics scrapes may keep one or two
            await("the worker's open files back to " + files + " or about").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                    .until(() -> JvmDiagnostics.openFiles(pid) <= files + 50);
            JvmDiagnostics.Histogram closed = JvmDiagnostics.liveHistogram(pid);
            LOG.info("worker live heap after all closed: {} MB", closed.totalMegabytes());
            assertThat(closed.instances("io.wsbridge.bridge.ws.Subscriber")).as("live subscribers after all closed")
                    .isLessThanOrEqualTo(idle.instances("io.wsbridge.bridge.ws.Subscriber"));
            ConnectorStatus status = stack.rest().status(sink.name());
            assertThat(status.isRunning(1)).as("task still RUNNING: %s", status.describe()).isTrue();
        }
    }

    private static void sleepUntil(long nanoTime) {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            try {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
