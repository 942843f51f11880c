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
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * What an operator sees of the bridge in a real worker: {@code /metrics} (Prometheus text) and the detailed
 * {@code /healthz} and {@code /readyz} on the operations listener ({@code ops.port}), the task's metrics in Connect's
 * own JMX metrics (KIP-877 plugin metrics); and what anyone else sees on the public WebSocket port: bare probes, no
 * metrics, no application name or address in any body (with a real Keycloak and its private application). Per-
 * application series stay bounded: made-up paths and new topics make none, and they go after the last subscriber.
 *
 * <p>The connectors run on a worker of their own (on the shared broker) that opens remote JMX, read as monitoring
 * does, through {@link javax.management.remote.JMXConnectorFactory}. Connect 4.3 registers a sink task's plugin
 * metrics as the MBean {@code kafka.connect:type=plugins,connector=<connector>,task=<task>}, one attribute per
 * metric ({@code events-published-total}, {@code connections}, ...), and unregisters it when the task stops.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
class MetricsAndHealthIT {

    private static final String HOST = "127.0.0.1";
    private static final String CONNECTOR_CLASS = "io.wsbridge.connect.WebSocketSinkConnector";
    private static final String BYTE_ARRAY = "org.apache.kafka.connect.converters.ByteArrayConverter";
    /** A group of the development realm: alice is a member, anonymous clients may not read it. */
    private static final String PRIVATE_APP = "acme-private";
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

    /**
     * With a real Keycloak and its private application (alice is a member, and subscribed): a client without
     * credentials on the public port gets bare probes and no metrics, and no answer it can get names the private
     * application (unless it named it itself: then it reads exactly as for an application that does not exist), the
     * operations listener, Keycloak or the worker. The operations listener shows the application's series and the
     * readiness details.
     */
    @Test
    void anUnauthenticatedClientOfThePublicPortLearnsNoPrivateApplicationAndNoAddress(Stack stack,
            KeycloakServer keycloak) {
        String privateTopic = "events-" + PRIVATE_APP;
        SinkConnector.createTopicIfAbsent(stack.kafka(), privateTopic, 1);
        Deployment app = deploy(stack, "metrics-private", Map.of(
                "topics", privateTopic,
                "auth.public.applications", "",
                "keycloak.url", keycloak.url(),
                "keycloak.realm", KeycloakServer.REALM,
                "keycloak.client.id", KeycloakServer.BRIDGE_CLIENT,
                "keycloak.client.secret", KeycloakServer.BRIDGE_CLIENT_SECRET));
        String token = keycloak.passwordToken("alice", "alice-dev-password");
        try (WsClient alice = WsClient.connect(app.uri("/" + PRIVATE_APP), Map.of("Authorization", "Bearer " + token))) {
            await("an event of " + PRIVATE_APP + " reaching alice").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ZERO).until(() -> {
                        stack.events().sendBinary(privateTopic, Events.event(PRIVATE_APP, "device-1"));
                        return alice.nextFrame(Duration.ofMillis(500)).isPresent();
                    });
            app.awaitMetrics("the private application's series on the operations listener", scrape ->
                    scrape.value("wsbridge_subscribers", "application", PRIVATE_APP) == 1
                            && scrape.value("wsbridge_events_in_total", "application", PRIVATE_APP) > 0);
            assertReady(app);

            List<String> secrets = List.of(PRIVATE_APP, HOST + ":" + app.opsPort, keycloak.url(),
                    HOST + ":" + keycloak.port(), worker.restUrl().getAuthority(), "Jetty");
            Map<String, Integer> plain = new LinkedHashMap<>();
            plain.put("/metrics", 404);
            plain.put("/healthz", 200);
            plain.put("/readyz", 200);
            plain.put("/", 200); // the console page: static, it names no application and no address
            plain.put("/_wsbridge/console/console.js", 200);
            plain.put("/made-up-application", 426);
            plain.put("/_wsbridge/peer", 426);
            plain.forEach((path, status) -> {
                String answer = exchange(app, "GET " + path + " HTTP/1.1\r\nHost: " + HOST + ":" + app.port
                        + "\r\nConnection: close\r\n\r\n");
                assertThat(answer).as("GET " + path).startsWith("HTTP/1.1 " + status + " ");
                assertThat(secrets).as("GET " + path + " answered:\n" + answer).noneMatch(answer::contains);
            });
            assertThat(bodyOf(exchange(app, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")))
                    .isEmpty();

            for (String credentials : List.of("", "Authorization: Bearer not-a-token\r\n",
                    "Authorization: Basic " + Base64.getEncoder().encodeToString("mallory:wsb_x".getBytes()) + "\r\n")) {
                String privateAnswer = upgrade(app, "/" + PRIVATE_APP, credentials);
                String madeUpAnswer = upgrade(app, "/no-such-app", credentials);
                assertThat(privateAnswer).as("upgrade to the private application with [" + credentials.trim() + "]")
                        .startsWith(credentials.isEmpty() ? "HTTP/1.1 404 " : "HTTP/1.1 401 ");
                assertThat(statusAndBody(privateAnswer).replace(PRIVATE_APP, "APP"))
                        .as("the private application reads as one that does not exist")
                        .isEqualTo(statusAndBody(madeUpAnswer).replace("no-such-app", "APP"));
                assertThat(secrets.subList(1, secrets.size())).as(privateAnswer).noneMatch(privateAnswer::contains);
                String other = upgrade(app, "/no-such-app", credentials);
                assertThat(other).doesNotContain(PRIVATE_APP);
            }
            assertThat(app.http.metrics().text()).as("the operations listener names the application")
                    .contains("application=\"" + PRIVATE_APP + "\"");
        } finally {
            app.delete();
        }
    }

    /**
     * Per-application series only for applications with subscribers, at most {@code ops.metrics.applications.max} of
     * them: a client asking for 1,000 made-up applications and a producer writing to a new topic make none, and the
     * series of an application go {@code ops.metrics.retention.ms} (plus at most a fifth) after its last subscriber.
     */
    @Test
    void madeUpPathsAndNewTopicsMakeNoSeriesAndSeriesGoAfterTheLastSubscriber(Stack stack) {
        String name = "metrics-bounded";
        List<String> served = List.of(name, name + "-b", name + "-c", name + "-d", name + "-e");
        Deployment app = deploy(stack, name, Map.of(
                "topics.regex", "events-" + name + ".*",
                "consumer.override.metadata.max.age.ms", "1000",
                "auth.public.applications", String.join(",", served),
                "ops.metrics.applications.max", "3",
                "ops.metrics.retention.ms", "2000"));
        try {
            for (int i = 0; i < 1_000; i++) {
                assertThat(WsClient.attempt(app.uri("/made-up-" + i), Map.of()).status()).isEqualTo(404);
            }
            Scrape refused = app.awaitMetrics("1,000 refusals", scrape ->
                    scrape.value("wsbridge_upgrades_refused_total", "status", "404") == 1_000);
            assertThat(applicationLabels(refused)).as("series of made-up applications").isEmpty();
            assertThat(refused.value("wsbridge_application_series")).isZero();

            String newTopic = "events-" + name + "-new";
            stack.kafka().createTopic(newTopic, 1);
            produceUntil(stack, app, newTopic, name + "-new", "events of the new topic counted without application",
                    scrape -> scrape.value("wsbridge_events_in_total", "application", "") > 0);
            assertThat(applicationLabels(app.http.metrics())).as("series of the new topic's application").isEmpty();

            List<WsClient> subscribers = new ArrayList<>();
            try {
                for (String application : served) {
                    subscribers.add(WsClient.connect(app.uri("/" + application), Map.of()));
                }
                Scrape capped = app.awaitMetrics("five subscribers, three applications with series", scrape ->
                        scrape.value("wsbridge_connections") == 5);
                assertThat(applicationLabels(capped)).hasSize(3).isSubsetOf(served);
                assertThat(capped.value("wsbridge_application_series")).isEqualTo(3);
            } finally {
                subscribers.forEach(WsClient::close);
            }
            app.awaitMetrics("no connection", scrape -> scrape.value("wsbridge_connections") == 0);
            long left = System.nanoTime();
            await("series kept for the retention").during(Duration.ofMillis(1_000)).atMost(Duration.ofSeconds(3))
                    .until(() -> applicationLabels(app.http.metrics()).size() == 3);
            app.awaitMetrics("the series gone 2 s (+ a fifth) after the last subscriber left", scrape ->
                    applicationLabels(scrape).isEmpty() && scrape.value("wsbridge_application_series") == 0);
            assertThat(Duration.ofNanos(System.nanoTime() - left)).as("removed within retention and a fifth, "
                    + "plus the time of a scrape").isLessThan(Duration.ofMillis(2_400 + 1_000));
        } finally {
            app.delete();
        }
    }

    // ---- helpers

    /** The non-empty values of the application label on the operations listener's series. */
    private static Set<String> applicationLabels(Scrape scrape) {
        return scrape.samples().stream().map(sample -> sample.labels().get("application"))
                .filter(label -> label != null && !label.isEmpty()).collect(Collectors.toSet());
    }

    private static void produceUntil(Stack stack, Deployment app, String topic, String application,
            String description, Predicate<Scrape> condition) {
        await(description).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            stack.events().sendBinary(topic, Events.event(application, "device-1"));
            return condition.test(app.http.metrics());
        });
    }

    private static String exchange(Deployment app, String request) {
        return RawWsClient.exchange(HOST, app.port, request);
    }

    private static String upgrade(Deployment app, String path, String headerLines) {
        return exchange(app, RawWsClient.upgradeRequest(HOST, app.port, path, headerLines + "Connection: close\r\n"));
    }

    private static String bodyOf(String response) {
        int end = response.indexOf("\r\n\r\n");
        return end < 0 ? "" : response.substring(end + 4);
    }

    /** The status line and the body, without the headers (a date, a length). */
    private static String statusAndBody(String response) {
        return response.lines().findFirst().orElse("") + "\n" + bodyOf(response);
    }

    private static void assertReady(Deployment app) {
        BridgeHttp.Response ready = app.http.get("/readyz");
        assertThat(ready.status()).as("GET /readyz: " + ready.body()).isEqualTo(200);
        assertThat(json(ready.body()).path("status").asText()).isEqualTo("READY");
        assertBare(app.publicPort.get("/readyz"), 200);
    }

    private static void awaitNotReady(Deployment app) {
        BridgeHttp.Response notReady = await("GET /readyz answers 503").atMost(WAIT)
                .until(() -> app.http.get("/readyz"), response -> response.status() == 503);
        JsonNode body = json(notReady.body());
        assertThat(body.path("status").asText()).isEqualTo("NOT_READY");
        assertThat(body.path("reason").asText()).isEqualTo("no task is attached");
        assertBare(app.publicPort.get("/readyz"), 503);
    }

    private static void assertAlive(Deployment app) {
        BridgeHttp.Response alive = app.http.get("/healthz");
        assertThat(alive.status()).isEqualTo(200);
        assertThat(json(alive.body()).path("status").asText()).isEqualTo("UP");
        assertBare(app.publicPort.get("/healthz"), 200);
    }

    /** A probe of the public port: the status, and nothing else to read. */
    private static void assertBare(BridgeHttp.Response response, int status) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.body()).as("body of a public probe").isEmpty();
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
        Deployment app = new Deployment(name, "events-" + name, FreePorts.on(HOST), FreePorts.on(HOST));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", CONNECTOR_CLASS);
        config.put("tasks.max", "1");
        config.put("topics", app.topic);
        config.put("key.converter", BYTE_ARRAY);
        config.put("value.converter", BYTE_ARRAY);
        config.put("header.converter", BYTE_ARRAY);
        config.put("websocket.host", HOST);
        config.put("websocket.port", Integer.toString(app.port));
        config.put("ops.host", HOST);
        config.put("ops.port", Integer.toString(app.opsPort));
        config.put("websocket.shutdown.grace.ms", "1000");
        config.put("auth.public.applications", name);
        // a fresh topic, read from its start: no event is missed while the consumer joins
        config.put("consumer.override.auto.offset.reset", "earliest");
        if (settings.containsKey("topics.regex")) {
            config.remove("topics");
        }
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

    /**
     * A connector of this test: its application (= connector name), topic, WebSocket port and operations listener
     * ({@link #http}: metrics and detailed probes).
     */
    private static final class Deployment {
        final String name;
        final String topic;
        final int port;
        final int opsPort;
        final BridgeHttp http;
        final BridgeHttp publicPort;

        Deployment(String name, String topic, int port, int opsPort) {
            this.name = name;
            this.topic = topic;
            this.port = port;
            this.opsPort = opsPort;
            this.http = new BridgeHttp(URI.create("http://" + HOST + ":" + opsPort));
            this.publicPort = new BridgeHttp(URI.create("http://" + HOST + ":" + port));
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
