package io.wsbridge.it.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * One KRaft Kafka node (broker and controller in one process) on 127.0.0.1, started from Kafka's jars
 * in its own JVM, with replication factor 1 everywhere.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = new KafkaBroker(Map.of())) {
 *     kafka.start();
 *     kafka.createTopic("events-app", 3);
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 *
 * Its data and log ({@code kafka.log}) live in a fresh directory under target/it-work;
 * {@link #restart()} and {@link #kill()} + {@link #start()} keep data, ports and cluster id.
 */
public final class KafkaBroker implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final Path workDir;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, String> extraProperties;
    private final List<String> jvmOptions;
    private final Object adminLock = new Object();
    private ManagedProcess process;
    private Admin admin;

    /** @param extraProperties broker properties that override or add to the defaults */
    public KafkaBroker(Map<String, String> extraProperties) {
        this(extraProperties, List.of());
    }

    /**
     * @param jvmOptions options for the broker's JVM; heap ({@code -Xms}, {@code -Xmx}) or collector options replace
     *                   the harness's small-heap defaults
     */
    public KafkaBroker(Map<String, String> extraProperties, List<String> jvmOptions) {
        this.workDir = ItEnvironment.newWorkDir("kafka");
        this.brokerPort = FreePorts.on(HOST);
        this.controllerPort = FreePorts.on(HOST);
        this.extraProperties = Map.copyOf(extraProperties);
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    public KafkaBroker() {
        this(Map.of());
    }

    /** Formats the storage on first start, starts the process and waits until it serves clients. */
    public synchronized KafkaBroker start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running: " + process);
        }
        Path config = KafkaJvm.writeProperties(workDir.resolve("server.properties"), properties());
        if (!Files.exists(dataDir().resolve("meta.properties"))) {
            format(config);
        }
        process = ManagedProcess.start("kafka", KafkaJvm.command(workDir, "512m", jvmOptions, "kafka.Kafka", config.toString()),
                workDir, workDir.resolve("kafka.log"));
        awaitReady();
        return this;
    }

    /** "127.0.0.1:port", for clients and the Connect worker. */
    public String bootstrapServers() {
        return HOST + ":" + brokerPort;
    }

    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    public void createTopic(String name, int partitions, Map<String, String> topicConfig) {
        try {
            admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(topicConfig)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    /** An admin client on this broker, owned (and closed) by it. */
    public Admin admin() {
        synchronized (adminLock) { // not on this: start() holds that while it polls through the admin
            if (admin == null) {
                admin = Admin.create(Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000));
            }
            return admin;
        }
    }

    /** Controlled shutdown (SIGTERM), then a start on the same data and ports. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Clean shutdown; {@link #start()} brings it back with its data. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(STOP_GRACE);
        }
    }

    /** A crash (SIGKILL); {@link #start()} brings it back with its data. */
    public synchronized void kill() {
        if (process != null) {
            process.kill();
        }
    }

    public Path workDir() {
        return workDir;
    }

    public Path logFile() {
        return workDir.resolve("kafka.log");
    }

    @Override
    public synchronized void close() {
        synchronized (adminLock) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
                admin = null;
            }
        }
        stop();
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + ", " + workDir + "]";
    }

    private Map<String, String> properties() {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        props.put("log.dirs", dataDir().toString());
        props.put("num.partitions", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5"); // 50 by default: slow to create, useless here
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // Tests create their topics: a typo must fail, not create an empty topic.
        props.put("auto.create.topics.enable", "false");
        // Every second rather than every 5 minutes: a test can make retention remove records while it waits
        // (topics keep the default retention of 7 days unless a test sets a short one).
        props.put("log.retention.check.interval.ms", "1000");
        props.putAll(extraProperties);
        return props;
    }

    private Path dataDir() {
        return workDir.resolve("data");
    }

    private void format(Path config) {
        ManagedProcess format = ManagedProcess.start("kafka-storage-format",
                KafkaJvm.command(workDir, "256m", "kafka.tools.StorageTool",
                        "format", "--standalone", "--cluster-id", Uuid.randomUuid().toString(), "--config", config.toString()),
                workDir, workDir.resolve("format.log"));
        int exit = format.awaitExit(FORMAT_TIMEOUT);
        if (exit != 0) {
            throw new IllegalStateException("formatting " + dataDir() + " failed (exit " + exit + "):\n" + format.logTail(30));
        }
    }

    private void awaitReady() {
        // The admin client is created once the port is open: before, it would log a warning per retry.
        process.awaitReady("Kafka broker " + bootstrapServers() + " ready", START_TIMEOUT,
                () -> accepts(brokerPort) && !admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty());
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
