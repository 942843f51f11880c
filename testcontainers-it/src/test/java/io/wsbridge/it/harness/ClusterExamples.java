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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The shipped cluster examples ({@code connect-distributed-cluster.properties}, {@code websocket-sink-cluster.json}),
 * adapted to workers on loopback addresses and a test's broker and topic, and ports free on every worker's address.
 */
public final class ClusterExamples {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterExamples() {
    }

    /** The example worker properties that cluster mode needs: the REST extension and the config providers. */
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
     * The example connector config for {@code topic}, on {@code port} and {@code opsPort}, with the cluster secret read
     * from {@code secrets} (a properties file with {@code cluster.secret}).
     */
    public static Map<String, String> connectorConfig(String topic, int port, int opsPort, Path secrets)
            throws IOException {
        JsonNode shipped = JSON.readTree(ItEnvironment.configFile("websocket-sink-cluster.json").orElseThrow().toFile());
        Map<String, String> config = new LinkedHashMap<>();
        shipped.path("config").properties().forEach(entry -> config.put(entry.getKey(), entry.getValue().asText()));
        config.remove("topics.regex");
        config.put("topics", topic);
        config.put("websocket.port", String.valueOf(port));
        assertThat(config).containsKey("ops.port");
        config.put("ops.port", String.valueOf(opsPort));
        config.put("websocket.shutdown.grace.ms", "1000");
        config.put("cluster.secret", config.get("cluster.secret").replace("/etc/wsbridge/secrets.properties",
                secrets.toString()));
        config.put("consumer.override.auto.offset.reset", "earliest");
        return config;
    }

    /** A port that is free on every one of {@code hosts}. */
    public static int portFreeOnEveryHost(List<String> hosts) {
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
}
