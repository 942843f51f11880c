package io.wsbridge.connect.replay;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where the bridge's own consumers connect (the ones that read history for resuming subscribers, and the committed
 * offsets a task starts from): the worker's Kafka settings when the wsbridge REST extension runs on this worker (it
 * {@linkplain #installWorker installs} them), otherwise the connector's {@code kafka.*} keys
 * ({@code kafka.bootstrap.servers}, {@code kafka.security.protocol}, {@code kafka.sasl.jaas.config}, ...; secrets
 * through config providers). Neither: resuming is off.
 *
 * <p>JVM-wide, like the worker's other settings: Connect creates the REST extension and the tasks independently.
 */
public final class KafkaConnection {

    /** The connector's keys with this prefix are consumer settings, prefix removed. */
    public static final String PREFIX = "kafka.";
    /** Settings the bridge's consumers choose themselves, whatever the worker or connector says. */
    private static final Set<String> OWN = Set.of(ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.CLIENT_ID_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
            ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG);

    private static volatile Map<String, Object> worker;
    private static volatile String workerResetPolicy;
    private static volatile String workerIsolation;

    private KafkaConnection() {
    }

    /**
     * Takes the consumer settings of the worker's properties: its client settings ({@code bootstrap.servers},
     * {@code security.protocol}, {@code ssl.*}, {@code sasl.*}, ...), with its {@code consumer.*} settings on top, as
     * Connect gives its sink tasks' consumers.
     */
    public static void installWorker(Map<String, ?> workerProperties) {
        Map<String, Object> settings = new HashMap<>();
        Set<String> names = ConsumerConfig.configNames();
        workerProperties.forEach((key, value) -> {
            if (names.contains(key) && value != null) {
                settings.put(key, value);
            }
        });
        workerProperties.forEach((key, value) -> {
            if (key.startsWith("consumer.") && names.contains(key.substring(9)) && value != null) {
                settings.put(key.substring(9), value);
            }
        });
        Object reset = settings.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);
        Object isolation = settings.get(ConsumerConfig.ISOLATION_LEVEL_CONFIG);
        workerResetPolicy = reset == null ? null : reset.toString();
        workerIsolation = isolation == null ? null : isolation.toString();
        OWN.forEach(settings::remove);
        worker = settings.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) ? Map.copyOf(settings) : null;
    }

    /** Forgets the worker's settings, so that tests start from a worker without the extension. */
    public static void clearWorker() {
        worker = null;
        workerResetPolicy = null;
        workerIsolation = null;
    }

    /** Whether the worker's settings are installed (the REST extension runs here). */
    public static boolean fromWorker() {
        return worker != null;
    }

    /**
     * The settings of a consumer of the bridge's own, or {@code null} if there is no connection: the worker's, else
     * the connector's {@code kafka.*} keys; the isolation level is the one the connector's tasks read with.
     *
     * @param connectorProperties the connector's configuration as Connect hands it to tasks
     */
    public static Map<String, Object> consumer(Map<String, String> connectorProperties) {
        Map<String, Object> settings = new HashMap<>();
        Map<String, Object> fromWorker = worker;
        if (fromWorker != null) {
            settings.putAll(fromWorker);
        } else {
            connectorProperties.forEach((key, value) -> {
                if (key.startsWith(PREFIX) && value != null && !OWN.contains(key.substring(PREFIX.length()))) {
                    settings.put(key.substring(PREFIX.length()), value);
                }
            });
            if (!settings.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                return null;
            }
        }
        String isolation = connectorProperties.getOrDefault("consumer.override." + ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                workerIsolation);
        if (isolation != null) {
            settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        }
        settings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        return settings;
    }

    /**
     * Where the connector's tasks start a partition without a committed offset: its
     * {@code consumer.override.auto.offset.reset}, else the worker's {@code consumer.auto.offset.reset}, else
     * {@code earliest}, Connect's default for sink tasks.
     */
    public static String resetPolicy(Map<String, String> connectorProperties) {
        String policy = connectorProperties.get("consumer.override." + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);
        if (policy == null) {
            policy = workerResetPolicy;
        }
        return policy == null ? "earliest" : policy.trim();
    }

    /** The consumer group of the connector's tasks: {@code consumer.override.group.id}, else {@code connect-<name>}. */
    public static String groupId(Map<String, String> connectorProperties) {
        String group = connectorProperties.get("consumer.override." + ConsumerConfig.GROUP_ID_CONFIG);
        return group != null ? group : "connect-" + connectorProperties.get("name");
    }
}
