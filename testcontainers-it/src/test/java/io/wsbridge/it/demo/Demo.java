package io.wsbridge.it.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.WsbridgeCli;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one-command demo ({@code ./demo.sh}): a KRaft broker and a distributed Connect worker as local processes on
 * 127.0.0.1, the packaged plugin archive on the worker's plugin.path, the connector deployed through REST from
 * {@code config/websocket-sink.json}, and simulated devices publishing Drogue-style temperature CloudEvents. Runs
 * until Ctrl-C, then stops every process it started.
 *
 * <p>With {@code --keycloak} ({@code ./demo.sh --keycloak}) it also starts a Keycloak server with the development realm
 * {@code config/keycloak/wsbridge-realm.json} on 127.0.0.1 ({@code -Ddemo.keycloak.port}, 8180 by default, as in the
 * README), deploys {@code config/websocket-sink-keycloak.json} instead, and prints a token and an API key of alice
 * (the only member of the private application) with the commands that use them.
 */
public final class Demo {

    static final String PUBLIC_APP = "drogue-public-temperature";
    static final String PRIVATE_APP = "acme-private";
    static final int PORT = Integer.getInteger("demo.port", 8085);
    static final int OPS_PORT = Integer.getInteger("demo.ops.port", 8086);
    static final int KEYCLOAK_PORT = Integer.getInteger("demo.keycloak.port", 8180);

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        boolean withKeycloak = Arrays.asList(args).contains("--keycloak");
        for (String arg : args) {
            if (!arg.equals("--keycloak")) {
                System.err.println("Unknown option " + arg + "; usage: ./demo.sh [--keycloak]");
                System.exit(2);
            }
        }
        requireFreePort(PORT, "DEMO_PORT");
        requireFreePort(OPS_PORT, "DEMO_OPS_PORT");
        if (withKeycloak) {
            requireFreePort(KEYCLOAK_PORT, "DEMO_KEYCLOAK_PORT");
        }
        CountDownLatch stop = new CountDownLatch(1);
        ScheduledExecutorService devices = Executors.newSingleThreadScheduledExecutor();
        KafkaBroker kafka = new KafkaBroker();
        ConnectWorker worker = new ConnectWorker(kafka, "127.0.0.1", "wsbridge-demo", Map.of());
        KeycloakServer keycloak = withKeycloak ? new KeycloakServer(KEYCLOAK_PORT) : null;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println();
            System.out.println("Stopping the demo: devices, Connect worker, Kafka broker" + (withKeycloak ? ", Keycloak" : "")
                    + "...");
            devices.shutdownNow();
            worker.close();
            kafka.close();
            if (keycloak != null) {
                keycloak.close();
            }
            System.out.println("Stopped.");
            stop.countDown();
        }, "demo-shutdown"));

        CompletableFuture<Void> keycloakStarted = CompletableFuture.completedFuture(null);
        if (keycloak != null) {
            step("Starting Keycloak " + KeycloakServer.version() + " with the development realm on "
                    + keycloak.url() + " (in the background; the first run builds it and imports the realm: a minute"
                    + " or two)");
            keycloakStarted = CompletableFuture.runAsync(keycloak::start);
        }
        step("Starting a Kafka broker (KRaft) on 127.0.0.1");
        kafka.start();
        kafka.createTopic("events-" + PUBLIC_APP, 3);
        kafka.createTopic("events-" + PRIVATE_APP, 1);
        step("Starting a Connect worker with the plugin archive on plugin.path " + ItEnvironment.pluginPath());
        worker.start();
        if (keycloak != null) {
            keycloakStarted.join();
            step("Keycloak is ready at " + keycloak.url() + " (admin console: user " + KeycloakServer.ADMIN_USERNAME
                    + ", password " + KeycloakServer.ADMIN_PASSWORD + ")");
        }

        Map<String, String> config = withKeycloak ? keycloakConnectorConfig(keycloak) : connectorConfig();
        step("Deploying the connector '" + config.get("name") + "' through " + worker.restUrl() + "/connectors");
        String name = config.remove("name");
        // the bridge's own consumers, for subscribers (and the console) that resume or replay with ?from=
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
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
        String keycloakInstructions = withKeycloak ? keycloakInstructions(keycloak, url) : null;
        System.out.println();
        System.out.println("==================================================================================");
        System.out.println(" wsbridge demo is ready. Watch it in a browser, the console:");
        System.out.println();
        System.out.println("   http://127.0.0.1:" + PORT + "/?application=" + PUBLIC_APP);
        System.out.println();
        System.out.println(" Live temperature events, one CloudEvent per frame:");
        System.out.println();
        System.out.println("   wscat -c " + url + "/" + PUBLIC_APP);
        System.out.println("   python3 -m websockets " + url + "/" + PUBLIC_APP);
        System.out.println("   websocat " + url + "/" + PUBLIC_APP);
        System.out.println("   bin/wsbridge stream " + PUBLIC_APP + " --url " + url);
        System.out.println();
        System.out.println(" Share one stream:  wscat -c '" + url + "/" + PUBLIC_APP + "?group_id=billing'  (twice)");
        System.out.println(" One device only:   wscat -c '" + url + "/" + PUBLIC_APP + "/telemetry'");
        if (keycloakInstructions == null) {
            System.out.println(" Private app:       wscat -c " + url + "/" + PRIVATE_APP + "   -> 404 (needs Keycloak: "
                    + "./demo.sh --keycloak)");
        } else {
            System.out.print(keycloakInstructions);
        }
        System.out.println(" Metrics, health:   curl http://127.0.0.1:" + OPS_PORT + "/metrics   (and /readyz, /healthz;"
                + " on the WebSocket port they answer bare status codes)");
        System.out.println(" Kafka:             " + kafka.bootstrapServers() + "   Connect REST: " + worker.restUrl());
        System.out.println(" Logs:              " + kafka.logFile() + "\n                    " + worker.logFile());
        if (keycloak != null) {
            System.out.println("                    " + keycloak.logFile());
        }
        System.out.println();
        System.out.println(" Press Ctrl-C to stop everything.");
        System.out.println("==================================================================================");
        stop.await();
    }

    /**
     * A token and an API key of alice, and how to use them. The key is minted with the real CLI
     * ({@code bridge-server/target/wsbridge.jar}), as the service account of its own client ({@code wsbridge-cli}).
     */
    static String keycloakInstructions(KeycloakServer keycloak, String url) {
        String token = keycloak.passwordToken("alice", "alice-dev-password");
        String key = WsbridgeCli.of(keycloak).createKey("alice");
        String basic = Base64.getEncoder().encodeToString(("alice:" + key).getBytes(StandardCharsets.UTF_8));
        String privateUrl = url + "/" + PRIVATE_APP;
        String tokenEndpoint = keycloak.issuer() + "/protocol/openid-connect/token";
        StringBuilder text = new StringBuilder();
        text.append("\n Keycloak:          ").append(keycloak.url()).append("  realm ").append(KeycloakServer.REALM)
                .append(" (development realm: config/keycloak/wsbridge-realm.json)\n");
        text.append(" Private app '").append(PRIVATE_APP).append("' is readable by alice only (bob and anonymous clients"
                + " get 404).\n\n");
        text.append(" alice's access token (valid 5 minutes):\n   TOKEN=").append(token).append("\n");
        text.append("   wscat -c ").append(privateUrl).append(" -H \"Authorization: Bearer $TOKEN\"\n");
        text.append("   wscat -c \"").append(privateUrl).append("?token=$TOKEN\"\n");
        text.append(" A new token:\n   TOKEN=$(curl -s -d grant_type=password -d client_id=")
                .append(KeycloakServer.USER_CLIENT).append(" -d username=alice -d password=alice-dev-password ")
                .append(tokenEndpoint).append(" | jq -r .access_token)\n");
        text.append("   (bob: -d username=bob -d password=bob-dev-password; his token gets 404 on ").append(PRIVATE_APP)
                .append(")\n\n");
        text.append(" alice's API key (made with: bin/wsbridge keys create --user alice, see below):\n   KEY=")
                .append(key).append("\n");
        text.append("   wscat -c ").append(privateUrl).append(" -H \"Authorization: Basic ").append(basic).append("\"\n");
        text.append("   wscat -c ").append(privateUrl)
                .append(" -H \"Authorization: Basic $(printf 'alice:%s' \"$KEY\" | base64 -w0)\"\n");
        text.append("   wscat -c \"").append(privateUrl).append("?username=alice&api_key=$KEY\"\n");
        text.append(" More keys:         WSBRIDGE_KEYCLOAK_URL=").append(keycloak.url()).append(" WSBRIDGE_REALM=")
                .append(KeycloakServer.REALM).append(" WSBRIDGE_CLIENT_ID=").append(KeycloakServer.CLI_CLIENT)
                .append(" WSBRIDGE_CLIENT_SECRET=").append(KeycloakServer.CLI_CLIENT_SECRET)
                .append(" \\\n                      bin/wsbridge keys create --user alice\n\n");
        return text.toString();
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
        config.put("ops.host", "127.0.0.1");
        config.put("ops.port", String.valueOf(OPS_PORT));
        config.put("consumer.override.auto.offset.reset", "latest");
        return config;
    }

    /** config/websocket-sink-keycloak.json, bound to loopback, with the URL of the demo's Keycloak. */
    static Map<String, String> keycloakConnectorConfig(KeycloakServer keycloak) throws IOException {
        Path file = ItEnvironment.configFile("websocket-sink-keycloak.json")
                .orElseThrow(() -> new IllegalStateException("config/websocket-sink-keycloak.json is missing"));
        Map<String, Object> body = new ObjectMapper().readValue(Files.readString(file), new TypeReference<>() {
        });
        @SuppressWarnings("unchecked")
        Map<String, String> config = new LinkedHashMap<>((Map<String, String>) body.get("config"));
        config.put("name", (String) body.get("name"));
        config.put("keycloak.url", keycloak.url());
        config.put("websocket.host", "127.0.0.1");
        config.put("websocket.port", String.valueOf(PORT));
        config.put("ops.host", "127.0.0.1");
        config.put("ops.port", String.valueOf(OPS_PORT));
        config.put("consumer.override.auto.offset.reset", "latest");
        return config;
    }

    private static void requireFreePort(int port, String variable) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            System.err.println("Port " + port + " on 127.0.0.1 is in use; stop what uses it or run with "
                    + variable + "=<port> ./demo.sh");
            System.exit(1);
        }
    }

    private static void step(String what) {
        System.out.println("==> " + what);
    }
}
