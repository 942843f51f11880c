package io.wsbridge.connect.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.BridgeSettings;
import io.wsbridge.bridge.OverflowPolicy;
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
        BridgeSettings settings = new WebSocketSinkConfig(Map.of(
                "websocket.host", "127.0.0.1",
                "websocket.port", "9000",
                "websocket.subscriber.queue.size", "10",
                "websocket.subscriber.overflow.policy", "DROP-OLDEST",
                "websocket.ping.interval.ms", "1000",
                "websocket.pong.timeout.ms", "3000",
                "websocket.shutdown.grace.ms", "0",
                "websocket.max.message.bytes", "4096",
                "auth.public.applications", "a, b")).bridgeSettings();

        assertThat(settings).isEqualTo(new BridgeSettings("127.0.0.1", 9000, 10, OverflowPolicy.DROP_OLDEST,
                Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ZERO, 4096, Set.of("a", "b")));
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
