package io.wsbridge.connect.config;

import io.wsbridge.bridge.settings.BridgeSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules across keys, some of them Connect's own, that a single validator cannot see. Each problem is attached to the
 * key a user has to change.
 */
public final class ConnectorValidation {

    public static final String BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";

    private static final Logger log = LoggerFactory.getLogger(ConnectorValidation.class);

    private ConnectorValidation() {
    }

    /** Adds the cross-key problems of {@code configs} to the per-key results in {@code config}. */
    public static Config validate(Map<String, String> configs, Config config) {
        List<ConfigValue> values = new ArrayList<>(config.configValues());
        requireByteArrayConverter(configs, values, "value.converter", "values");
        requireByteArrayConverter(configs, values, "header.converter", "headers");

        Optional<Long> ping = longValue(configs, WebSocketSinkConfig.PING_INTERVAL);
        Optional<Long> pong = longValue(configs, WebSocketSinkConfig.PONG_TIMEOUT);
        long pingMs = ping.orElse(WebSocketSinkConfig.CONFIG_DEF.configKeys()
                .get(WebSocketSinkConfig.PING_INTERVAL).defaultValue instanceof Long l ? l : 0L);
        long pongMs = pong.orElse(WebSocketSinkConfig.CONFIG_DEF.configKeys()
                .get(WebSocketSinkConfig.PONG_TIMEOUT).defaultValue instanceof Long l ? l : 0L);
        if (pongMs <= pingMs) {
            addError(values, WebSocketSinkConfig.PONG_TIMEOUT, String.valueOf(pongMs),
                    WebSocketSinkConfig.PONG_TIMEOUT + " (" + pongMs + ") must be longer than "
                            + WebSocketSinkConfig.PING_INTERVAL + " (" + pingMs + "), or every subscriber is closed "
                            + "before it can answer a ping");
        }

        if (!configs.getOrDefault(WebSocketSinkConfig.KEYCLOAK_URL, "").isBlank()) {
            for (String required : new String[] {WebSocketSinkConfig.KEYCLOAK_REALM,
                WebSocketSinkConfig.KEYCLOAK_CLIENT_ID, WebSocketSinkConfig.KEYCLOAK_CLIENT_SECRET}) {
                if (configs.getOrDefault(required, "").isBlank()) {
                    addError(values, required, null, required + " is required when " + WebSocketSinkConfig.KEYCLOAK_URL
                            + " is set");
                }
            }
            warnWithoutAudience(configs, values);
        }

        String keyStore = configs.getOrDefault(WebSocketSinkConfig.TLS_KEYSTORE_LOCATION, "");
        if (!keyStore.isBlank()) {
            if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(keyStore.trim()))) {
                addError(values, WebSocketSinkConfig.TLS_KEYSTORE_LOCATION, keyStore, "cannot read the key store '"
                        + keyStore.trim() + "' on this worker: the file must exist on every worker that runs a task");
            }
            if (configs.getOrDefault(WebSocketSinkConfig.TLS_KEYSTORE_PASSWORD, "").isEmpty()) {
                addError(values, WebSocketSinkConfig.TLS_KEYSTORE_PASSWORD, null,
                        "a TLS key store needs its password: set " + WebSocketSinkConfig.TLS_KEYSTORE_PASSWORD);
            }
        }

        Optional<Long> opsPort = longValue(configs, WebSocketSinkConfig.OPS_PORT);
        long wsPort = longValue(configs, WebSocketSinkConfig.WEBSOCKET_PORT)
                .orElse((long) BridgeSettings.DEFAULT_PORT);
        if (opsPort.isPresent() && opsPort.get() == wsPort) {
            addError(values, WebSocketSinkConfig.OPS_PORT, String.valueOf(opsPort.get()),
                    WebSocketSinkConfig.OPS_PORT + " (" + opsPort.get() + ") must differ from "
                            + WebSocketSinkConfig.WEBSOCKET_PORT + ": the operations listener serves metrics that the "
                            + "public WebSocket port must not; choose another port, or 0 to turn it off");
        }

        String secret = configs.get(WebSocketSinkConfig.CLUSTER_SECRET);
        if (secret != null && !secret.isEmpty() && secret.length() < WebSocketSinkConfig.CLUSTER_SECRET_MIN_LENGTH) {
            addError(values, WebSocketSinkConfig.CLUSTER_SECRET, null, WebSocketSinkConfig.CLUSTER_SECRET
                    + " must be at least " + WebSocketSinkConfig.CLUSTER_SECRET_MIN_LENGTH + " characters long, or "
                    + "empty to turn cluster mode off");
        }

        boolean kafkaSettings = configs.keySet().stream().anyMatch(key -> key.startsWith("kafka.")
                && !key.equals(WebSocketSinkConfig.KAFKA_BOOTSTRAP_SERVERS));
        if (kafkaSettings && configs.getOrDefault(WebSocketSinkConfig.KAFKA_BOOTSTRAP_SERVERS, "").isBlank()) {
            addError(values, WebSocketSinkConfig.KAFKA_BOOTSTRAP_SERVERS, null, "kafka.* settings are given but "
                    + WebSocketSinkConfig.KAFKA_BOOTSTRAP_SERVERS + " is missing: the bridge's consumers (resume and "
                    + "replay) need the brokers to connect to");
        }

        if ("all".equalsIgnoreCase(configs.getOrDefault("errors.tolerance", "none").trim())
                && configs.getOrDefault("errors.deadletterqueue.topic.name", "").isBlank()
                && !"true".equalsIgnoreCase(configs.getOrDefault("errors.log.enable", "false").trim())) {
            addError(values, "errors.tolerance", configs.get("errors.tolerance"),
                    "errors.tolerance=all without errors.deadletterqueue.topic.name or errors.log.enable=true would "
                            + "drop records that are not valid CloudEvents without a trace: set a dead letter "
                            + "queue topic, enable error logging, or use errors.tolerance=none");
        }
        return new Config(values);
    }

    /**
     * Tokens without a required audience are accepted whichever client of the realm they were issued to: not an error
     * (Connect would refuse the config), but a warning in the worker's log, and the bridge's client id as the
     * recommended value of {@code auth.token.audience} (what the README's realm setup maps into tokens).
     */
    private static void warnWithoutAudience(Map<String, String> configs, List<ConfigValue> values) {
        if (!configs.getOrDefault(WebSocketSinkConfig.TOKEN_AUDIENCE, "").isBlank()) {
            return;
        }
        String clientId = configs.getOrDefault(WebSocketSinkConfig.KEYCLOAK_CLIENT_ID, "").trim();
        log.warn("SECURITY: connector '{}' sets {} but not {}: its bridge would accept a token of realm '{}' issued to"
                + " any of the realm's clients. Set {} to the audience the realm maps into subscribers' tokens (the"
                + " README's setup maps the bridge's client id{})", configs.getOrDefault("name", ""),
                WebSocketSinkConfig.KEYCLOAK_URL, WebSocketSinkConfig.TOKEN_AUDIENCE,
                configs.getOrDefault(WebSocketSinkConfig.KEYCLOAK_REALM, ""), WebSocketSinkConfig.TOKEN_AUDIENCE,
                clientId.isEmpty() ? "" : ", '" + clientId + "'");
        if (!clientId.isEmpty()) {
            for (ConfigValue value : values) {
                if (value.name().equals(WebSocketSinkConfig.TOKEN_AUDIENCE)) {
                    value.recommendedValues(List.<Object>of(clientId));
                }
            }
        }
    }

    private static void requireByteArrayConverter(Map<String, String> configs, List<ConfigValue> values, String key,
            String what) {
        String converter = configs.get(key);
        if (converter != null && !converter.isBlank() && !BYTE_ARRAY_CONVERTER.equals(converter.trim())) {
            addError(values, key, converter, "wsbridge decodes CloudEvents from the raw bytes of record " + what
                    + ": set " + key + "=" + BYTE_ARRAY_CONVERTER);
        }
    }

    private static Optional<Long> longValue(Map<String, String> configs, String key) {
        try {
            String value = configs.get(key);
            return value == null ? Optional.empty() : Optional.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void addError(List<ConfigValue> values, String key, Object value, String message) {
        for (ConfigValue existing : values) {
            if (existing.name().equals(key)) {
                existing.addErrorMessage(message);
                return;
            }
        }
        // No value: Connect renders the value with the key's own type (CLASS for converters), which a String breaks.
        ConfigValue added = new ConfigValue(key, null, List.of(), new ArrayList<>());
        added.addErrorMessage(message);
        values.add(added);
    }
}
