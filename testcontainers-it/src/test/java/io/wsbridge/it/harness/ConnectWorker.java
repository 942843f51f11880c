package io.wsbridge.it.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A distributed Kafka Connect worker ({@code ConnectDistributed}) in its own JVM on Kafka's jars, with
 * the unpacked plugin archive on its {@code plugin.path}: the way an operator deploys wsbridge.
 *
 * <pre>{@code
 * try (ConnectWorker worker = new ConnectWorker(kafka, "127.0.0.2", "cluster-a", Map.of())) {
 *     worker.start();
 *     worker.rest().createConnector("ws", config);
 * }
 * }</pre>
 *
 * Workers with the same {@code groupId} form one Connect cluster (same internal topics); give each
 * worker of a machine its own loopback address. Log: {@code connect.log} in its work directory.
 */
public final class ConnectWorker implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final KafkaBroker kafka;
    private final String host;
    private final int restPort;
    private final String groupId;
    private final Path pluginPath;
    private final Map<String, String> extraProperties;
    private final List<String> jvmOptions;
    private final Path workDir;
    private final ConnectRest rest;
    private ManagedProcess process;

    /**
     * @param host            loopback address for its REST listener (127.0.0.1, 127.0.0.2, ...)
     * @param groupId         Connect cluster this worker joins; also names the internal topics
     * @param extraProperties worker properties that override or add to the defaults (a REST extension,
     *                        per-worker wsbridge settings)
     */
    public ConnectWorker(KafkaBroker kafka, String host, String groupId, Map<String, String> extraProperties) {
        this(kafka, host, groupId, ItEnvironment.pluginPath(), extraProperties);
    }

    /** As above, with another {@code plugin.path} (a test of a broken or missing archive). */
    public ConnectWorker(KafkaBroker kafka, String host, String groupId, Path pluginPath,
                         Map<String, String> extraProperties) {
        this(kafka, host, groupId, pluginPath, extraProperties, List.of());
    }

    /**
     * As above, with JVM options for the worker process, e.g. {@link JmxAccess#remoteJmxOptions} to read its
     * metrics over JMX.
     */
    public ConnectWorker(KafkaBroker kafka, String host, String groupId, Path pluginPath,
                         Map<String, String> extraProperties, List<String> jvmOptions) {
        this.kafka = kafka;
        this.host = FreePorts.requireLoopback(host);
        this.restPort = FreePorts.on(host);
        this.groupId = groupId;
        this.pluginPath = pluginPath;
        this.extraProperties = Map.copyOf(extraProperties);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.workDir = ItEnvironment.newWorkDir("connect-" + host + "-" + groupId);
        this.rest = new ConnectRest(restUrl());
    }

    /** Starts the process and waits until its REST API answers {@code GET /connectors}. */
    public synchronized ConnectWorker start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running: " + process);
        }
        Path config = KafkaJvm.writeProperties(workDir.resolve("worker.properties"), properties());
        process = ManagedProcess.start("connect-" + host,
                KafkaJvm.command(workDir, "768m", jvmOptions, "org.apache.kafka.connect.cli.ConnectDistributed",
                        config.toString()),
                workDir, logFile());
        process.awaitReady("Connect worker " + restUrl() + " ready", START_TIMEOUT, this::answersRest);
        return this;
    }

    public URI restUrl() {
        return URI.create("http://" + host + ":" + restPort);
    }

    public ConnectRest rest() {
        return rest;
    }

    public String host() {
        return host;
    }

    public String groupId() {
        return groupId;
    }

    /** The worker JVM's process id, for {@link JvmDiagnostics}; fails unless it runs. */
    public synchronized long pid() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("not running: " + this);
        }
        return process.pid();
    }

    public Path logFile() {
        return workDir.resolve("connect.log");
    }

    public Path workDir() {
        return workDir;
    }

    /** Leaves the group cleanly (SIGTERM), then starts again on the same address and port. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Clean shutdown: the worker leaves its group; {@link #start()} brings it back. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(STOP_GRACE);
        }
    }

    /**
     * Freezes the worker (SIGSTOP to its process group): it holds its connections open and answers nothing, as a
     * worker stuck in a long pause; {@link #kill()} then ends it.
     */
    public synchronized void pause() {
        long pid = pid();
        try {
            Process stop = new ProcessBuilder("kill", "-STOP", "--", "-" + pid).inheritIO().start();
            if (stop.waitFor() != 0) {
                throw new IllegalStateException("kill -STOP -" + pid + " failed with " + stop.exitValue());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A crash (SIGKILL): the group notices only after its session timeout. */
    public synchronized void kill() {
        if (process != null) {
            process.kill();
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "ConnectWorker[" + restUrl() + ", group " + groupId + ", " + workDir + "]";
    }

    private Map<String, String> properties() {
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("group.id", groupId);
        props.put("config.storage.topic", groupId + "-configs");
        props.put("offset.storage.topic", groupId + "-offsets");
        props.put("status.storage.topic", groupId + "-status");
        props.put("config.storage.replication.factor", "1");
        props.put("offset.storage.replication.factor", "1");
        props.put("status.storage.replication.factor", "1");
        props.put("offset.storage.partitions", "5");
        props.put("status.storage.partitions", "1");
        props.put("listeners", "http://" + host + ":" + restPort);
        props.put("rest.advertised.host.name", host);
        props.put("rest.advertised.port", Integer.toString(restPort));
        props.put("plugin.path", pluginPath.toString());
        props.put("plugin.discovery", "service_load");
        props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("key.converter.schemas.enable", "false");
        props.put("value.converter.schemas.enable", "false");
        props.put("offset.flush.interval.ms", "1000");
        // A worker that left (or crashed) gets its tasks back, or loses them to the others, after this
        // delay: 5 minutes by default, too long for a test of a failing worker.
        props.put("scheduled.rebalance.max.delay.ms", "10000");
        props.putAll(extraProperties);
        return props;
    }

    private boolean answersRest() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(restUrl().resolve("/connectors"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }
}
