package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ConnectRest.Plugin;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Smoke test of the deployment: a real worker loads the connector from the packaged archive on its
 * plugin.path, and the connector JSON we ship to operators starts and streams an event.
 */
@ExtendWith(StackExtension.class)
class WorkerLoadsPluginIT {

    private static final String CONNECTOR_CLASS = "io.wsbridge.connect.WebSocketSinkConnector";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void workerListsTheConnectorOfThePackagedArchive(Stack stack) throws IOException {
        assertThat(stack.rest().plugins())
                .extracting(Plugin::className, Plugin::type)
                .contains(tuple(CONNECTOR_CLASS, "sink"));
        assertThat(Files.readString(stack.worker().logFile()))
                .as("the worker loaded the plugin from its plugin.path")
                .contains("Loading plugin from: " + ItEnvironment.pluginPath().resolve("wsbridge-connector-"));
    }

    @Test
    void shippedConnectorConfigRunsAndStreamsAnEvent(Stack stack) throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink.json").orElseThrow();
        JsonNode shipped = JSON.readTree(file.toFile());
        String name = shipped.path("name").asText();
        Map<String, String> config = new LinkedHashMap<>();
        shipped.path("config").properties().forEach(entry -> config.put(entry.getKey(), entry.getValue().asText()));
        // The shipped file listens on 0.0.0.0:8085 and 127.0.0.1:8086; tests bind loopback only, on free ports.
        int port = FreePorts.on("127.0.0.1");
        config.put("websocket.host", "127.0.0.1");
        config.put("websocket.port", Integer.toString(port));
        assertThat(config).containsEntry("ops.host", "127.0.0.1").containsKey("ops.port");
        int opsPort = FreePorts.on("127.0.0.1");
        config.put("ops.port", Integer.toString(opsPort));
        String application = "drogue-public-temperature"; // public in the shipped config
        String topic = "events-" + application;
        // before the connector: its regex subscription would see a later topic only minutes later
        stack.kafka().createTopic(topic, 1);

        stack.rest().createConnector(name, config);
        try {
            stack.rest().awaitRunning(name, 1);
            URI uri = URI.create("ws://127.0.0.1:" + port + "/" + application);
            try (WsClient ws = WsClient.awaitConnect(uri, Map.of(), Duration.ofSeconds(30))) {
                // The shipped config consumes from "latest": send until the consumer has its position.
                Set<String> sentIds = ConcurrentHashMap.newKeySet();
                AtomicReference<String> frame = new AtomicReference<>();
                await("an event sent to " + topic + " arrives on " + uri)
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ZERO)
                        .until(() -> {
                            Events.CloudEvent event = Events.event(application, "device-1");
                            sentIds.add(event.id());
                            stack.events().sendBinary(topic, event);
                            Optional<String> received = ws.nextFrame(Duration.ofSeconds(1));
                            received.ifPresent(frame::set);
                            return received.isPresent();
                        });

                JsonNode event = JSON.readTree(frame.get());
                assertThat(event.path("specversion").asText()).isEqualTo("1.0");
                assertThat(sentIds).contains(event.path("id").asText());
                assertThat(event.path("application").asText()).isEqualTo(application);
                assertThat(event.path("device").asText()).isEqualTo("device-1");
                assertThat(event.path("data").path("temp").asDouble()).isEqualTo(21.5);
            }
            BridgeHttp ops = new BridgeHttp(URI.create("http://127.0.0.1:" + opsPort));
            assertThat(ops.metrics().value("wsbridge_events_in_total", "application", application))
                    .as("the shipped config serves /metrics on its operations listener").isPositive();
        } finally {
            stack.rest().delete(name);
        }
    }
}
