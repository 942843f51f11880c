package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.it.harness.ConnectRest.ConnectorStatus;
import io.wsbridge.it.harness.ConnectRest.Validation;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Development-mode access (public applications only, credentials refused), the connector's validation
 * through Connect's REST API, and a port that cannot be bound.
 */
@ExtendWith(StackExtension.class)
class AccessAndValidationIT {

    private static final String PUBLIC_APP = "drogue-public-temperature";
    private static final String TOPIC = "events-access-it";
    private static final String BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";

    private static SinkConnector sink;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        // the shipped access policy: only drogue-public-temperature is public
        sink = SinkConnector.shipped(stack, "access-it", Map.of("topics.regex", TOPIC));
        sink.create().awaitRunning();
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void aNonPublicApplicationAnswers404OnUpgrade() {
        try (WsClient open = WsClient.awaitConnect(sink.uri("/" + PUBLIC_APP), Map.of(), Duration.ofSeconds(30))) {
            assertThat(open.closeStatus()).as("the public application is open").isEmpty();
        }
        assertThat(WsClient.attempt(sink.uri("/access-it"), Map.of()).status()).isEqualTo(404);
        assertThat(WsClient.attempt(sink.uri("/access-it/door"), Map.of()).status()).isEqualTo(404);
        assertThat(WsClient.attempt(sink.uri("/" + PUBLIC_APP + "/a/b"), Map.of()).status())
                .as("not a route").isEqualTo(404);
    }

    @Test
    void credentialsAnswer401InDevelopmentMode() throws IOException {
        assertThat(WsClient.attempt(sink.uri("/" + PUBLIC_APP + "?token=x"), Map.of()).status()).isEqualTo(401);
        assertThat(WsClient.attempt(sink.uri("/" + PUBLIC_APP), Map.of("Authorization", "Bearer x")).status())
                .isEqualTo(401);
        assertThat(WsClient.attempt(sink.uri("/" + PUBLIC_APP + "?username=u&api_key=k"), Map.of()).status())
                .isEqualTo(401);

        List<String> response = rawUpgrade(sink.port(), "/" + PUBLIC_APP + "?token=x");
        assertThat(response.get(0)).startsWith("HTTP/1.1 401");
        assertThat(response).as("a 401 tells how to authenticate")
                .anySatisfy(header -> assertThat(header.toLowerCase()).startsWith("www-authenticate:"));
    }

    @Test
    void validateAcceptsTheShippedConfig(Stack stack) {
        Validation validation = validate(stack, Map.of());
        assertThat(validation.errorCount()).as("%s", validation).isZero();
    }

    @Test
    void validateRejectsAPortOutOfRange(Stack stack) {
        assertOnlyError(validate(stack, Map.of("websocket.port", "70000")), "websocket.port",
                "Invalid value 70000 for configuration websocket.port: Value must be no more than 65535");
    }

    @Test
    void validateRejectsAConverterThatIsNotByteArray(Stack stack) {
        assertOnlyError(validate(stack, Map.of("value.converter", "org.apache.kafka.connect.json.JsonConverter")),
                "value.converter",
                "wsbridge decodes CloudEvents from the raw bytes of record values: set value.converter="
                        + BYTE_ARRAY_CONVERTER);
    }

    @Test
    void validateRejectsATopicPatternWithoutTheApplicationGroup(Stack stack) {
        assertOnlyError(validate(stack, Map.of("application.topic.pattern", "events-(.+)")),
                "application.topic.pattern",
                "Invalid value events-(.+) for configuration application.topic.pattern: The topic pattern 'events-(.+)'"
                        + " has no named group 'application': enclose the part of the topic name that names the"
                        + " application in (?<application>...), e.g. events-(?<application>.+)");
    }

    /** Issue 12, point 6: the bridge's own consumers need the brokers; validate says which key is missing. */
    @Test
    void validateNamesTheMissingBootstrapServersOfTheBridgesConsumers(Stack stack) {
        assertOnlyError(validate(stack, Map.of("kafka.security.protocol", "SASL_SSL")), "kafka.bootstrap.servers",
                "kafka.* settings are given but kafka.bootstrap.servers is missing: the bridge's consumers (resume and"
                        + " replay) need the brokers to connect to");

        Validation complete = validate(stack, Map.of("kafka.security.protocol", "SASL_SSL",
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers()));
        assertThat(complete.errorCount()).as("%s", complete).isZero();
    }

    @Test
    void validateRejectsAPongTimeoutNotLongerThanThePingInterval(Stack stack) {
        assertOnlyError(validate(stack, Map.of(
                "websocket.ping.interval.ms", "10000",
                "websocket.pong.timeout.ms", "10000")), "websocket.pong.timeout.ms",
                "websocket.pong.timeout.ms (10000) must be longer than websocket.ping.interval.ms (10000), or every"
                        + " subscriber is closed before it can answer a ping");
    }

    @Test
    void validateRejectsAKeycloakUrlWithoutRealmAndClient(Stack stack) {
        Validation validation = validate(stack, Map.of("keycloak.url", "http://127.0.0.1:8080"));
        assertThat(validation.errors()).as("%s", validation)
                .containsOnlyKeys("keycloak.realm", "keycloak.client.id", "keycloak.client.secret");
        assertThat(validation.errorsFor("keycloak.realm"))
                .containsExactly("keycloak.realm is required when keycloak.url is set");
        assertThat(validation.errorsFor("keycloak.client.id"))
                .containsExactly("keycloak.client.id is required when keycloak.url is set");
        assertThat(validation.errorsFor("keycloak.client.secret"))
                .containsExactly("keycloak.client.secret is required when keycloak.url is set");
    }

    @Test
    void aPortInUseFailsTheTaskWithATraceNamingThePort(Stack stack) throws IOException {
        int port = FreePorts.on(KafkaBroker.HOST);
        try (ServerSocket occupant = new ServerSocket(port, 1, InetAddress.getByName(KafkaBroker.HOST));
             SinkConnector blocked = SinkConnector.shipped(stack, "access-it-port-in-use", Map.of(
                     "topics.regex", TOPIC,
                     "websocket.port", Integer.toString(port)))) {
            blocked.create();

            ConnectorStatus status = stack.rest().awaitStatus(blocked.name(), Duration.ofSeconds(60), "task FAILED",
                    s -> s.task(0).map(task -> "FAILED".equals(task.state())).orElse(false));
            assertThat(status.task(0).orElseThrow().trace())
                    .contains("Cannot start the WebSocket server on 127.0.0.1:" + port + " (websocket.host / websocket.port)")
                    .contains("Address already in use")
                    .contains("Is another process or connector using the port?");
        }
    }

    /** {@code validation} has errors for {@code key} only, exactly {@code messages}. */
    private static void assertOnlyError(Validation validation, String key, String... messages) {
        assertThat(validation.errors()).as("%s", validation).containsOnlyKeys(key);
        assertThat(validation.errorsFor(key)).containsExactly(messages);
    }

    private static Validation validate(Stack stack, Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>(sink.config());
        config.put("name", "access-it-validation");
        config.putAll(overrides);
        return stack.rest().validate(SinkConnector.CONNECTOR_CLASS, config);
    }

    /** A WebSocket upgrade by hand, to see the response headers: the status line and the headers. */
    private static List<String> rawUpgrade(int port, String pathAndQuery) throws IOException {
        try (Socket socket = new Socket(KafkaBroker.HOST, port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + pathAndQuery + " HTTP/1.1\r\n"
                    + "Host: " + KafkaBroker.HOST + ":" + port + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n"
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            List<String> lines = new ArrayList<>();
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                lines.add(line);
            }
            return lines;
        }
    }
}
