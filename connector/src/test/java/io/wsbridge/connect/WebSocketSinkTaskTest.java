package io.wsbridge.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebSocketSinkTaskTest {

    static final ObjectMapper JSON = new ObjectMapper();

    final List<WebSocketSinkTask> tasks = new ArrayList<>();

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static Map<String, String> config(int port, String nonCloudEvent) {
        Map<String, String> config = new HashMap<>();
        config.put("websocket.host", "127.0.0.1");
        config.put("websocket.port", String.valueOf(port));
        config.put("websocket.shutdown.grace.ms", "0");
        config.put("auth.public.applications", "drogue-public-temperature");
        config.put("errors.non.cloudevent", nonCloudEvent);
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        return config;
    }

    WebSocketSinkTask start(Map<String, String> config, SinkTaskContext context) {
        WebSocketSinkTask task = new WebSocketSinkTask();
        task.initialize(context);
        tasks.add(task);
        task.start(config);
        return task;
    }

    @AfterEach
    void stopTasks() {
        tasks.forEach(WebSocketSinkTask::stop);
    }

    static SinkRecord drogueRecord(long offset, double temp) {
        ConnectHeaders headers = new ConnectHeaders();
        headers.addBytes("ce_specversion", bytes("1.0"));
        headers.addBytes("ce_id", bytes("id-" + offset));
        headers.addBytes("ce_source", bytes("drogue://drogue-public-temperature/device1"));
        headers.addBytes("ce_type", bytes("io.drogue.event.v1"));
        headers.addBytes("ce_application", bytes("drogue-public-temperature"));
        headers.addBytes("ce_device", bytes("device1"));
        headers.addBytes("content-type", bytes("application/json"));
        return new SinkRecord("events-drogue-public-temperature", 0, null, null, Schema.OPTIONAL_BYTES_SCHEMA,
                bytes("{\"temp\":" + temp + "}"), offset, 1_700_000_000_000L, TimestampType.CREATE_TIME, headers);
    }

    static SinkRecord plainRecord(long offset) {
        return new SinkRecord("events-drogue-public-temperature", 2, null, null, Schema.OPTIONAL_BYTES_SCHEMA,
                bytes("not a cloud event"), offset);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final StringBuilder partial = new StringBuilder();

        static Client connect(int port, String path) {
            Client client = new Client();
            HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + path), client).join();
            return client;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        JsonNode next() throws Exception {
            String text = received.poll(10, TimeUnit.SECONDS);
            assertThat(text).as("an event within 10 s").isNotNull();
            return JSON.readTree(text);
        }
    }

    static final class RecordingContext implements SinkTaskContext {
        final List<SinkRecord> reported = new ArrayList<>();
        final boolean withReporter;
        /** What the reporter's next reports answer; completed at once by default. */
        CompletableFuture<Void> reportsDone = CompletableFuture.completedFuture(null);

        RecordingContext(boolean withReporter) {
            this.withReporter = withReporter;
        }

        @Override
        public ErrantRecordReporter errantRecordReporter() {
            if (!withReporter) {
                return null;
            }
            return (record, error) -> {
                assertThat(error).isInstanceOf(DataException.class);
                synchronized (reported) {
                    reported.add(record);
                }
                return reportsDone;
            };
        }

        @Override
        public Map<String, String> configs() {
            return Map.of();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
        }

        @Override
        public void timeout(long timeoutMs) {
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.of();
        }

        @Override
        public void pause(TopicPartition... partitions) {
        }

        @Override
        public void resume(TopicPartition... partitions) {
        }

        @Override
        public void requestCommit() {
        }

        final Map<String, org.apache.kafka.common.metrics.MetricValueProvider<?>> metrics =
                new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public PluginMetrics pluginMetrics() {
            return new PluginMetrics() {
                @Override
                public org.apache.kafka.common.MetricName metricName(String name, String description,
                        java.util.LinkedHashMap<String, String> tags) {
                    return new org.apache.kafka.common.MetricName(name, "plugins", description, tags);
                }

                @Override
                public void addMetric(org.apache.kafka.common.MetricName name,
                        org.apache.kafka.common.metrics.MetricValueProvider<?> provider) {
                    metrics.put(name.name(), provider);
                }

                @Override
                public void removeMetric(org.apache.kafka.common.MetricName name) {
                    metrics.remove(name.name());
                }

                @Override
                public org.apache.kafka.common.metrics.Sensor addSensor(String name) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void removeSensor(String name) {
                }
            };
        }

        Object metric(String name) {
            var provider = (org.apache.kafka.common.metrics.Gauge<?>) metrics.get(name);
            assertThat(provider).as("metric %s", name).isNotNull();
            return provider.value(null, System.currentTimeMillis());
        }
    }

    @Test
    void drogueEventsReachASubscriberAsCloudEventsJsonInOrder() throws Exception {
        int port = freePort();
        WebSocketSinkTask task = start(config(port, "wrap"), new RecordingContext(true));
        Client client = Client.connect(port, "/drogue-public-temperature");
        awaitSubscriber();

        task.put(List.of(drogueRecord(0, 20.5), drogueRecord(1, 21.0), drogueRecord(2, 21.5)));

        for (int i = 0; i < 3; i++) {
            JsonNode event = client.next();
            assertThat(event.path("id").asText()).isEqualTo("id-" + i);
            assertThat(event.path("source").asText()).isEqualTo("drogue://drogue-public-temperature/device1");
            assertThat(event.path("type").asText()).isEqualTo("io.drogue.event.v1");
            assertThat(event.path("application").asText()).isEqualTo("drogue-public-temperature");
            assertThat(event.path("device").asText()).isEqualTo("device1");
            assertThat(event.path("data").path("temp").asDouble()).isEqualTo(20.5 + i * 0.5);
        }
    }

    @Test
    void nonCloudEventIsReportedAsErrantUnderTheReportPolicy() throws Exception {
        int port = freePort();
        RecordingContext context = new RecordingContext(true);
        WebSocketSinkTask task = start(config(port, "report"), context);
        Client client = Client.connect(port, "/drogue-public-temperature");
        awaitSubscriber();

        task.put(List.of(plainRecord(7), drogueRecord(8, 22.0)));
        task.preCommit(Map.of()); // as Connect does before it commits: the pipelined batch is published by then

        assertThat(client.next().path("id").asText()).isEqualTo("id-8");
        assertThat(context.reported).extracting(SinkRecord::kafkaOffset).containsExactly(7L);
        assertThat(context.metric("events-published-total")).isEqualTo(1.0);
        assertThat(context.metric("errant-records-total")).isEqualTo(1.0);
        assertThat(context.metric("connections")).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(10)).until(() -> context.metric("events-out-total").equals(1.0));
    }

    @Test
    void nonCloudEventFailsTheTaskWithItsCoordinatesWhenThereIsNoReporter() throws Exception {
        int port = freePort();
        Map<String, String> config = config(port, "report");
        config.put("publish.pipelined", "false");
        WebSocketSinkTask task = start(config, new RecordingContext(false));

        assertThatThrownBy(() -> task.put(List.of(plainRecord(7))))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("events-drogue-public-temperature/2/7");
    }

    @Test
    void pipelinedAFailedBatchFailsTheNextPollAndEveryCommitAndNothingAfterItIsPublished() throws Exception {
        int port = freePort();
        WebSocketSinkTask task = start(config(port, "report"), new RecordingContext(false));
        Client client = Client.connect(port, "/drogue-public-temperature");
        awaitSubscriber();

        task.put(List.of(drogueRecord(6, 20.0), plainRecord(7), drogueRecord(8, 22.0)));

        // Connect calls put() after every poll, with no records when none came: the failure surfaces there.
        assertThatThrownBy(() -> task.put(List.of()))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("events-drogue-public-temperature/2/7");
        assertThatThrownBy(() -> task.preCommit(Map.of())).isInstanceOf(DataException.class);
        assertThatThrownBy(() -> task.put(List.of(drogueRecord(9, 23.0)))).isInstanceOf(DataException.class);
        assertThat(client.next().path("id").asText()).isEqualTo("id-6");
        assertThat(client.received.poll(500, TimeUnit.MILLISECONDS)).as("nothing after the failed record").isNull();
    }

    @Test
    void pipelinedTheCommitWaitsUntilTheErrantRecordsItCoversAreReported() throws Exception {
        int port = freePort();
        RecordingContext context = new RecordingContext(true);
        context.reportsDone = new CompletableFuture<>();
        WebSocketSinkTask task = start(config(port, "report"), context);

        task.put(List.of(plainRecord(7)));
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> task.preCommit(Map.of()));

        Thread.sleep(300);
        assertThat(commit).as("the commit waits for the dead letter queue's answer").isNotDone();
        context.reportsDone.complete(null);
        commit.get(10, TimeUnit.SECONDS);
        synchronized (context.reported) {
            assertThat(context.reported).extracting(SinkRecord::kafkaOffset).containsExactly(7L);
        }
    }

    @Test
    void pipelinedAReportThatFailsFailsTheCommit() throws Exception {
        int port = freePort();
        RecordingContext context = new RecordingContext(true);
        context.reportsDone = CompletableFuture.failedFuture(new IllegalStateException("dead letter queue gone"));
        WebSocketSinkTask task = start(config(port, "report"), context);

        task.put(List.of(plainRecord(7)));

        assertThatThrownBy(() -> task.preCommit(Map.of())).isInstanceOf(ConnectException.class)
                .hasMessageContaining("dead letter queue gone");
    }

    @Test
    void nonCloudEventIsWrappedUnderTheWrapPolicy() throws Exception {
        int port = freePort();
        WebSocketSinkTask task = start(config(port, "wrap"), new RecordingContext(true));
        Client client = Client.connect(port, "/drogue-public-temperature");
        awaitSubscriber();

        task.put(List.of(plainRecord(7)));

        JsonNode event = client.next();
        assertThat(event.path("id").asText()).isEqualTo("events-drogue-public-temperature/2/7");
        assertThat(event.path("data").asText()).isEqualTo("not a cloud event");
    }

    @Test
    void twoTasksShareOneServerAndTheLastStopFreesThePort() throws Exception {
        int port = freePort();
        WebSocketSinkTask first = start(config(port, "wrap"), new RecordingContext(true));
        WebSocketSinkTask second = start(config(port, "wrap"), new RecordingContext(true));
        Client client = Client.connect(port, "/drogue-public-temperature");
        awaitSubscriber();

        first.put(List.of(drogueRecord(0, 1)));
        first.preCommit(Map.of()); // the tasks publish on threads of their own: id-0 first
        second.put(List.of(drogueRecord(1, 2)));
        first.stop();
        second.put(List.of(drogueRecord(2, 3)));

        assertThat(List.of(client.next(), client.next(), client.next())).extracting(e -> e.path("id").asText())
                .containsExactly("id-0", "id-1", "id-2");
        second.stop();
        assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
        try (ServerSocket reuse = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(reuse.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void portInUseFailsTheTaskWithAMessageThatNamesThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> start(config(port, "wrap"), new RecordingContext(true)))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("websocket.port");
        }
    }

    private void awaitSubscriber() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> tasks.get(0).bridge().router().subscribers("drogue-public-temperature") > 0);
    }
}
