package io.wsbridge.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

class WebSocketSinkConnectorTest {

    static final String BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter";

    static Map<String, String> valid() {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", WebSocketSinkConnector.class.getName());
        config.put("topics", "events-a");
        config.put("value.converter", BYTES);
        config.put("header.converter", BYTES);
        return config;
    }

    static Map<String, List<String>> errors(Map<String, String> config) {
        Config result = new WebSocketSinkConnector().validate(config);
        return result.configValues().stream().filter(v -> !v.errorMessages().isEmpty())
                .collect(Collectors.toMap(ConfigValue::name, ConfigValue::errorMessages));
    }

    @Test
    void validConfigHasNoErrors() {
        assertThat(errors(valid())).isEmpty();
    }

    @Test
    void otherConvertersAreRefusedOnTheirKey() {
        Map<String, String> config = valid();
        config.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        config.put("header.converter", "org.apache.kafka.connect.storage.SimpleHeaderConverter");

        assertThat(errors(config)).containsOnly(
                Map.entry("value.converter", List.of("wsbridge decodes CloudEvents from the raw bytes of record values: "
                        + "set value.converter=" + BYTES)),
                Map.entry("header.converter", List.of("wsbridge decodes CloudEvents from the raw bytes of record "
                        + "headers: set header.converter=" + BYTES)));
    }

    @Test
    void portOutOfRangeIsAnErrorOnThePort() {
        Map<String, String> config = valid();
        config.put("websocket.port", "0");

        assertThat(errors(config)).containsOnly(Map.entry("websocket.port", List.of(
                "Invalid value 0 for configuration websocket.port: Value must be at least 1")));
    }

    @Test
    void badTopicPatternIsAnErrorOnThePattern() {
        Map<String, String> config = valid();
        config.put("application.topic.pattern", "events-(?<application>.+");

        assertThat(errors(config)).containsOnlyKeys("application.topic.pattern");
    }

    @Test
    void pongTimeoutNotLongerThanPingIntervalIsContradictory() {
        Map<String, String> config = valid();
        config.put("websocket.ping.interval.ms", "5000");
        config.put("websocket.pong.timeout.ms", "5000");

        assertThat(errors(config)).containsOnly(Map.entry("websocket.pong.timeout.ms", List.of(
                "websocket.pong.timeout.ms (5000) must be longer than websocket.ping.interval.ms (5000), or every "
                        + "subscriber is closed before it can answer a ping")));
    }

    @Test
    void theOperationsListenerCannotShareTheWebSocketPort() {
        Map<String, String> config = valid();
        config.put("websocket.port", "9000");
        config.put("ops.port", "9000");

        assertThat(errors(config)).containsOnly(Map.entry("ops.port", List.of(
                "ops.port (9000) must differ from websocket.port: the operations listener serves metrics that the "
                        + "public WebSocket port must not; choose another port, or 0 to turn it off")));
        config.put("ops.port", "9001");
        assertThat(errors(config)).isEmpty();
    }

    @Test
    void toleratingErrorsWithNowhereToReportThemIsContradictory() {
        Map<String, String> config = valid();
        config.put("errors.tolerance", "all");
        assertThat(errors(config)).containsOnlyKeys("errors.tolerance");

        config.put("errors.deadletterqueue.topic.name", "wsbridge-dlq");
        assertThat(errors(config)).isEmpty();
    }

    @Test
    void keycloakNeedsRealmClientAndSecret() {
        Map<String, String> config = valid();
        config.put("keycloak.url", "http://127.0.0.1:8180");

        assertThat(errors(config)).containsOnly(
                Map.entry("keycloak.realm", List.of("keycloak.realm is required when keycloak.url is set")),
                Map.entry("keycloak.client.id", List.of("keycloak.client.id is required when keycloak.url is set")),
                Map.entry("keycloak.client.secret",
                        List.of("keycloak.client.secret is required when keycloak.url is set")));
    }

    @Test
    void keycloakUrlWithARealmPathIsRefused() {
        Map<String, String> config = valid();
        config.put("keycloak.url", "http://127.0.0.1:8180/realms/wsbridge");
        config.put("keycloak.realm", "wsbridge");
        config.put("keycloak.client.id", "wsbridge-bridge");
        config.put("keycloak.client.secret", "s");

        assertThat(errors(config)).containsOnly(Map.entry("keycloak.url", List.of(
                "Invalid value http://127.0.0.1:8180/realms/wsbridge for configuration keycloak.url: give the "
                        + "server's base URL without /realms/...: the realm goes into keycloak.realm")));
    }

    @Test
    void withoutAnAudienceTheBridgesClientIdIsRecommendedButNothingIsRefused() {
        Map<String, String> config = valid();
        config.put("keycloak.url", "http://127.0.0.1:8180");
        config.put("keycloak.realm", "wsbridge");
        config.put("keycloak.client.id", "wsbridge-bridge");
        config.put("keycloak.client.secret", "s");

        assertThat(errors(config)).isEmpty();
        assertThat(recommended(config, "auth.token.audience")).containsExactly("wsbridge-bridge");

        config.put("auth.token.audience", "wsbridge-bridge");
        assertThat(errors(config)).isEmpty();
        assertThat(recommended(config, "auth.token.audience")).isEmpty();
    }

    private static List<Object> recommended(Map<String, String> config, String key) {
        return new WebSocketSinkConnector().validate(config).configValues().stream()
                .filter(value -> value.name().equals(key)).findFirst().orElseThrow().recommendedValues();
    }

    @Test
    void secretsAreHiddenInValidationResults() {
        Map<String, String> config = valid();
        config.put("keycloak.url", "http://127.0.0.1:8180");
        config.put("keycloak.realm", "wsbridge");
        config.put("keycloak.client.id", "wsbridge-bridge");
        config.put("keycloak.client.secret", "very-secret");

        Config result = new WebSocketSinkConnector().validate(config);

        assertThat(errors(config)).isEmpty();
        assertThat(result.configValues().toString()).doesNotContain("very-secret");
    }

    @Test
    void everyTaskGetsTheConnectorConfig() {
        WebSocketSinkConnector connector = new WebSocketSinkConnector();
        connector.start(valid());

        assertThat(connector.taskConfigs(3)).hasSize(3).allSatisfy(c -> assertThat(c).isEqualTo(valid()));
        assertThat(connector.taskClass()).isEqualTo(WebSocketSinkTask.class);
        // the build writes the project version into version.properties; "unknown" or "${project.version}" means
        // the filtering broke
        assertThat(connector.version()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?")
                .isEqualTo(new WebSocketSinkTask().version());
    }
}
