package io.wsbridge.it.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one-command demo ({@code ./demo.sh}): a KRaft broker and a distributed Connect worker as local processes on
 * 127.0.0.1, the packaged plugin archive on the worker's plugin.path, the connector deployed through REST from
 * {@code config/websocket-sink.json}, and simulated devices publishing Drogue-style temperature CloudEvents. Runs
 * until Ctrl-C, then stops every process it started.
 */
public final class Demo {

    static final String PUBLIC_APP = "drogue-public-temperature";
    static final String PRIVATE_APP = "acme-private";
    static final int PORT = Integer.getInteger("demo.port", 8085);

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        requireFreePort(PORT);
        CountDownLatch stop = new CountDownLatch(1);
        ScheduledExecutorService devices = Executors.newSingleThreadScheduledExecutor();
        KafkaBroker kafka = new KafkaBroker();
        ConnectWorker worker = new ConnectWorker(kafka, "127.0.0.1", "wsbridge-demo", Map.of());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println();
            System.out.println("Stopping the demo: devices, Connect worker, Kafka broker...");
            devices.shutdownNow();
            worker.close();
            kafka.close();
            System.out.println("Stopped.");
            stop.countDown();
        }, "demo-shutdown"));

        step("Starting a Kafka broker (KRaft) on 127.0.0.1");
        kafka.start();
        kafka.createTopic("events-" + PUBLIC_APP, 3);
        kafka.createTopic("events-" + PRIVATE_APP, 1);
        step("Starting a Connect worker with the plugin archive on plugin.path " + ItEnvironment.pluginPath());
        worker.start();

        Map<String, String> config = connectorConfig();
        step("Deploying the connector '" + config.get("name") + "' through " + worker.restUrl() + "/connectors");
        String name = config.remove("name");
        worker.rest().createConnector(name, config);
        worker.rest().awaitRunning(name, 1);

        Events events = new Events(kafka.bootstrapServers());
        Random random = new Random();
        String[] devicesOfPublic = {"device-1", "device-2", "device-3"};
        devices.scheduleAtFixedRate(() -> {
            try {
                for (String device : devicesOfPublic) {
                    double temp = Math.round((18 + random.nextGaussian() * 2) * 10) / 10.0;
                    events.sendBinary("events-" + PUBLIC_APP, Events.event(PUBLIC_APP, device)
                            .withData("{\"temp\":" + temp + "}"));
                }
                events.sendBinary("events-" + PRIVATE_APP, Events.event(PRIVATE_APP, "sensor-a")
                        .withData("{\"temp\":" + (20 + random.nextInt(5)) + "}"));
            } catch (RuntimeException e) {
                System.err.println("A simulated device failed to publish: " + e.getMessage());
            }
        }, 0, 1, TimeUnit.SECONDS);

        String url = "ws://127.0.0.1:" + PORT;
        System.out.println();
        System.out.println("==================================================================================");
        System.out.println(" wsbridge demo is ready. Live temperature events, one CloudEvent per frame:");
        System.out.println();
        System.out.println("   wscat -c " + url + "/" + PUBLIC_APP);
        System.out.println("   python3 -m websockets " + url + "/" + PUBLIC_APP);
        System.out.println("   websocat " + url + "/" + PUBLIC_APP);
        System.out.println("   bin/wsbridge stream " + PUBLIC_APP + " --url " + url);
        System.out.println();
        System.out.println(" Share one stream:  wscat -c '" + url + "/" + PUBLIC_APP + "?group_id=billing'  (twice)");
        System.out.println(" One device only:   wscat -c '" + url + "/" + PUBLIC_APP + "/telemetry'");
        System.out.println(" Private app:       wscat -c " + url + "/" + PRIVATE_APP + "   -> 404 (needs Keycloak)");
        System.out.println(" Metrics, health:   curl " + url.replace("ws:", "http:") + "/metrics  /readyz");
        System.out.println(" Kafka:             " + kafka.bootstrapServers() + "   Connect REST: " + worker.restUrl());
        System.out.println(" Logs:              " + kafka.logFile() + "\n                    " + worker.logFile());
        System.out.println();
        System.out.println(" Press Ctrl-C to stop everything.");
        System.out.println("==================================================================================");
        stop.await();
    }

    /** config/websocket-sink.json, bound to loopback for the demo. */
    static Map<String, String> connectorConfig() throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink.json")
                .orElseThrow(() -> new IllegalStateException("config/websocket-sink.json is missing"));
        Map<String, Object> body = new ObjectMapper().readValue(Files.readString(file), new TypeReference<>() {
        });
        @SuppressWarnings("unchecked")
        Map<String, String> config = new LinkedHashMap<>((Map<String, String>) body.get("config"));
        config.put("name", (String) body.get("name"));
        config.put("websocket.host", "127.0.0.1");
        config.put("websocket.port", String.valueOf(PORT));
        config.put("consumer.override.auto.offset.reset", "latest");
        return config;
    }

    private static void requireFreePort(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            System.err.println("Port " + port + " on 127.0.0.1 is in use; stop what uses it or run with "
                    + "DEMO_PORT=<port> ./demo.sh");
            System.exit(1);
        }
    }

    private static void step(String what) {
        System.out.println("==> " + what);
    }
}
