package io.wsbridge.connect.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    @AfterEach
    void forgetTheWorker() {
        KafkaConnection.clearWorker();
    }

    @Test
    void withoutTheExtensionTheConnectorsKafkaKeysConnectAndWithoutThemNothingDoes() {
        assertThat(KafkaConnection.consumer(Map.of("name", "ws"))).isNull();

        Map<String, Object> settings = KafkaConnection.consumer(Map.of("kafka.bootstrap.servers", "k:9092",
                "kafka.security.protocol", "SASL_SSL", "kafka.group.id", "stolen", "kafka.enable.auto.commit", "true"));

        assertThat(settings).containsEntry("bootstrap.servers", "k:9092").containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("enable.auto.commit", "false").containsEntry("allow.auto.create.topics", "false")
                .doesNotContainKey("group.id");
    }

    @Test
    void theWorkersSettingsWinWhenTheExtensionRunsWithItsConsumerSettingsOnTop() {
        KafkaConnection.installWorker(Map.of("bootstrap.servers", "worker:9092", "group.id", "connect-cluster",
                "consumer.security.protocol", "SSL", "consumer.isolation.level", "read_committed",
                "consumer.auto.offset.reset", "latest", "rest.port", "8083"));

        Map<String, Object> settings = KafkaConnection.consumer(Map.of("kafka.bootstrap.servers", "k:9092"));

        assertThat(settings).containsEntry("bootstrap.servers", "worker:9092").containsEntry("security.protocol", "SSL")
                .containsEntry("isolation.level", "read_committed").doesNotContainKeys("group.id", "rest.port",
                        "auto.offset.reset");
        assertThat(KafkaConnection.resetPolicy(Map.of())).isEqualTo("latest");
        assertThat(KafkaConnection.consumer(Map.of("consumer.override.isolation.level", "read_uncommitted")))
                .containsEntry("isolation.level", "read_uncommitted");
    }

    @Test
    void theTasksGroupAndResetPolicyAreConnectsOwn() {
        assertThat(KafkaConnection.groupId(Map.of("name", "ws"))).isEqualTo("connect-ws");
        assertThat(KafkaConnection.groupId(Map.of("name", "ws", "consumer.override.group.id", "g"))).isEqualTo("g");
        assertThat(KafkaConnection.resetPolicy(Map.of())).isEqualTo("earliest");
        assertThat(KafkaConnection.resetPolicy(Map.of("consumer.override.auto.offset.reset", "latest")))
                .isEqualTo("latest");
    }
}
