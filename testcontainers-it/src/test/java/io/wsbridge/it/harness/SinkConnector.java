package io.wsbridge.it.harness;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * One wsbridge connector on a stack, configured as an operator would: the body of
 * {@code config/websocket-sink.json}, bound to 127.0.0.1 on a free port, with the few overrides a test
 * needs. Closing it deletes the connector.
 *
 * <pre>{@code
 * try (SinkConnector sink = SinkConnector.shipped(stack, "my-it", Map.of("topics.regex", "events-my-app",
 *         "auth.public.applications", "my-app"))) {
 *     sink.create().awaitRunning();
 *     sink.awaitFlowing("my-app", "events-my-app", 1);
 *     try (WsClient ws = WsClient.connect(sink.uri("/my-app"), Map.of())) { ... }
 * }
 * }</pre>
 *
 * The shipped config consumes from {@code latest} and subscribes {@code topics.regex=events-.*}: set
 * {@code topics} or {@code topics.regex} to the test's own topics, so that connectors of other tests do
 * not read them.
 */
public final class SinkConnector implements AutoCloseable {

    public static final String CONNECTOR_CLASS = "io.wsbridge.connect.WebSocketSinkConnector";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FLOW_TIMEOUT = Duration.ofSeconds(60);

    private final Stack stack;
    private final String name;
    private final int port;
    private final int opsPort;
    private final Map<String, String> config;

    private SinkConnector(Stack stack, String name, Map<String, String> config) {
        this.stack = stack;
        this.name = name;
        this.port = Integer.parseInt(config.get("websocket.port"));
        this.opsPort = Integer.parseInt(config.getOrDefault("ops.port", "0"));
        this.config = config;
    }

    /**
     * The shipped connector config, on 127.0.0.1 and a free port, its operations listener on another, with
     * {@code overrides} applied (a {@code websocket.port} or {@code ops.port} among them wins over the free port;
     * {@code topics} replaces the shipped {@code topics.regex}, which Connect does not accept next to it). Not created
     * yet: see {@link #create()}.
     */
    public static SinkConnector shipped(Stack stack, String name, Map<String, String> overrides) {
        Map<String, String> config = shippedConfig();
        config.put("websocket.host", KafkaBroker.HOST);
        config.put("websocket.port", Integer.toString(FreePorts.on(KafkaBroker.HOST)));
        config.put("ops.host", KafkaBroker.HOST);
        config.put("ops.port", Integer.toString(FreePorts.on(KafkaBroker.HOST)));
        if (overrides.containsKey("topics")) {
            config.remove("topics.regex");
        }
        config.putAll(overrides);
        return new SinkConnector(stack, name, config);
    }

    /**
     * The shipped connector, reading the one-partition topic {@code events-<application>} (created if absent) for the
     * public application {@code application}: created, running, and events flowing to subscribers.
     */
    public static SinkConnector startedForPublicApplication(Stack stack, String name, String application) {
        String topic = "events-" + application;
        createTopicIfAbsent(stack.kafka(), topic, 1);
        SinkConnector sink = shipped(stack, name, Map.of("topics.regex", topic, "auth.public.applications", application));
        sink.create().awaitRunning();
        sink.awaitFlowing(application, topic, 1);
        return sink;
    }

    /** Deletes each connector that was set up ({@code null}s are skipped), for a test class's {@code @AfterAll}. */
    public static void closeAll(SinkConnector... sinks) {
        for (SinkConnector sink : sinks) {
            if (sink != null) {
                sink.close();
            }
        }
    }

    /** The {@code config} object of {@code config/websocket-sink.json}, as strings. */
    public static Map<String, String> shippedConfig() {
        Path file = ItEnvironment.configFile("websocket-sink.json")
                .orElseThrow(() -> new IllegalStateException("no websocket-sink.json in " + ItEnvironment.configDir()));
        try {
            JsonNode shipped = JSON.readTree(file.toFile());
            Map<String, String> config = new LinkedHashMap<>();
            shipped.path("config").properties().forEach(entry -> config.put(entry.getKey(), entry.getValue().asText()));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Creates the topic unless it exists (a topic name may be shared with tests that ran before). */
    public static void createTopicIfAbsent(KafkaBroker kafka, String topic, int partitions) {
        try {
            kafka.admin().createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic, e);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + topic, e);
        }
    }

    /** {@code POST /connectors}. */
    public SinkConnector create() {
        stack.rest().createConnector(name, config);
        return this;
    }

    /** Waits until the connector and its one task run (fails at once with the traces if one FAILED). */
    public SinkConnector awaitRunning() {
        stack.rest().awaitRunning(name, Integer.parseInt(config.getOrDefault("tasks.max", "1")));
        return this;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public Map<String, String> config() {
        return Map.copyOf(config);
    }

    /** {@code ws://127.0.0.1:<port><pathAndQuery>}. */
    public URI uri(String pathAndQuery) {
        return URI.create("ws://" + KafkaBroker.HOST + ":" + port + pathAndQuery);
    }

    /**
     * Makes sure the task's consumer has a position on every partition of {@code topic}: a connector that
     * starts from {@code latest} drops what is produced before. Sends an event of {@code application} to
     * each partition until one of each arrives at a subscriber, then a marker per partition, and waits for
     * the markers so that no probe event is still on its way when this returns.
     */
    public void awaitFlowing(String application, String topic, int partitions) {
        try (WsClient probe = WsClient.awaitConnect(uri("/" + application), Map.of(), Duration.ofSeconds(30))) {
            Set<Integer> flowing = new HashSet<>();
            await("events of " + topic + " reaching subscribers of " + uri("/" + application))
                    .atMost(FLOW_TIMEOUT)
                    .pollInterval(Duration.ZERO)
                    .until(() -> {
                        for (int partition = 0; partition < partitions; partition++) {
                            if (!flowing.contains(partition)) {
                                sendTo(topic, partition, Events.event(application, "probe")
                                        .withId("probe-" + partition + "-" + UUID.randomUUID()));
                            }
                        }
                        long deadline = System.nanoTime() + Duration.ofMillis(500).toNanos();
                        while (flowing.size() < partitions && System.nanoTime() < deadline) {
                            probe.nextFrame(Duration.ofMillis(100))
                                    .map(SinkConnector::id)
                                    .filter(id -> id.startsWith("probe-"))
                                    .ifPresent(id -> flowing.add(Integer.parseInt(id.split("-")[1])));
                        }
                        return flowing.size() == partitions;
                    });
            Set<String> markers = new HashSet<>();
            for (int partition = 0; partition < partitions; partition++) {
                String marker = "marker-" + partition + "-" + UUID.randomUUID();
                markers.add(marker);
                sendTo(topic, partition, Events.event(application, "probe").withId(marker));
            }
            await("probe markers of " + topic).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ZERO).until(() -> {
                probe.nextFrame(Duration.ofMillis(200)).map(SinkConnector::id).ifPresent(markers::remove);
                return markers.isEmpty();
            });
        }
    }

    /** Sends a binary-mode event to one partition. */
    public void sendTo(String topic, int partition, Events.CloudEvent event) {
        ProducerRecord<byte[], byte[]> record = Events.binaryRecord(topic, event);
        stack.events().send(new ProducerRecord<>(topic, partition, record.key(), record.value(), record.headers()));
    }

    public int opsPort() {
        return opsPort;
    }

    /**
     * The value of a metric of the bridge's {@code /metrics} (on its operations listener), summed over the series
     * whose labels include {@code labels} ({@code name, value, ...}); 0 if there is none.
     */
    public double metric(String metric, String... labels) {
        return ops().metrics().value(metric, labels);
    }

    /** The plain HTTP of the connector's public WebSocket port: the bare probes a load balancer sees. */
    public BridgeHttp http() {
        return new BridgeHttp(URI.create("http://" + KafkaBroker.HOST + ":" + port));
    }

    /** The connector's operations listener: {@code /metrics} and the detailed probes. */
    public BridgeHttp ops() {
        if (opsPort == 0) {
            throw new IllegalStateException("connector " + name + " has no operations listener (ops.port=0)");
        }
        return new BridgeHttp(URI.create("http://" + KafkaBroker.HOST + ":" + opsPort));
    }

    /**
     * Waits until the bridge counts {@code count} subscribers of {@code application} (group members
     * included): a client's handshake may complete a moment before the server has registered it.
     */
    public void awaitSubscribers(String application, int count) {
        await("the bridge on port " + port + " having " + count + " subscribers of " + application)
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> metric("wsbridge_subscribers", "application", application) == count);
    }

    /** As {@link #awaitSubscribers}, but answers {@code false} after {@code limit} instead of failing. */
    public boolean subscribersWithin(String application, int count, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (metric("wsbridge_subscribers", "application", application) != count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** Lines of the worker's log that contain {@code text}, e.g. to count task starts. */
    public long workerLogLines(String text) {
        try (var lines = Files.lines(stack.worker().logFile())) {
            return lines.filter(line -> line.contains(text)).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes the connector (if it still exists). */
    @Override
    public void close() {
        stack.rest().delete(name);
    }

    @Override
    public String toString() {
        return "SinkConnector[" + name + " on port " + port + "]";
    }

    private static String id(String frame) {
        try {
            return JSON.readTree(frame).path("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + frame, e);
        }
    }
}
