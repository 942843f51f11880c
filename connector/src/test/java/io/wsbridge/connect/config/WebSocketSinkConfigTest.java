package io.wsbridge.connect.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.auth.keycloak.KeycloakSettings;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WebSocketSinkConfigTest {

    @Test
    void defaultsMapOntoTheBridgeSettings() {
        BridgeSettings settings = new WebSocketSinkConfig(Map.of()).bridgeSettings();

        assertThat(settings).isEqualTo(BridgeSettings.defaults("0.0.0.0", 8085));
    }

    @Test
    void everyKeyReachesTheBridgeSettings() {
        BridgeSettings settings = new WebSocketSinkConfig(Map.ofEntries(
                Map.entry("websocket.host", "127.0.0.1"),
                Map.entry("websocket.port", "9000"),
                Map.entry("websocket.subscriber.queue.size", "10"),
                Map.entry("websocket.subscriber.overflow.policy", "DROP-OLDEST"),
                Map.entry("websocket.ping.interval.ms", "1000"),
                Map.entry("websocket.pong.timeout.ms", "3000"),
                Map.entry("websocket.shutdown.grace.ms", "0"),
                Map.entry("websocket.max.message.bytes", "4096"),
                Map.entry("websocket.max.connections", "500"),
                Map.entry("websocket.max.connections.per.address", "50"),
                Map.entry("websocket.handshake.timeout.ms", "2000"),
                Map.entry("websocket.unfinished.message.timeout.ms", "3000"),
                Map.entry("websocket.max.unfinished.message.bytes", "65536"),
                Map.entry("auth.public.applications", "a, b"),
                Map.entry("websocket.allowed.origins", "https://app.example"),
                Map.entry("auth.reauthorize.interval.ms", "5000"),
                Map.entry("websocket.tls.keystore.location", "/etc/ws.p12"),
                Map.entry("websocket.tls.keystore.password", "store-pass"),
                Map.entry("ops.host", "0.0.0.0"),
                Map.entry("ops.port", "9001"),
                Map.entry("ops.metrics.applications.max", "7"),
                Map.entry("ops.metrics.retention.ms", "2000"),
                Map.entry("websocket.write.threads", "3"))).bridgeSettings();

        assertThat(settings).isEqualTo(BridgeSettings.builder("127.0.0.1", 9000).queue(10, OverflowPolicy.DROP_OLDEST)
                .liveness(Duration.ofSeconds(1), Duration.ofSeconds(3)).shutdownGrace(Duration.ZERO)
                .maxMessageBytes(4096).connectionLimits(500, 50).handshakeTimeout(Duration.ofSeconds(2))
                .unfinishedMessages(Duration.ofSeconds(3), 65536).publicApplications(Set.of("a", "b"))
                .allowedOrigins(Set.of("https://app.example")).reauthorizeInterval(Duration.ofSeconds(5))
                .tls(new BridgeSettings.Tls(java.nio.file.Path.of("/etc/ws.p12"), "PKCS12", "store-pass", null))
                .ops(new BridgeSettings.Ops("0.0.0.0", 9001)).applicationSeries(7, Duration.ofSeconds(2))
                .writeThreads(3).build());
    }

    @Test
    void writeThreadsOutOfRangeAreRefusedWithTheKeyAndTheRange() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("websocket.write.threads", "65")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("websocket.write.threads")
                .hasMessageContaining("Value must be no more than 64");
        assertThat(new WebSocketSinkConfig(Map.of("websocket.write.threads", "0")).bridgeSettings().writeThreads())
                .isZero();
    }

    @Test
    void theOperationsListenerIsOffByDefaultAndOnLoopbackWhenTurnedOn() {
        assertThat(new WebSocketSinkConfig(Map.of()).bridgeSettings().ops()).isNull();
        assertThat(new WebSocketSinkConfig(Map.of("ops.port", "8086")).bridgeSettings().ops())
                .isEqualTo(new BridgeSettings.Ops("127.0.0.1", 8086));
    }

    @Test
    void originsMustBeOrigins() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("websocket.allowed.origins", "app.example/x")))
                .hasMessage("Invalid value [app.example/x] for configuration websocket.allowed.origins: "
                        + "'app.example/x' is not an origin: write scheme://host[:port], e.g. https://app.example.com");
    }

    @Test
    void passwordsAreHiddenWhenTheConfigIsPrinted() {
        WebSocketSinkConfig config = new WebSocketSinkConfig(Map.of("websocket.tls.keystore.location", "/x.p12",
                "websocket.tls.keystore.password", "store-pass"));
        assertThat(config.toString()).doesNotContain("store-pass");
        assertThat(config.values().toString()).doesNotContain("store-pass");
        assertThat(config.bridgeSettings().toString()).doesNotContain("store-pass");
    }

    @Test
    void keycloakSettingsBecomeTheIdentityProvider() {
        var provider = new WebSocketSinkConfig(Map.of("keycloak.url", "http://127.0.0.1:8180/",
                "keycloak.realm", "wsbridge", "keycloak.client.id", "wsbridge-bridge",
                "keycloak.client.secret", "dev-secret", "auth.applications.group", "/apps",
                "auth.token.audience", "wsbridge-client")).identityProvider();

        assertThat(provider.issuer()).isEqualTo("http://127.0.0.1:8180/realms/wsbridge");
        assertThat(provider.keycloak().applicationsGroup()).isEqualTo("/apps");
        assertThat(provider.audience()).isEqualTo("wsbridge-client");
        assertThat(provider.toString()).doesNotContain("dev-secret");
        assertThat(provider.keysRefreshInterval()).as("default").isEqualTo(Duration.ofMinutes(5));
        assertThat(new WebSocketSinkConfig(Map.of()).identityProvider()).isNull();
    }

    @Test
    void tokenKeysRefreshIntervalReachesTheIdentityProvider() {
        var provider = new WebSocketSinkConfig(Map.of("keycloak.url", "http://127.0.0.1:8180",
                "keycloak.realm", "wsbridge", "keycloak.client.id", "wsbridge-bridge",
                "keycloak.client.secret", "dev-secret", "auth.token.keys.refresh.interval.ms", "60000"))
                .identityProvider();

        assertThat(provider.keysRefreshInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("auth.token.keys.refresh.interval.ms", "10")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 10 for configuration auth.token.keys.refresh.interval.ms: Value must be at"
                        + " least 1000");
    }

    @Test
    void lookupLimitsAndStalenessReachTheKeycloakSettings() {
        var keycloak = new WebSocketSinkConfig(Map.of("keycloak.url", "http://127.0.0.1:8180",
                "keycloak.realm", "wsbridge", "keycloak.client.id", "wsbridge-bridge",
                "keycloak.client.secret", "dev-secret", "auth.cache.negative.ttl.ms", "2000",
                "auth.cache.max.stale.ms", "60000", "auth.lookups.max.concurrent", "3",
                "auth.lookups.per.address.per.second", "0.5", "auth.lookups.per.address.burst", "7"))
                .identityProvider().keycloak();
        var defaults = new WebSocketSinkConfig(Map.of("keycloak.url", "http://127.0.0.1:8180",
                "keycloak.realm", "wsbridge", "keycloak.client.id", "wsbridge-bridge",
                "keycloak.client.secret", "dev-secret")).identityProvider().keycloak();

        assertThat(keycloak.negativeCacheTtl()).isEqualTo(Duration.ofSeconds(2));
        assertThat(keycloak.maxStale()).isEqualTo(Duration.ofMinutes(1));
        assertThat(keycloak.lookups()).isEqualTo(new KeycloakSettings.Lookups(3, 0.5, 7));
        assertThat(defaults.negativeCacheTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.maxStale()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.lookups()).isEqualTo(new KeycloakSettings.Lookups(8, 5, 20));
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("auth.lookups.max.concurrent", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 0 for configuration auth.lookups.max.concurrent: Value must be at least 1");
    }

    @Test
    void portOutOfRangeIsRefusedWithTheRange() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("websocket.port", "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 70000 for configuration websocket.port: Value must be no more than 65535");
    }

    @Test
    void unknownOverflowPolicyListsTheChoices() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("websocket.subscriber.overflow.policy", "block")))
                .hasMessage("Invalid value block for configuration websocket.subscriber.overflow.policy: "
                        + "must be one of close, drop-oldest");
    }

    @Test
    void unknownNonCloudEventPolicyListsTheChoices() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("errors.non.cloudevent", "drop")))
                .hasMessage("Invalid value drop for configuration errors.non.cloudevent: must be one of wrap, report");
    }

    @Test
    void topicPatternWithoutTheApplicationGroupIsRefused() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("application.topic.pattern", "events-(.+)")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Invalid value events-(.+) for configuration application.topic.pattern: ")
                .hasMessageContaining("(?<application>");
    }

    @Test
    void applicationNamesWithSlashesAreRefused() {
        assertThatThrownBy(() -> new WebSocketSinkConfig(Map.of("auth.public.applications", "ok,a/b")))
                .hasMessage("Invalid value [ok, a/b] for configuration auth.public.applications: "
                        + "application names must be non-empty and must not contain '/': 'a/b'");
    }
}
