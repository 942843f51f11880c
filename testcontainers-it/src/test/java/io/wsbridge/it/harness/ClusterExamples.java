package io.wsbridge.it.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * The shipped cluster examples ({@code connect-distributed-cluster.properties}, {@code websocket-sink-cluster.json},
 * its secret through the file config provider), adapted to loopback addresses and a test's broker, for the tests of
 * cluster mode.
 */
public final class ClusterExamples {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterExamples() {
    }

    /** The example's REST extension and config providers: what every worker of a cluster adds to its properties. */
    public static Map<String, String> workerProperties() throws IOException {
        Path file = ItEnvironment.configFile("connect-distributed-cluster.properties").orElseThrow();
        Properties example = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            example.load(in);
        }
        Map<String, String> props = new HashMap<>();
        for (String key : example.stringPropertyNames()) {
            if (key.startsWith("rest.extension.") || key.startsWith("config.providers")) {
                props.put(key, example.getProperty(key));
            }
        }
        assertThat(props).containsEntry("rest.extension.classes", "io.wsbridge.connect.cluster.WsBridgeRestExtension");
        return props;
    }

    /**
     * The example connector on {@code topic}, with {@code tasks} tasks, the bridges on {@code port} and their
     * operations listeners on {@code opsPort}, {@code application} public, and the cluster secret read from
     * {@code secrets} (a properties file with {@code cluster.secret}).
     */
    public static Map<String, String> connectorConfig(String topic, int tasks, int port, int opsPort, String application,
            Path secrets) throws IOException {
        JsonNode shipped = JSON.readTree(ItEnvironment.configFile("websocket-sink-cluster.json").orElseThrow().toFile());
        Map<String, String> config = new LinkedHashMap<>();
        shipped.path("config").properties().forEach(entry -> config.put(entry.getKey(), entry.getValue().asText()));
        assertThat(config).containsKey("tasks.max");
        config.put("tasks.max", String.valueOf(tasks));
        config.remove("topics.regex");
        config.put("topics", topic);
        config.put("websocket.port", String.valueOf(port));
        assertThat(config).containsKey("ops.port");
        config.put("ops.port", String.valueOf(opsPort));
        config.put("websocket.shutdown.grace.ms", "1000");
        config.put("auth.public.applications", application);
        config.put("cluster.secret", config.get("cluster.secret").replace("/etc/wsbridge/secrets.properties",
                secrets.toString()));
        config.put("consumer.override.auto.offset.reset", "earliest");
        // A killed task's consumer holds its partitions until the group evicts it: 45 s by default.
        config.put("consumer.override.session.timeout.ms", "6000");
        config.put("consumer.override.heartbeat.interval.ms", "1000");
        return config;
    }

    /** A port free on every one of {@code hosts}. */
    public static int portFreeOnEvery(List<String> hosts) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int candidate = FreePorts.on(hosts.get(0));
            if (hosts.stream().allMatch(host -> bindable(host, candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no port free on all of " + hosts);
    }

    public static boolean bindable(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts a worker of the example properties on each of {@code hosts}, in parallel, into {@code workers} (put there
     * before it starts, so that a caller's clean-up stops it even if starting fails): each bridge and its operations
     * listener on its host's address, a crashed worker noticed after 6 s, and {@code overrides}.
     */
    public static void startWorkers(KafkaBroker kafka, List<String> hosts, String group, Map<String, String> overrides,
            Map<String, ConnectWorker> workers) throws IOException {
        Map<String, String> example = workerProperties();
        List<CompletableFuture<Void>> starting = new ArrayList<>();
        for (String host : hosts) {
            Map<String, String> props = new HashMap<>(example);
            props.put("wsbridge.websocket.host", host);
            // each worker's operations listener on its own address, as the connector's ops.host would clash
            props.put("wsbridge.ops.host", host);
            props.put("session.timeout.ms", "6000");
            props.put("heartbeat.interval.ms", "1000");
            props.putAll(overrides);
            ConnectWorker worker = new ConnectWorker(kafka, host, group, props);
            workers.put(host, worker);
            starting.add(CompletableFuture.runAsync(worker::start));
        }
        CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    }

    /** Stops the workers in parallel. */
    public static void stopWorkers(Collection<ConnectWorker> workers) {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        workers.forEach(worker -> stopping.add(CompletableFuture.runAsync(worker::close)));
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
    }

    /** A new properties file with {@code cluster.secret}, which the example connector reads through a config provider. */
    public static Path secretsFile(String name, String secret) throws IOException {
        Path secrets = ItEnvironment.newWorkDir(name).resolve("secrets.properties");
        Files.writeString(secrets, "cluster.secret=" + secret + "\n");
        return secrets;
    }
}
