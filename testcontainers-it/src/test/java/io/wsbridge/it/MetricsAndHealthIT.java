package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.BridgeHttp.Scrape;
import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ConnectRest;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.JmxAccess;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What an operator sees of the bridge in a real worker: {@code /metrics} (Prometheus text), the task's metrics in
 * Connect's own JMX metrics (KIP-877 plugin metrics), and the {@code /healthz} and {@code /readyz} probes.
 *
 * <p>The connectors run on a worker of their own (on the shared broker) that opens remote JMX, read as monitoring
 * does, through {@link javax.management.remote.JMXConnectorFactory}. Connect 4.3 registers a sink task's plugin
 * metrics as the MBean {@code kafka.connect:type=plugins,connector=<connector>,task=<task>}, one attribute per
 * metric ({@code events-published-total}, {@code connections}, ...), and unregisters it when the task stops.
 */
@ExtendWith(StackExtension.class)
class MetricsAndHealthIT {

    private static final String HOST = "127.0.0.1";
    private static final String CONNECTOR_CLASS = "io.wsbridge.connect.WebSocketSinkConnector";
    private static final String BYTE_ARRAY = "org.apache.kafka.connect.converters.ByteArrayConverter";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Large enough that a few of them fill the TCP buffers between the bridge and a client that does not read. */
    private static final String BIG_DATA = "{\"blob\":\"" + "x".repeat(512 * 1024) + "\"}";

    private static ConnectWorker worker;
    private static JmxAccess jmx;

    @BeforeAll
    static void startAWorkerWithRemoteJmx(Stack stack) {
        int jmxPort = FreePorts.on(HOST);
        worker = new ConnectWorker(stack.kafka(), HOST, "wsbridge-metrics-it", ItEnvironment.pluginPath(), Map.of(),
                JmxAccess.remoteJmxOptions(HOST, jmxPort));
        worker.start();
        jmx = JmxAccess.connect(HOST, jmxPort);
    }

    @AfterAll
    static void stopTheWorker() {
        if (jmx != null) {
            jmx.close();
        }
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void metricsFollowClientsThatConnectReceiveAndAreRefused(Stack stack) {
        Deployment app = deploy(stack, "metrics-flow", Map.of());
        try {
            ObjectName task = app.awaitTaskMBean();
            assertThat(task).as("the plugin metrics MBean of task 0")
                    .isEqualTo(objectName("kafka.connect:type=plugins,connector=metrics-flow,task=0"));
            assertThat(jmx.attributeNames(task)).contains("events-published-total", "errant-records-total",
                    "connections", "events-out-total", "events-dropped-total", "slow-consumer-closes-total",
                    "queue-depth", "upgrades-refused-total");
            Scrape before = app.http.metrics();
            assertThat(before.value("wsbridge_connections")).isZero();
            assertThat(before.find("wsbridge_events_in_total", "application", app.name)).isEmpty();
            assertThat(jmx.number(task, "connections")).contains(0.0);
            assertThat(jmx.number(task, "events-published-total")).contains(0.0);

            try (WsClient first = WsClient.connect(app.uri(), Map.of());
                 WsClient second = WsClient.connect(app.uri(), Map.of())) {
                app.awaitMetrics("two connections", scrape -> scrape.value("wsbridge_connections") == 2
                        && scrape.value("wsbridge_subscribers", "application", app.name) == 2);
                awaitJmx(task, "connections", 2);

                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    Events.CloudEvent event = Events.event(app.name, "device-" + i);
                    stack.events().sendBinary(app.topic, event);
                    ids.add(event.id());
                }
                assertThat(first.awaitFrames(5, WAIT)).extracting(MetricsAndHealthIT::id).containsExactlyElementsOf(ids);
                assertThat(second.awaitFrames(5, WAIT)).extracting(MetricsAndHealthIT::id).containsExactlyElementsOf(ids);
                Scrape received = app.awaitMetrics("5 events in, 10 out",
                        scrape -> scrape.value("wsbridge_events_in_total", "application", app.name) == 5
                                && scrape.value("wsbridge_events_out_total", "application", app.name) == 10);
                assertThat(received.value("wsbridge_dispatch_latency_seconds_count", "application", app.name))
                        .isPositive();
                awaitJmx(task, "events-published-total", 5);
                awaitJmx(task, "events-out-total", 10);

                assertThat(WsClient.attempt(app.uri("/not-public"), Map.of()).status()).isEqualTo(404);
                assertThat(WsClient.attempt(app.uri(), Map.of("Authorization", "Bearer not-a-token")).status())
                        .isEqualTo(401);
                app.awaitMetrics("a 404 and a 401 counted", scrape ->
                        scrape.value("wsbridge_upgrades_refused_total", "status", "404", "reason", "not_found") == 1
                                && scrape.value("wsbridge_upgrades_refused_total", "status", "401", "reason",
                                "unauthorized") == 1);
                awaitJmx(task, "upgrades-refused-total", 2);
                assertThat(app.http.metrics().value("wsbridge_connections")).as("refused upgrades are no connections")
                        .isEqualTo(2);

                first.close();
                app.awaitMetrics("one connection left", scrape -> scrape.value("wsbridge_connections") == 1
                        && scrape.value("wsbridge_subscribers", "application", app.name) == 1);
                awaitJmx(task, "connections", 1);
            }
        } finally {
            app.delete();
        }
        await("the plugin metrics of the deleted connector's task unregistered").atMost(WAIT)
                .until(() -> jmx.names("kafka.connect:type=plugins,connector=metrics-flow,*").isEmpty());
    }

    @Test
    void aSubscriberThatNeverReadsIsClosedAsASlowConsumer(Stack stack) {
        Deployment app = deploy(stack, "metrics-slow", Map.of(
                "websocket.subscriber.queue.size", "2",
                "websocket.subscriber.overflow.policy", "close"));
        try (WsClient stalled = WsClient.connect(app.uri(), Map.of(), false)) {
            ObjectName task = app.awaitTaskMBean();
            app.awaitMetrics("one connection", scrape -> scrape.value("wsbridge_connections") == 1);

            int sent = produceBigEventsUntil(stack, app, "the stalled subscriber closed",
                    scrape -> scrape.value("wsbridge_slow_consumer_closes_total", "application", app.name) == 1);

            Scrape closed = app.awaitMetrics("the stalled subscriber gone, every event in",
                    scrape -> scrape.value("wsbridge_connections") == 0
                            && scrape.value("wsbridge_events_in_total", "application", app.name) == sent);
            assertThat(closed.value("wsbridge_closes_total", "code", "1013")).isEqualTo(1);
            assertThat(closed.value("wsbridge_events_dropped_total", "application", app.name)).isZero();
            awaitJmx(task, "slow-consumer-closes-total", 1);
            awaitJmx(task, "connections", 0);
            awaitJmx(task, "events-published-total", sent);

            stalled.startReading();
            assertThat(stalled.awaitClose(WAIT)).as("the connection ends").isNotNull();
        } finally {
            app.delete();
        }
    }

    @Test
    void dropOldestKeepsTheSubscriberAndCountsWhatItDrops(Stack stack) {
        Deployment app = deploy(stack, "metrics-drop", Map.of(
                "websocket.subscriber.queue.size", "2",
                "websocket.subscriber.overflow.policy", "drop-oldest"));
        try (WsClient stalled = WsClient.connect(app.uri(), Map.of(), false)) {
            ObjectName task = app.awaitTaskMBean();
            app.awaitMetrics("one connection", scrape -> scrape.value("wsbridge_connections") == 1);

            int big = produceBigEventsUntil(stack, app, "events dropped",
                    scrape -> scrape.value("wsbridge_events_dropped_total", "application", app.name) > 0);
            Events.CloudEvent last = Events.event(app.name, "device-last");
            stack.events().sendBinary(app.topic, last);
            int sent = big + 1;

            Scrape dropping = app.awaitMetrics("the last event in",
                    scrape -> scrape.value("wsbridge_events_in_total", "application", app.name) == sent);
            assertThat(dropping.value("wsbridge_connections")).as("still connected").isEqualTo(1);
            assertThat(dropping.value("wsbridge_slow_consumer_closes_total", "application", app.name)).isZero();
            assertThat(dropping.value("wsbridge_queue_depth_events")).as("a full queue").isEqualTo(2);
            assertThat(dropping.value("wsbridge_queue_depth_max_events")).isEqualTo(2);
            assertThat(stalled.closeStatus()).isEmpty();
            assertThat(jmx.number(task, "events-dropped-total")).hasValueSatisfying(dropped -> assertThat(dropped)
                    .isPositive());
            assertThat(jmx.number(task, "queue-depth")).contains(2.0);

            stalled.startReading();
            await("the newest event, kept by drop-oldest, arrives once the client reads").atMost(WAIT)
                    .until(() -> stalled.nextFrame(Duration.ofSeconds(1)).map(MetricsAndHealthIT::id)
                            .filter(last.id()::equals).isPresent());
            Scrape drained = app.awaitMetrics("every event written or dropped", scrape ->
                    scrape.value("wsbridge_events_out_total", "application", app.name)
                            + scrape.value("wsbridge_events_dropped_total", "application", app.name) == sent
                            && scrape.value("wsbridge_queue_depth_events") == 0);
            assertThat(drained.value("wsbridge_events_dropped_total", "application", app.name)).isPositive();
            awaitJmx(task, "events-dropped-total",
                    drained.value("wsbridge_events_dropped_total", "application", app.name));
            assertThat(stalled.closeStatus()).isEmpty();
        } finally {
            app.delete();
        }
    }

    /**
     * {@code /readyz} needs a task attached to the server. Pausing a connector does not stop its tasks in Connect
     * 4.3 (they stay, without records), so the bridge stays ready; stopping the connector ({@code PUT .../stop},
     * state STOPPED) shuts its tasks down, and deleting it too, while the server lingers for
     * {@code websocket.shutdown.grace.ms} with its subscribers: then it is alive but not ready.
     */
    @Test
    void readinessFollowsTheTasksOfTheConnector(Stack stack) {
        Deployment app = deploy(stack, "metrics-ready", Map.of("websocket.shutdown.grace.ms", "120000"));
        ConnectRest rest = worker.rest();
        try (WsClient subscriber = WsClient.connect(app.uri(), Map.of())) {
            assertReady(app);
            assertAlive(app);

            rest.pause(app.name);
            rest.awaitStatus(app.name, WAIT, "PAUSED", status -> "PAUSED".equals(status.state())
                    && status.tasks().size() == 1 && "PAUSED".equals(status.tasks().get(0).state()));
            assertReady(app);

            rest.resume(app.name);
            rest.awaitRunning(app.name, 1);
            rest.stop(app.name);
            rest.awaitStatus(app.name, WAIT, "STOPPED without tasks",
                    status -> "STOPPED".equals(status.state()) && status.tasks().isEmpty());
            awaitNotReady(app);
            assertAlive(app);
            await("the stopped task's plugin metrics unregistered").atMost(WAIT)
                    .until(() -> jmx.names("kafka.connect:type=plugins,connector=" + app.name + ",*").isEmpty());
            assertThat(subscriber.closeStatus()).as("subscribers stay while the server lingers").isEmpty();
            assertThat(app.http.metrics().value("wsbridge_connections")).isEqualTo(1);

            rest.resume(app.name);
            rest.awaitRunning(app.name, 1);
            await("ready again").atMost(WAIT).until(() -> app.http.get("/readyz").status() == 200);
            ObjectName task = app.awaitTaskMBean();
            awaitJmx(task, "connections", 1); // the new task reports the server it found, subscriber included
            Events.CloudEvent event = Events.event(app.name, "device-1");
            stack.events().sendBinary(app.topic, event);
            assertThat(subscriber.awaitFrames(1, WAIT)).extracting(MetricsAndHealthIT::id).containsExactly(event.id());
            awaitJmx(task, "events-published-total", 1);

            rest.delete(app.name);
            awaitNotReady(app);
            assertAlive(app);
            assertThat(subscriber.closeStatus()).isEmpty();
        } finally {
            app.delete();
        }
    }

    // ---- helpers

    private static void assertReady(Deployment app) {
        BridgeHttp.Response ready = app.http.get("/readyz");
        assertThat(ready.status()).as("GET /readyz: " + ready.body()).isEqualTo(200);
        assertThat(json(ready.body()).path("status").asText()).isEqualTo("READY");
    }

    private static void awaitNotReady(Deployment app) {
        BridgeHttp.Response notReady = await("GET /readyz answers 503").atMost(WAIT)
                .until(() -> app.http.get("/readyz"), response -> response.status() == 503);
        JsonNode body = json(notReady.body());
        assertThat(body.path("status").asText()).isEqualTo("NOT_READY");
        assertThat(body.path("reason").asText()).isEqualTo("no task is attached");
    }

    private static void assertAlive(Deployment app) {
        BridgeHttp.Response alive = app.http.get("/healthz");
        assertThat(alive.status()).isEqualTo(200);
        assertThat(json(alive.body()).path("status").asText()).isEqualTo("UP");
    }

    /**
     * Sends big events, a few at a time, until {@code condition} holds on {@code /metrics}; returns how many were
     * sent.
     */
    private static int produceBigEventsUntil(Stack stack, Deployment app, String description,
                                             Predicate<Scrape> condition) {
        int[] sent = {0};
        await(description + " after big events to " + app.topic)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (condition.test(app.http.metrics())) {
                        return true;
                    }
                    for (int i = 0; i < 4; i++) {
                        stack.events().sendBinary(app.topic, Events.event(app.name, "device-big").withData(BIG_DATA));
                        sent[0]++;
                    }
                    return false;
                });
        return sent[0];
    }

    private static void awaitJmx(ObjectName name, String attribute, double expected) {
        AtomicReference<Optional<Double>> last = new AtomicReference<>(Optional.empty());
        try {
            await(name + " " + attribute + " = " + expected).atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        last.set(jmx.number(name, attribute));
                        return last.get().isPresent() && last.get().get() == expected;
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; last value: " + last.get(), e);
        }
    }

    private static Deployment deploy(Stack stack, String name, Map<String, String> settings) {
        Deployment app = new Deployment(name, "events-" + name, FreePorts.on(HOST));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", CONNECTOR_CLASS);
        config.put("tasks.max", "1");
        config.put("topics", app.topic);
        config.put("key.converter", BYTE_ARRAY);
        config.put("value.converter", BYTE_ARRAY);
        config.put("header.converter", BYTE_ARRAY);
        config.put("websocket.host", HOST);
        config.put("websocket.port", Integer.toString(app.port));
        config.put("websocket.shutdown.grace.ms", "1000");
        config.put("auth.public.applications", name);
        // a fresh topic, read from its start: no event is missed while the consumer joins
        config.put("consumer.override.auto.offset.reset", "earliest");
        config.putAll(settings);
        stack.kafka().createTopic(app.topic, 1);
        worker.rest().createConnector(name, config);
        worker.rest().awaitRunning(name, 1);
        return app;
    }

    private static String id(String frame) {
        return json(frame).path("id").asText();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A connector of this test: its application (= connector name), topic and WebSocket port. */
    private static final class Deployment {
        final String name;
        final String topic;
        final int port;
        final BridgeHttp http;

        Deployment(String name, String topic, int port) {
            this.name = name;
            this.topic = topic;
            this.port = port;
            this.http = new BridgeHttp(URI.create("http://" + HOST + ":" + port));
        }

        URI uri() {
            return uri("/" + name);
        }

        URI uri(String path) {
            return URI.create("ws://" + HOST + ":" + port + path);
        }

        /** Finds the task's plugin metrics as monitoring would: any kafka.connect MBean with our metric names. */
        ObjectName awaitTaskMBean() {
            return await("the plugin metrics MBean of " + name).atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> jmx.namesWithAttribute("kafka.connect:*", "events-published-total").stream()
                            .filter(candidate -> name.equals(candidate.getKeyProperty("connector"))).findFirst(),
                            Optional::isPresent)
                    .orElseThrow();
        }

        /** Waits until {@code /metrics} satisfies {@code condition}; fails with the last scrape otherwise. */
        Scrape awaitMetrics(String description, Predicate<Scrape> condition) {
            AtomicReference<Scrape> last = new AtomicReference<>();
            try {
                return await(description + " on " + http.baseUrl() + "/metrics").atMost(WAIT)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> {
                            last.set(http.metrics());
                            return last.get();
                        }, condition);
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(e.getMessage() + "; last scrape:\n" + (last.get() == null ? "none"
                        : last.get().text().lines().filter(line -> line.startsWith("wsbridge_"))
                        .collect(Collectors.joining("\n"))), e);
            }
        }

        void delete() {
            worker.rest().delete(name);
        }
    }
}
