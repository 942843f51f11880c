package io.wsbridge.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.JmxAccess;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.ManagedProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmark command ({@code ./bench.sh}): starts the real stack on 127.0.0.1 (a KRaft broker and a Connect worker
 * with the packaged plugin archive, the connector created through REST), drives it from this JVM with cheap NIO
 * WebSocket clients ({@link WsLoad}) and a Kafka producer, and prints a table in which every figure comes with its
 * baseline measured in the same run: a bare Kafka consumer on the same topic, and a bare Jetty server
 * ({@code io.wsbridge.bench.BareJettyServer}, a JVM of its own) pushing pre-encoded frames to the same clients.
 *
 * <p>Every load loop is bounded in count and time; every process it starts is stopped when it ends (or dies).
 * Options are system properties {@code bench.*}, see {@link Options}.
 */
public final class Bench {

    static final String HOST = "127.0.0.1";
    private static final String GROUP = "bench";
    private static final String BACKLOG = "bench-backlog";
    private static final String BACKLOG_100 = "bench-backlog-100";
    /** Six partitions, for the runs with several tasks. */
    private static final String BACKLOG_6 = "bench-backlog-6";
    private static final int BACKLOG_6_PARTITIONS = 6;
    private static final String IDLE = "bench-idle";
    private static final String CLUSTER = "bench-cluster";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Options options;
    private final Report report;
    private KafkaBroker kafka;
    private ConnectWorker worker;
    private ManagedProcess bare;
    private long workerPid;
    private int jmxPort;
    private int bridgePort;
    /** The connector that holds the bridge up between runs. */
    private String holder;
    private int barePort;
    private int frameBytes;
    private int connectorSerial;

    private Bench(Options options) {
        this.options = options;
        this.report = new Report(options);
    }

    Options options() {
        return options;
    }

    Report report() {
        return report;
    }

    KafkaBroker kafka() {
        return kafka;
    }

    ConnectWorker worker() {
        return worker;
    }

    long workerPid() {
        return workerPid;
    }

    /** A JMX connection to the worker, for its threads' CPU times. */
    JmxAccess workerJmx() {
        return JmxAccess.connect(HOST, jmxPort);
    }

    long barePid() {
        return bare.pid();
    }

    int bridgePort() {
        return bridgePort;
    }

    int barePort() {
        return barePort;
    }

    public static void main(String[] args) throws Exception {
        Bench bench = new Bench(Options.fromSystemProperties());
        try {
            bench.run();
        } finally {
            bench.stop();
        }
    }

    private void run() throws Exception {
        report.machine();
        step("Starting a Kafka broker (KRaft) on " + HOST);
        kafka = new KafkaBroker(Map.of("log.segment.bytes", String.valueOf(256 * 1024 * 1024)),
                options.brokerJvmOptions).start();
        for (String app : applications()) {
            kafka.createTopic(topic(app), 1);
        }
        kafka.createTopic(topic(BACKLOG_6), BACKLOG_6_PARTITIONS);
        if (options.sections.contains("throughput")) {
            step("Producing the backlogs: " + options.backlogEvents + " events to " + topic(BACKLOG) + ", "
                    + options.backlog100Events + " to " + topic(BACKLOG_100) + " (" + options.dataBytes
                    + " bytes of JSON data each)");
            produceBacklog(topic(BACKLOG), options.backlogEvents);
            produceBacklog(topic(BACKLOG_100), options.backlog100Events);
            if (options.runs.contains("tasks")) {
                produceBacklog(topic(BACKLOG_6), options.backlogEvents);
            }
        }

        step("Starting a Connect worker with the plugin archive from " + ItEnvironment.pluginPath());
        jmxPort = FreePorts.on(HOST);
        List<String> workerJvm = new ArrayList<>(JmxAccess.remoteJmxOptions(HOST, jmxPort));
        workerJvm.addAll(options.workerJvmOptions);
        worker = new ConnectWorker(kafka, HOST, "wsbridge-bench", ItEnvironment.pluginPath(), Map.of(), workerJvm)
                .start();
        workerPid = findPid("ConnectDistributed", worker.workDir().toString());
        setLogLevel("io.wsbridge", "INFO");
        bridgePort = FreePorts.on(HOST);
        barePort = FreePorts.on(HOST);
        step("Starting the bare Jetty baseline server on " + HOST + ":" + barePort);
        bare = startBareJetty(barePort);

        // Holds the bridge up between runs, so that clients can connect before a run's connector starts reading.
        holder = createConnector("holder", topic(IDLE), Map.of());
        worker.rest().awaitRunning(holder, 1);
        awaitPort(bridgePort);

        if (options.sections.contains("throughput")) {
            throughput();
        }
        if (options.sections.contains("latency")) {
            latency();
        }
        if (options.sections.contains("connections")) {
            connections();
        }
        if (options.sections.contains("fanout")) {
            new Fanout(this).run();
        }
        if (options.sections.contains("cluster")) {
            try {
                cluster();
            } catch (Exception | AssertionError e) {
                System.out.println("    cluster run failed: " + e);
                report.note("cluster: the run failed (" + e.getMessage() + "); see the log above");
            }
        }
        report.jmh(options.jmhResults);
        report.print();
    }

    // ---------------------------------------------------------------------------------------------- throughput

    private void throughput() throws Exception {
        step("Throughput from a backlog (connector reads from earliest; clients connected before it starts)");
        if (options.throughputWarmup) {
            // The JIT compilers of the broker, the worker and the load share the two cores with the first runs:
            // one unmeasured pass of each kind first, so that every figure is taken on compiled code.
            System.out.println("    warm-up pass, not measured:");
            bareKafka(topic(BACKLOG), options.backlogEvents, options.backlogEvents);
            nullSinkRun(topic(BACKLOG), options.backlogEvents);
            bridgeRun("1 subscriber", BACKLOG, 1, null, options.backlogEvents);
            bareRun(1, options.backlogEvents);
            System.out.println("    measured:");
        }
        Rate kafka300 = bareKafka(topic(BACKLOG), options.backlogEvents, options.backlogEvents);
        Rate kafka100 = bareKafka(topic(BACKLOG_100), options.backlog100Events, options.backlogEvents);

        if (options.runs.contains("null") && options.runs.contains("1")) {
            nullSinkAndOneSubscriber(kafka300);
        } else if (options.runs.contains("null")) {
            report.nullSink(nullSinkPass(kafka300), kafka300);
        } else if (options.runs.contains("1")) {
            Rate bridge1 = bridgeRun("1 subscriber", BACKLOG, 1, null, options.backlogEvents);
            report.throughput("1 subscriber", bridge1, kafka300, bareRun(1, options.backlogEvents), 1);
        }
        if (options.runs.contains("10")) {
            Rate bridge10 = bridgeRun("10 subscribers", BACKLOG, 10, null, options.backlogEvents);
            Rate bare10 = bareRun(10, options.backlogEvents);
            report.throughput("10 subscribers", bridge10, kafka300, bare10, 10);
        }
        Rate bridge100 = null;
        if (options.runs.contains("100")) {
            bridge100 = bridgeRun("100 subscribers", BACKLOG_100, 100, null, options.backlog100Events);
            Rate bare100 = bareRun(100, options.backlog100Events);
            report.throughput("100 subscribers", bridge100, kafka100, bare100, 100);
        }
        if (options.runs.contains("sse100")) {
            if (bridge100 == null) {
                bridge100 = bridgeRun("100 subscribers", BACKLOG_100, 100, null, options.backlog100Events);
            }
            Rate sse100 = sseRun("100 SSE subscribers", BACKLOG_100, 100, options.backlog100Events);
            report.sse("100 subscribers", sse100, bridge100, kafka100, 100);
        }
        if (options.runs.contains("replay")) {
            Rate replay = replayRun(BACKLOG, options.backlogEvents);
            report.replay("1 subscriber with from=earliest, replayed from Kafka", replay, kafka300);
        }
        if (options.runs.contains("tasks")) {
            Rate kafka6 = bareKafka(topic(BACKLOG_6), options.backlogEvents, options.backlogEvents);
            for (int tasks : options.tasks) {
                String label = "10 subscribers, " + BACKLOG_6_PARTITIONS + " partitions, tasks.max " + tasks;
                Rate bridge = bridgeRun(label, BACKLOG_6, 10, null, options.backlogEvents,
                        Map.of("tasks.max", String.valueOf(tasks)));
                report.tasks(label, bridge, kafka6, 10);
            }
        }
        if (options.runs.contains("group")) {
            Rate bridgeGroup = bridgeRun("group of 4", BACKLOG, 4, "g4", options.backlogEvents);
            Rate bareGroup = bareRun(4, options.backlogEvents / 4);
            report.throughput("group of 4", bridgeGroup, kafka300, bareGroup, 1);
        }
    }

    /**
     * The sink that does nothing and wsbridge's single subscriber, alternating {@code bench.throughput.pairs} times
     * on the same worker: the sink's rate swings by up to a factor of two between passes minutes apart (see
     * {@code BENCHMARKS.md}), so one pass of each gives a ratio that moves with the machine. Each pair's ratio is
     * printed; the table takes the median pass of each and the note the median of the pairs' ratios.
     */
    private void nullSinkAndOneSubscriber(Rate kafka) throws Exception {
        List<Rate> sinks = new ArrayList<>();
        List<Rate> bridges = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> taskRatios = new ArrayList<>();
        for (int pair = 1; pair <= options.throughputPairs; pair++) {
            System.out.println("    pair " + pair + " of " + options.throughputPairs + ":");
            Rate sink = nullSinkPass(kafka);
            Rate bridge = bridgeRun("1 subscriber", BACKLOG, 1, null, options.backlogEvents);
            sinks.add(sink);
            bridges.add(bridge);
            ratios.add(bridge.perSecond / sink.perSecond);
            taskRatios.add(sink.taskCpuMicrosPerFrame / busiestThread(bridge));
            System.out.printf(Locale.ROOT, "    pair %d: 1 subscriber %,.0f events/s, the sink that does nothing %,.0f:"
                    + " %.2f; task-thread CPU per event %.2f (publisher thread %.2f) and %.2f us: %.2f%n", pair,
                    bridge.perSecond, sink.perSecond, ratios.get(ratios.size() - 1), bridge.taskCpuMicrosPerFrame,
                    bridge.publisherCpuMicrosPerFrame, sink.taskCpuMicrosPerFrame,
                    taskRatios.get(taskRatios.size() - 1));
        }
        Rate bare1 = bareRun(1, options.backlogEvents);
        Rate sink = medianPass(sinks);
        Rate bridge = medianPass(bridges);
        report.nullSink(sink, kafka);
        report.throughput("1 subscriber", bridge, kafka, bare1, 1);
        List<Double> sorted = new ArrayList<>(ratios);
        Collections.sort(sorted);
        report.note(String.format(Locale.ROOT, "1 subscriber against the sink that does nothing, %d alternating pairs"
                        + " on the same worker: ratios %s, median %.2f (the table's two rows are the median pass of"
                        + " each: %,.0f and %,.0f events/s)", ratios.size(), ratios.stream()
                        .map(r -> String.format(Locale.ROOT, "%.2f", r)).toList(), median(sorted), bridge.perSecond,
                sink.perSecond));
        List<Double> sortedTask = new ArrayList<>(taskRatios);
        Collections.sort(sortedTask);
        report.note(String.format(Locale.ROOT, "The task threads' CPU per event in the same passes (over JMX, the 10 %% to"
                        + " 90 %% window): the sink that does nothing's over wsbridge's (the busier of its task and"
                        + " publisher threads), per pair %s, median %.2f. That is the rate a single subscriber reaches"
                        + " against the sink if each of these threads had a core to itself; the median passes: wsbridge"
                        + " %.2f us per event (busy %.0f %% of the time, %.0f %% of"
                        + " it in the kernel), the sink %.2f us (busy %.0f %%)", taskRatios.stream()
                        .map(r -> String.format(Locale.ROOT, "%.2f", r)).toList(), median(sortedTask),
                bridge.taskCpuMicrosPerFrame, 100 * bridge.taskBusyShare, 100 * bridge.taskSystemShare,
                sink.taskCpuMicrosPerFrame, 100 * sink.taskBusyShare));
        if (!Double.isNaN(bridge.publisherCpuMicrosPerFrame)) {
            report.note(String.format(Locale.ROOT, "wsbridge published on a thread of the task's own"
                            + " (publish.pipelined): in the median pass it used %.2f us per event (busy %.0f %% of"
                            + " the time, %.0f %% of it in the kernel) beside the task thread's %.2f us",
                    bridge.publisherCpuMicrosPerFrame, 100 * bridge.publisherBusyShare,
                    100 * bridge.publisherSystemShare,
                    bridge.taskCpuMicrosPerFrame));
        }
    }

    /** The CPU per event of the busier of a pass's task thread and publisher thread (if it had one). */
    private static double busiestThread(Rate rate) {
        return Double.isNaN(rate.publisherCpuMicrosPerFrame) ? rate.taskCpuMicrosPerFrame
                : Math.max(rate.taskCpuMicrosPerFrame, rate.publisherCpuMicrosPerFrame);
    }

    /** One pass of the sink that does nothing, with its own clock's figure beside the JMX count. */
    private Rate nullSinkPass(Rate kafka) throws Exception {
        Rate sink = nullSinkRun(topic(BACKLOG), options.backlogEvents);
        double ownClock = nullSinkOwnClock();
        if (!Double.isNaN(ownClock)) {
            report.note(String.format(Locale.ROOT, "The sink that does nothing, timed by its own put() calls (from "
                    + "the end of the first to the one that reaches the backlog's size, no JMX): %,.0f events/s ="
                    + " %.2f of (a); counted over JMX in the 10 %% to 90 %% window: %,.0f events/s = %.2f of (a)",
                    ownClock, ownClock / kafka.perSecond, sink.perSecond, sink.perSecond / kafka.perSecond));
        }
        return sink;
    }

    /** The pass with the median rate (the lower middle one of an even count). */
    private static Rate medianPass(List<Rate> rates) {
        List<Rate> sorted = new ArrayList<>(rates);
        sorted.sort(Comparator.comparingDouble(r -> r.perSecond));
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /**
     * What Connect costs by itself: a sink connector whose task drops the records (benchmarks' {@code NullSinkConnector},
     * a plugin of its own on the worker's {@code plugin.path}) reads the backlog from earliest, counted by the worker's
     * task metric {@code sink-record-send-total} over JMX.
     */
    private Rate nullSinkRun(String topic, long events) throws Exception {
        String name = "bench-null-" + (++connectorSerial);
        Map<String, String> config = sinkConfig("io.wsbridge.bench.nullsink.NullSinkConnector", topic);
        config.put("bench.records", String.valueOf(events)); // it times itself too: nullSinkOwnClock
        try (JmxAccess jmx = workerJmx()) {
            worker.rest().createConnector(name, config);
            try {
                javax.management.ObjectName metrics = new javax.management.ObjectName(
                        "kafka.connect:type=sink-task-metrics,connector=" + name + ",task=0");
                // asked every 10 ms, not on every turn of measure's loop: RMI calls cost the worker CPU too
                long[] last = {0, 0};
                LongSupplier sent = () -> {
                    long now = System.nanoTime();
                    if (now - last[1] >= 10_000_000) {
                        last[0] = jmx.number(metrics, "sink-record-send-total").orElse(0.0).longValue();
                        last[1] = now;
                    }
                    return last[0];
                };
                return measure("Connect sink that does nothing", sent, events, options.runTimeout,
                        () -> cpuTicks(workerPid), new TaskThreadCpu(jmx, name));
            } finally {
                worker.rest().delete(name);
            }
        }
    }

    /** The rate the last null sink logged on its own clock, or NaN if it logged none. */
    private double nullSinkOwnClock() throws IOException {
        double rate = Double.NaN;
        for (String line : Files.readAllLines(worker.logFile())) {
            int at = line.indexOf("null sink timed:");
            if (at >= 0) {
                java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("= (\\d+) records/s")
                        .matcher(line.substring(at));
                if (matcher.find()) {
                    rate = Double.parseDouble(matcher.group(1));
                }
            }
        }
        System.out.printf(Locale.ROOT, "    %-34s %,12.0f events/s%n", "null sink, its own clock", rate);
        return rate;
    }

    /**
     * Stops the bridge and starts a new one on the same port. A bridge never publishes a record of an application
     * below the position it has published up to (exactly once across task restarts): a run that reads a backlog
     * another run read before on the same bridge would get nothing.
     */
    private void freshBridge() throws Exception {
        worker.rest().delete(holder);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (accepts(bridgePort)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bridge on " + HOST + ":" + bridgePort + " did not stop");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        holder = createConnector("holder", topic(IDLE), Map.of());
        worker.rest().awaitRunning(holder, 1);
        awaitPort(bridgePort);
    }

    /**
     * N clients of a fresh bridge; a connector created after they connected reads the backlog from earliest.
     */
    private Rate bridgeRun(String label, String app, int clients, String groupId, long events) throws Exception {
        return bridgeRun(label, app, clients, groupId, events, Map.of());
    }

    /** As above, the connector's configuration with {@code overrides}. */
    private Rate bridgeRun(String label, String app, int clients, String groupId, long events,
            Map<String, String> overrides) throws Exception {
        long expected = groupId == null ? events * clients : events;
        freshBridge();
        try (WsLoad load = new WsLoad(options.clientThreads, 0)) {
            String path = "/" + app + (groupId == null ? "" : "?group_id=" + groupId);
            InetSocketAddress server = new InetSocketAddress(HOST, bridgePort);
            for (int i = 0; i < clients; i++) {
                load.connect(server, sourceAddress(i), path);
            }
            awaitOpened(load, clients, Duration.ofSeconds(60));
            String name = createConnector("tp", topic(app), overrides);
            try (JmxAccess jmx = workerJmx()) {
                Rate rate = measure("wsbridge, " + label, load, expected, workerPid, new TaskThreadCpu(jmx, name));
                rate.closed = load.closedByServer();
                if (frameBytes == 0) {
                    // the bare Jetty runs push frames of the size the bridge's first run had
                    frameBytes = rate.framePayloadBytes();
                }
                return rate;
            } finally {
                worker.rest().delete(name);
            }
        }
    }

    /**
     * Replay: the connector reads only what comes next ({@code latest}), and one client asks for {@code from=earliest}:
     * the bridge's own consumer reads the backlog, paced by the client's socket.
     */
    private Rate replayRun(String app, long events) throws Exception {
        freshBridge();
        String name = createConnector("replay", topic(app), Map.of(
                "consumer.override.auto.offset.reset", "latest",
                "kafka.bootstrap.servers", kafka.bootstrapServers()));
        try {
            worker.rest().awaitRunning(name, 1);
            awaitAssigned("connect-" + name);
            try (WsLoad load = new WsLoad(options.clientThreads, 0)) {
                load.connect(new InetSocketAddress(HOST, bridgePort), sourceAddress(0), "/" + app + "?from=earliest");
                return measure("wsbridge, replay of " + app + " from earliest", load, events, workerPid);
            }
        } finally {
            worker.rest().delete(name);
        }
    }

    /** Waits until the consumer group has a member with partitions: the task has opened them, the bridge knows them. */
    private void awaitAssigned(String group) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var description = kafka.admin().describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS)
                    .get(group);
            if (description.members().stream().anyMatch(member -> !member.assignment().topicPartitions()
                    .isEmpty())) {
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // open() runs as the assignment is taken
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new IllegalStateException("the task of " + group + " got no partitions");
    }

    /** As {@link #bridgeRun}, with Server-Sent Events clients of the same routes. */
    private Rate sseRun(String label, String app, int clients, long events) throws Exception {
        freshBridge();
        try (SseLoad load = new SseLoad()) {
            InetSocketAddress server = new InetSocketAddress(HOST, bridgePort);
            for (int i = 0; i < clients; i++) {
                load.connect(server, sourceAddress(i), "/" + app);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (load.opened() + load.failed() < clients && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (load.opened() < clients) {
                throw new IllegalStateException(load.opened() + " of " + clients + " SSE clients connected, "
                        + load.failed() + " failed");
            }
            String name = createConnector("tp", topic(app), Map.of());
            try {
                Rate rate = measure("wsbridge, " + label, load::messages, events * clients, options.runTimeout,
                        () -> cpuTicks(workerPid));
                rate.bytes = load.bytes();
                rate.frames = load.messages();
                return rate;
            } finally {
                worker.rest().delete(name);
            }
        }
    }

    /** The same clients on the bare Jetty server: {@code frames} pre-encoded frames each, as fast as it can. */
    private Rate bareRun(int clients, long frames) throws Exception {
        try (WsLoad load = new WsLoad(options.clientThreads, 0)) {
            String path = "/run?id=" + System.nanoTime() + "&clients=" + clients + "&frames=" + frames + "&size="
                    + frameBytes;
            InetSocketAddress server = new InetSocketAddress(HOST, barePort);
            for (int i = 0; i < clients; i++) {
                load.connect(server, sourceAddress(i), path);
            }
            return measure("bare Jetty, " + clients + " clients", load, clients * frames, bare.pid());
        }
    }

    /**
     * Waits until the clients received {@code expected} frames and measures the rate between 10% and 90% of them, so
     * that neither the start of the connector nor the last stragglers count.
     */
    private Rate measure(String what, WsLoad load, long expected, long serverPid) {
        return measure(what, load, expected, serverPid, null);
    }

    private Rate measure(String what, WsLoad load, long expected, long serverPid, TaskThreadCpu task) {
        Rate rate = measure(what, load::frames, expected, options.runTimeout, () -> cpuTicks(serverPid), task);
        rate.bytes = load.bytes();
        rate.frames = load.frames();
        return rate;
    }

    private static Rate measure(String what, LongSupplier counter, long expected, Duration timeout,
            LongSupplier cpu) {
        return measure(what, counter, expected, timeout, cpu, null);
    }

    /** As above; with {@code task}, also the CPU time of that task thread in the same window. */
    private static Rate measure(String what, LongSupplier counter, long expected, Duration timeout,
            LongSupplier cpu, TaskThreadCpu task) {
        long[] taskLow = null;
        long[] taskHigh = null;
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long low = expected / 10;
        long high = expected - expected / 10;
        long atLow = 0;
        long atHigh = 0;
        long countLow = 0;
        long countHigh = 0;
        long cpuLow = 0;
        long cpuHigh = 0;
        long count = 0;
        while (System.nanoTime() < deadline) {
            count = counter.getAsLong();
            long now = System.nanoTime();
            if (atLow == 0 && count >= low) {
                atLow = now;
                countLow = count;
                cpuLow = cpu.getAsLong();
                taskLow = task == null ? null : task.read();
            }
            if (atHigh == 0 && count >= high) {
                atHigh = now;
                countHigh = count;
                cpuHigh = cpu.getAsLong();
                taskHigh = task == null ? null : task.read();
            }
            if (count >= expected) {
                break;
            }
            LockSupport.parkNanos(200_000);
        }
        Rate rate = new Rate();
        rate.expected = expected;
        rate.received = count;
        rate.complete = count >= expected;
        if (atHigh > atLow) {
            rate.perSecond = (countHigh - countLow) * 1e9 / (atHigh - atLow);
            rate.cpuMicrosPerFrame = cpuHigh < 0 ? Double.NaN
                    : (cpuHigh - cpuLow) * 1e6 / TICKS / (countHigh - countLow);
            if (taskLow != null && taskHigh != null) {
                double[] taskThread = threadCpu("task", taskLow[0], taskLow[1], taskHigh[0], taskHigh[1],
                        countHigh - countLow, atHigh - atLow);
                rate.taskCpuMicrosPerFrame = taskThread[0];
                rate.taskSystemShare = taskThread[1];
                rate.taskBusyShare = taskThread[2];
                if (taskLow[2] >= 0 && taskHigh[2] >= 0) {
                    double[] publisher = threadCpu("publisher", taskLow[2], taskLow[3], taskHigh[2], taskHigh[3],
                            countHigh - countLow, atHigh - atLow);
                    rate.publisherCpuMicrosPerFrame = publisher[0];
                    rate.publisherSystemShare = publisher[1];
                    rate.publisherBusyShare = publisher[2];
                }
            }
        }
        System.out.printf(Locale.ROOT, "    %-34s %,12.0f frames/s  %5.1f us server CPU/frame  (%,d of %,d frames%s)%n",
                what, rate.perSecond, rate.cpuMicrosPerFrame, count, expected,
                rate.complete ? "" : ", INCOMPLETE after " + timeout.toSeconds() + " s");
        return rate;
    }

    /**
     * A thread's CPU time per frame in microseconds, the kernel's share of it and the thread's busy share of the
     * window, from its {CPU, user} times at the window's two ends; printed under the pass's line.
     */
    private static double[] threadCpu(String thread, long cpuLow, long userLow, long cpuHigh, long userHigh,
            long frames, long nanos) {
        double perFrame = (cpuHigh - cpuLow) / 1e3 / frames;
        double system = 1 - (double) (userHigh - userLow) / (cpuHigh - cpuLow);
        double busy = (cpuHigh - cpuLow) / (double) nanos;
        System.out.printf(Locale.ROOT, "    %-34s %12.2f us %s-thread CPU/frame, busy %.0f %% of the time, %.0f %% of"
                + " it in the kernel%n", "", perFrame, thread, 100 * busy, 100 * system);
        return new double[] {perFrame, system, busy};
    }

    /**
     * Baseline (a): a bare consumer with Connect's consumer defaults reads the topic (all its partitions) from the
     * beginning, again and again until it has read {@code atLeast} records.
     */
    private Rate bareKafka(String topic, long records, long atLeast) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            long rounds = Math.max(1, (atLeast + records - 1) / records);
            long expected = rounds * records;
            long[] read = {0};
            Thread reader = new Thread(() -> {
                long deadline = System.nanoTime() + options.runTimeout.toNanos();
                for (long round = 0; round < rounds && System.nanoTime() < deadline; round++) {
                    consumer.seekToBeginning(partitions);
                    long inRound = 0;
                    while (inRound < records && System.nanoTime() < deadline) {
                        ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(100));
                        inRound += polled.count();
                        read[0] += polled.count();
                    }
                }
            }, "bare-kafka");
            reader.start();
            Rate rate = measure("bare Kafka consumer, " + topic, () -> read[0], expected, options.runTimeout,
                    () -> -1);
            reader.join(options.runTimeout.toMillis());
            return rate;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------- latency

    private void latency() throws Exception {
        step("Latency, produce to receive, 10 subscribers, consumer settings " + options.latencyConsumer);
        int index = 1;
        for (int rate : options.rates) {
            latencyRun(latencyApp(index++), rate);
        }
    }

    private void latencyRun(String app, int rate) throws Exception {
        int clients = options.latencyClients;
        int seconds = options.latencySeconds;
        long recorded = (long) rate * seconds;
        String name = createConnector("lat", topic(app), options.latencyConsumerOverrides());
        worker.rest().awaitRunning(name, 1);
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, recorded * clients / options.clientThreads * 2 + 1000);
        try (WsLoad load = new WsLoad(options.clientThreads, capacity);
             KafkaProducer<byte[], byte[]> producer = latencyProducer();
             KafkaLatencyProbe probe = new KafkaLatencyProbe(kafka.bootstrapServers(), topic(app),
                     options.latencyConsumer, (int) recorded * 2 + 1000)) {
            InetSocketAddress server = new InetSocketAddress(HOST, bridgePort);
            for (int i = 0; i < clients; i++) {
                load.connect(server, sourceAddress(i), "/" + app);
            }
            awaitOpened(load, clients, Duration.ofSeconds(60));
            // The connector's consumer has a position once a probe event arrives.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long probes = 0;
            while (load.frames() < clients && System.nanoTime() < deadline) {
                producer.send(record(topic(app), probes++, System.nanoTime()));
                producer.flush();
                Thread.sleep(200);
            }
            if (load.frames() < clients) {
                throw new IllegalStateException("no event reached the subscribers of " + app + " within 60 s");
            }
            long before = load.frames();
            long beforeProbe = probe.received();
            long sentTotal = pace(producer, topic(app), rate, options.latencyWarmupSeconds, probes);
            awaitFrames(load, before + sentTotal * clients, Duration.ofSeconds(30));
            awaitCount(probe::received, beforeProbe + sentTotal, Duration.ofSeconds(30));
            long start = load.frames();
            load.recordLatency(true);
            probe.record(true);
            long startProbe = probe.received();
            long sent = pace(producer, topic(app), rate, seconds, probes + sentTotal);
            awaitFrames(load, start + sent * clients, Duration.ofSeconds(30));
            awaitCount(probe::received, startProbe + sent, Duration.ofSeconds(30));
            load.recordLatency(false);
            probe.record(false);
            Latency bridge = Latency.of(load.latenciesMicros(), sent * clients);
            Latency kafkaOnly = Latency.of(probe.latenciesMicros(), sent);
            System.out.printf(Locale.ROOT, "    %,d events/s: wsbridge %s; bare Kafka consumer %s%n", rate, bridge,
                    kafkaOnly);
            report.latency(rate, clients, sent, bridge, kafkaOnly, load.closedByServer());
        } finally {
            worker.rest().delete(name);
        }
    }

    /** Sends at {@code rate} events/s for {@code seconds}, each event stamped with its send time; returns the count. */
    private static long pace(KafkaProducer<byte[], byte[]> producer, String topic, int rate, int seconds, long seq) {
        return pace(producer, rate, seconds, seconds, sent -> record(topic, seq + sent, System.nanoTime()),
                sent -> {
                });
    }

    /**
     * Sends {@code rate} events/s for {@code seconds}, the {@code n}th made by {@code event}; {@code atSecond} seconds
     * in, {@code boundary} is told how many were sent so far. Returns the count.
     */
    static long pace(KafkaProducer<byte[], byte[]> producer, int rate, int seconds, int atSecond,
            LongFunction<ProducerRecord<byte[], byte[]>> event, LongConsumer boundary) {
        boolean crossed = false;
        long start = System.nanoTime();
        long duration = TimeUnit.SECONDS.toNanos(seconds);
        long total = (long) rate * seconds;
        long sent = 0;
        while (sent < total) {
            long elapsed = System.nanoTime() - start;
            if (!crossed && elapsed >= TimeUnit.SECONDS.toNanos(atSecond)) {
                crossed = true;
                boundary.accept(sent);
            }
            long due = Math.min(total, elapsed >= duration ? total : elapsed * rate / 1_000_000_000L);
            while (sent < due) {
                producer.send(event.apply(sent));
                sent++;
            }
            if (elapsed > duration + TimeUnit.SECONDS.toNanos(30)) {
                break;
            }
            LockSupport.parkNanos(100_000);
        }
        producer.flush();
        return sent;
    }

    KafkaProducer<byte[], byte[]> latencyProducer() {
        Map<String, Object> config = new LinkedHashMap<>(options.latencyProducer);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    // ------------------------------------------------------------------------------------------------- cluster

    /**
     * Cluster mode: three more workers form a Connect cluster with the REST extension, one task consumes; 10 subscribers
     * on the consuming worker and 10 on a worker without a task (every event forwarded over a peer link) receive the
     * same live events at a fixed rate, in one run.
     */
    private void cluster() throws Exception {
        int clients = options.latencyClients;
        int rate = options.clusterRate;
        int seconds = options.latencySeconds;
        step("Cluster mode: 3 workers, 1 task; " + clients + " subscribers on the consuming worker and " + clients
                + " on a worker without a task, " + rate + " events/s");
        List<String> hosts = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
        List<ConnectWorker> workers = new ArrayList<>();
        try {
            for (String host : hosts) {
                workers.add(new ConnectWorker(kafka, host, "wsbridge-bench-cluster", ItEnvironment.pluginPath(),
                        Map.of("rest.extension.classes", "io.wsbridge.connect.cluster.WsBridgeRestExtension",
                                "wsbridge.websocket.host", host), options.workerJvmOptions));
            }
            List<Thread> starting = new ArrayList<>();
            for (ConnectWorker clusterWorker : workers) {
                Thread thread = new Thread(clusterWorker::start, "start-" + clusterWorker.host());
                thread.start();
                starting.add(thread);
            }
            for (Thread thread : starting) {
                thread.join(TimeUnit.MINUTES.toMillis(4));
            }
            int port = FreePorts.on(hosts.get(0));
            Map<String, String> config = new LinkedHashMap<>(connectorConfig(topic(CLUSTER), port,
                    options.latencyConsumerOverrides()));
            config.put("cluster.secret", "bench-cluster-secret-" + System.nanoTime());
            ConnectWorker first = workers.get(0);
            first.rest().createConnector("bench-cluster", config);
            var status = first.rest().awaitRunning("bench-cluster", 1);
            String consuming = status.tasks().get(0).workerId().replaceAll(":\\d+$", "");
            String other = hosts.stream().filter(h -> !h.equals(consuming)).findFirst().orElseThrow();
            System.out.println("    the task runs on " + consuming + "; subscribers also on " + other);
            for (String host : hosts) {
                awaitPort(host, port);
            }
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8,
                    (long) rate * seconds * clients / options.clientThreads * 2 + 1000);
            try (WsLoad local = new WsLoad(options.clientThreads, capacity);
                 WsLoad remote = new WsLoad(options.clientThreads, capacity);
                 KafkaProducer<byte[], byte[]> producer = latencyProducer()) {
                for (int i = 0; i < clients; i++) {
                    local.connect(new InetSocketAddress(consuming, port), sourceAddress(i), "/" + CLUSTER);
                    remote.connect(new InetSocketAddress(other, port), sourceAddress(i), "/" + CLUSTER);
                }
                awaitOpened(local, clients, Duration.ofSeconds(60));
                awaitOpened(remote, clients, Duration.ofSeconds(60));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                long probes = 0;
                while ((local.frames() < clients || remote.frames() < clients) && System.nanoTime() < deadline) {
                    producer.send(record(topic(CLUSTER), probes++, System.nanoTime()));
                    producer.flush();
                    Thread.sleep(200);
                }
                if (local.frames() < clients || remote.frames() < clients) {
                    throw new IllegalStateException("no event reached both workers' subscribers within 90 s");
                }
                long warm = pace(producer, topic(CLUSTER), rate, options.latencyWarmupSeconds, probes);
                long warmFrames = (probes + warm) * clients;
                awaitFrames(local, warmFrames, Duration.ofSeconds(60));
                awaitFrames(remote, warmFrames, Duration.ofSeconds(60));
                long localStart = local.frames();
                long remoteStart = remote.frames();
                local.recordLatency(true);
                remote.recordLatency(true);
                long started = System.nanoTime();
                long sent = pace(producer, topic(CLUSTER), rate, seconds, probes + warm);
                awaitFrames(local, localStart + sent * clients, Duration.ofSeconds(30));
                awaitFrames(remote, remoteStart + sent * clients, Duration.ofSeconds(30));
                double elapsed = (System.nanoTime() - started) / 1e9;
                local.recordLatency(false);
                remote.recordLatency(false);
                Latency onConsuming = Latency.of(local.latenciesMicros(), sent * clients);
                Latency onOther = Latency.of(remote.latenciesMicros(), sent * clients);
                double localRate = (local.frames() - localStart) / (double) clients / elapsed;
                double remoteRate = (remote.frames() - remoteStart) / (double) clients / elapsed;
                System.out.printf(Locale.ROOT, "    consuming worker: %s%n    worker without a task: %s%n", onConsuming,
                        onOther);
                report.cluster(rate, clients, localRate, onConsuming, remoteRate, onOther,
                        local.closedByServer() + remote.closedByServer());
            } finally {
                first.rest().delete("bench-cluster");
            }
        } finally {
            for (ConnectWorker clusterWorker : workers) {
                clusterWorker.close();
            }
        }
    }

    // --------------------------------------------------------------------------------------------- connections

    private void connections() throws Exception {
        step("Idle connections: heap after a full GC and RSS of the worker vs the bare Jetty server");
        for (int count : options.connections) {
            Memory bridge = connectionsRun("wsbridge", workerPid, new InetSocketAddress(HOST, bridgePort),
                    "/" + IDLE, count);
            Memory bareJetty = connectionsRun("bare Jetty", bare.pid(), new InetSocketAddress(HOST, barePort),
                    "/run?id=idle-" + System.nanoTime() + "&clients=" + count + "&frames=0&size=" + 64, count);
            report.connections(count, bridge, bareJetty);
        }
    }

    private Memory connectionsRun(String what, long pid, InetSocketAddress server, String path, int count)
            throws Exception {
        Memory memory = new Memory();
        memory.heapBefore = heapAfterGc(pid);
        memory.rssBefore = rss(pid);
        try (WsLoad load = new WsLoad(options.clientThreads, 0)) {
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(120);
            for (int i = 0; i < count && System.nanoTime() < deadline; i++) {
                while (i - load.opened() - load.failed() >= options.connectInFlight && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(50_000);
                }
                load.connect(server, sourceAddress(i), path);
            }
            while (load.opened() + load.failed() < count && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000);
            }
            memory.acceptSeconds = (System.nanoTime() - start) / 1e9;
            memory.opened = load.opened();
            memory.failed = load.failed();
            Thread.sleep(2_000);
            memory.heapAfter = heapAfterGc(pid);
            memory.rssAfter = rss(pid);
            memory.closed = load.closedByServer();
        }
        memory.count = count;
        System.out.printf(Locale.ROOT, "    %-10s %,6d connections: %s%n", what, count, memory);
        Thread.sleep(3_000); // let the server notice the closed connections before the next measurement
        return memory;
    }

    /** Heap used after a full GC, in bytes, from {@code jcmd GC.heap_info}. */
    static long heapAfterGc(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        long used = 0;
        Matcher generation = Pattern.compile("(?m)^\\s*\\S.*?(?:generation|heap)\\s+total \\d+K, used (\\d+)K")
                .matcher(info);
        while (generation.find()) {
            used += Long.parseLong(generation.group(1)) * 1024;
        }
        Matcher z = Pattern.compile("(?m)^\\s*ZHeap\\s+used (\\d+)M").matcher(info); // -XX:+UseZGC
        if (used == 0 && z.find()) {
            used = Long.parseLong(z.group(1)) * 1024 * 1024;
        }
        if (used == 0) {
            throw new IllegalStateException("cannot read the heap of " + pid + " from:\n" + info);
        }
        return used;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + out);
        }
        return out;
    }

    /** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
    static final double TICKS = 100;

    /** CPU time (user + system) of a process in clock ticks, from {@code /proc/<pid>/stat}. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size in bytes, from {@code /proc/<pid>/status}. */
    static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    // --------------------------------------------------------------------------------------------------- stack

    String createConnector(String kind, String topic, Map<String, String> overrides) {
        String name = "bench-" + kind + "-" + (++connectorSerial);
        worker.rest().createConnector(name, connectorConfig(topic, bridgePort, overrides));
        return name;
    }

    /** One task reading {@code topic} from earliest, records as raw bytes. */
    private static Map<String, String> sinkConfig(String connectorClass, String topic) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", connectorClass);
        config.put("tasks.max", "1");
        config.put("topics", topic);
        config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("consumer.override.auto.offset.reset", "earliest");
        return config;
    }

    private Map<String, String> connectorConfig(String topic, int port, Map<String, String> overrides) {
        Map<String, String> config = sinkConfig("io.wsbridge.connect.WebSocketSinkConnector", topic);
        config.put("websocket.host", HOST);
        config.put("websocket.port", String.valueOf(port));
        // Large enough for a whole backlog: the throughput runs measure delivery, not the overflow policy.
        config.put("websocket.subscriber.queue.size", String.valueOf(options.queueSize));
        config.put("auth.public.applications",
                String.join(",", applications()) + "," + BACKLOG_6);
        // The load comes from 100 loopback addresses, up to the largest idle-connections run and then some.
        int connections = Arrays.stream(options.connections).max().orElse(0) + 1_000;
        int fanout = options.sections.contains("fanout") ? options.fanoutChannels * options.fanoutPerChannel
                + Fanout.SPARE_DESCRIPTORS : 0;
        config.put("websocket.max.connections", String.valueOf(Math.max(connections + fanout, 20_000)));
        config.put("websocket.max.connections.per.address", String.valueOf(connections));
        config.putAll(options.connectorOverrides);
        config.putAll(overrides);
        return config;
    }

    private void setLogLevel(String logger, String level) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(worker.restUrl().resolve("/admin/loggers/" + logger))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"level\":\"" + level + "\"}")).build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("cannot set the level of " + logger + ": " + response.body());
        }
    }

    private ManagedProcess startBareJetty(int port) {
        Path workDir = ItEnvironment.newWorkDir("bare-jetty");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx2g", "-XX:+UseSerialGC", // room for the fan-out's 100,000 connections
                "-cp", options.benchClasspath, "io.wsbridge.bench.BareJettyServer", String.valueOf(port));
        ManagedProcess process = ManagedProcess.start("bare-jetty", command, workDir, workDir.resolve("bare-jetty.log"));
        process.awaitReady("bare Jetty on " + port, Duration.ofSeconds(30), () -> accepts(port));
        return process;
    }

    private void awaitPort(int port) {
        awaitPort(HOST, port);
    }

    private static void awaitPort(String host, int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts(host, port)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no bridge listens on " + host + ":" + port);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    private static boolean accepts(int port) {
        return accepts(HOST, port);
    }

    private static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The pid of the child JVM whose command line has both marks, from /proc. */
    private static long findPid(String mark, String otherMark) throws IOException {
        try (var entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(entry.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(mark) && cmdline.contains(otherMark) && cmdline.contains("java")
                            && !cmdline.startsWith("setsid")) {
                        return Long.parseLong(entry.getFileName().toString());
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        throw new IllegalStateException("no process with " + mark + " and " + otherMark);
    }

    private void produceBacklog(String topic, long events) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (long i = 0; i < events; i++) {
                producer.send(record(topic, i, System.nanoTime()));
            }
            producer.flush();
            System.out.printf(Locale.ROOT, "    %,d events to %s in %.1f s%n", events, topic,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** A Drogue-style telemetry event in binary mode whose JSON data (~200 bytes) starts with its send time. */
    private static ProducerRecord<byte[], byte[]> record(String topic, long seq, long sentNanos) {
        String app = topic.substring("events-".length());
        String device = "device-" + (seq % 100);
        return Events.binaryRecord(topic, new Events.CloudEvent("ev-" + seq, "drogue://" + app + "/" + device,
                "io.drogue.event.v1", "telemetry", "2024-05-01T12:00:00.000Z", app, device, Map.of(),
                "application/json", data(seq, sentNanos, Options.DATA_BYTES)));
    }

    static byte[] data(long seq, long sentNanos, int size) {
        StringBuilder json = new StringBuilder(size).append("{\"ts\":").append(sentNanos).append(",\"seq\":")
                .append(seq).append(",\"device\":\"device-").append(seq % 100).append("\",\"temp\":21.5,\"pad\":\"");
        while (json.length() < size - 2) {
            json.append('x');
        }
        return json.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static String topic(String app) {
        return "events-" + app;
    }

    /** The applications of one partition: one per latency run ({@code bench.latency.rates} may repeat a rate). */
    private List<String> applications() {
        List<String> apps = new ArrayList<>(List.of(BACKLOG, BACKLOG_100, IDLE, CLUSTER, Fanout.APP));
        for (int i = 1; i <= options.rates.length; i++) {
            apps.add(latencyApp(i));
        }
        return apps;
    }

    private static String latencyApp(int index) {
        return "bench-latency-" + index;
    }

    /** Spreads clients over 127.0.0.2..127.0.0.101, so that 10,000 connections never run out of ephemeral ports. */
    static String sourceAddress(int client) {
        return "127.0.0." + (2 + client % 100);
    }

    private static void awaitOpened(WsLoad load, int clients, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (load.opened() + load.failed() < clients && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        if (load.opened() < clients) {
            throw new IllegalStateException(load.opened() + " of " + clients + " clients connected, "
                    + load.failed() + " failed");
        }
    }

    private static void awaitFrames(WsLoad load, long frames, Duration timeout) {
        awaitCount(load::frames, frames, timeout);
    }

    static void awaitCount(LongSupplier counter, long count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counter.getAsLong() < count && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private void stop() {
        step("Stopping the bare Jetty server, the Connect worker and the broker");
        if (bare != null) {
            bare.stop(Duration.ofSeconds(10));
        }
        if (worker != null) {
            worker.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static void step(String what) {
        System.out.println("==> " + what);
    }

    // ------------------------------------------------------------------------------------------------- results

    /** Frames per second between 10% and 90% of a run. */
    static final class Rate {
        double perSecond;
        long expected;
        long received;
        long frames;
        long bytes;
        boolean complete;
        int closed;
        /** CPU time of the server process per frame, in microseconds: less sensitive to a busy machine. */
        double cpuMicrosPerFrame = Double.NaN;
        /** CPU time of the connector's task thread per frame, in microseconds, where it was measured. */
        double taskCpuMicrosPerFrame = Double.NaN;
        /** The part of that CPU time spent in the kernel (system time): socket writes, for the bridge. */
        double taskSystemShare = Double.NaN;
        /** The task thread's CPU time over the window's wall time: 1 means it never waited. */
        double taskBusyShare = Double.NaN;
        /** The same three for the task's publisher thread ({@code publish.pipelined}), where there is one. */
        double publisherCpuMicrosPerFrame = Double.NaN;
        double publisherSystemShare = Double.NaN;
        double publisherBusyShare = Double.NaN;

        /** The payload of one frame: its bytes on the wire less the 4-byte header of a 126..65535-byte frame. */
        int framePayloadBytes() {
            return frames == 0 ? 400 : (int) Math.round((double) bytes / frames) - 4;
        }
    }

    /**
     * The CPU time of a connector's first task thread in the worker ({@code task-thread-<connector>-0}, Connect's name
     * for it), read over JMX: what the task itself costs per event, whatever else shares the cores.
     */
    static final class TaskThreadCpu {
        private final ThreadMXBean threads;
        private final String threadName;
        private long id = -1;
        private long publisherId = -1;

        TaskThreadCpu(JmxAccess jmx, String connector) {
            this.threads = jmx.threads();
            this.threadName = "task-thread-" + connector + "-0";
        }

        /**
         * {CPU time, user time} of the task thread in nanoseconds, then those of its publisher thread (wsbridge's
         * {@code publish.pipelined}, named after the task thread) or -1, -1; {@code null} if the task is not found.
         */
        long[] read() {
            if (id < 0 || publisherId < 0) {
                for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                    if (info != null && info.getThreadName().equals(threadName)) {
                        id = info.getThreadId();
                    } else if (info != null && info.getThreadName().equals(threadName + "-publisher")) {
                        publisherId = info.getThreadId();
                    }
                }
            }
            long cpu = id < 0 ? -1 : threads.getThreadCpuTime(id);
            if (cpu < 0) {
                return null;
            }
            long publisherCpu = publisherId < 0 ? -1 : threads.getThreadCpuTime(publisherId);
            return new long[] {cpu, threads.getThreadUserTime(id), publisherCpu,
                publisherCpu < 0 ? -1 : threads.getThreadUserTime(publisherId)};
        }
    }

    /**
     * The CPU time of a worker's threads by what they do, read over JMX: the tasks' publisher threads
     * ({@code ...-publisher}) and the bridge's write threads ({@code wsbridge-<port>-writer-<n>}), from a
     * {@link #mark} on.
     */
    static final class WorkerThreadsCpu {
        private static final int PUBLISHERS = 0;
        private static final int WRITERS = 1;

        private final ThreadMXBean threads;
        private List<Map<Long, Long>> marked;

        WorkerThreadsCpu(JmxAccess jmx) {
            this.threads = jmx.threads();
        }

        /** Counts from now. */
        void mark() {
            marked = read();
        }

        /**
         * The cores used since the mark over {@code seconds}: the publisher threads' [0] and the write threads' [1].
         * A thread started since counts whole; one that ended since does not count.
         */
        double[] coresSinceMark(double seconds) {
            List<Map<Long, Long>> now = read();
            double[] cores = new double[2];
            for (int kind : new int[] {PUBLISHERS, WRITERS}) {
                long nanos = 0;
                for (Map.Entry<Long, Long> thread : now.get(kind).entrySet()) {
                    nanos += thread.getValue() - marked.get(kind).getOrDefault(thread.getKey(), 0L);
                }
                cores[kind] = nanos / 1e9 / seconds;
            }
            return cores;
        }

        /** CPU nanoseconds so far, by thread id, of the publisher threads and of the write threads. */
        private List<Map<Long, Long>> read() {
            List<Map<Long, Long>> kinds = List.of(new HashMap<>(), new HashMap<>());
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                String name = info.getThreadName();
                int kind = name.endsWith("-publisher") ? PUBLISHERS
                        : name.matches("wsbridge-\\d+-writer-\\d+") ? WRITERS : -1;
                long cpu = kind < 0 ? -1 : threads.getThreadCpuTime(info.getThreadId());
                if (cpu >= 0) {
                    kinds.get(kind).put(info.getThreadId(), cpu);
                }
            }
            return kinds;
        }
    }

    /** Percentiles of produce-to-receive times. */
    record Latency(long samples, long expected, double p50, double p99, double max) {

        static Latency of(long[] micros, long expected) {
            long[] sorted = micros.clone();
            Arrays.sort(sorted);
            if (sorted.length == 0) {
                return new Latency(0, expected, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Latency(sorted.length, expected, percentile(sorted, 0.50) / 1000.0,
                    percentile(sorted, 0.99) / 1000.0, sorted[sorted.length - 1] / 1000.0);
        }

        private static long percentile(long[] sorted, double p) {
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%,d of %,d frames)", p50, p99,
                    max, samples, expected);
        }
    }

    /** Heap and RSS of a server process before and after its idle connections were opened. */
    static final class Memory {
        int count;
        int opened;
        int failed;
        int closed;
        double acceptSeconds;
        long heapBefore;
        long heapAfter;
        long rssBefore;
        long rssAfter;

        double heapPerConnection() {
            return (double) (heapAfter - heapBefore) / Math.max(1, opened);
        }

        double rssPerConnection() {
            return (double) (rssAfter - rssBefore) / Math.max(1, opened);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d open (%d failed) in %.2f s; heap %.1f KB, RSS %.1f KB per connection"
                    + " (heap %,d -> %,d KB, RSS %,d -> %,d KB)", opened, failed, acceptSeconds,
                    heapPerConnection() / 1024, rssPerConnection() / 1024, heapBefore / 1024, heapAfter / 1024,
                    rssBefore / 1024, rssAfter / 1024);
        }
    }

    /** What {@code ./bench.sh} accepts as {@code -Dbench.*} properties. */
    static final class Options {
        static final int DATA_BYTES = 200;
        final int dataBytes = DATA_BYTES;
        final long backlogEvents = Long.getLong("bench.backlog.events", 1_000_000);
        /** An unmeasured pass of the bare consumer, the sink that does nothing and 1 subscriber first. */
        final boolean throughputWarmup = Boolean.parseBoolean(System.getProperty("bench.throughput.warmup", "true"));
        /** How many times the sink that does nothing and the single subscriber alternate (runs null and 1). */
        final int throughputPairs = Math.max(1, Integer.getInteger("bench.throughput.pairs", 3));
        final long backlog100Events = Long.getLong("bench.backlog100.events", 30_000);
        final int queueSize = Integer.getInteger("bench.queue.size", 1_000_000);
        final int clientThreads = Integer.getInteger("bench.client.threads", 2);
        final int connectInFlight = Integer.getInteger("bench.connect.inflight", 200);
        final Duration runTimeout = Duration.ofSeconds(Long.getLong("bench.run.timeout.seconds", 180));
        final int[] rates = ints(System.getProperty("bench.latency.rates", "1000,10000"));
        final int latencyClients = Integer.getInteger("bench.latency.clients", 10);
        final int latencySeconds = Integer.getInteger("bench.latency.seconds", 20);
        /** Long enough for the JIT compilers of the broker, the worker and the load to be done. */
        final int latencyWarmupSeconds = Integer.getInteger("bench.latency.warmup.seconds", 40);
        final Map<String, String> latencyConsumer = pairs(System.getProperty("bench.latency.consumer",
                "fetch.min.bytes=65536,fetch.max.wait.ms=10,max.poll.records=500"));
        /**
         * Which throughput runs: any of null (the sink that does nothing), 1, 10, 100, group, sse100 (100 Server-Sent
         * Events subscribers beside 100 WebSocket ones), replay (one subscriber with from=earliest), tasks (10
         * subscribers of a six-partition topic with each {@code bench.tasks} as tasks.max).
         */
        final Set<String> runs = Set.of(System.getProperty("bench.throughput.runs",
                        "null,1,10,100,sse100,replay,group,tasks")
                .split(","));
        /**
         * JVM options of the Connect worker, space-separated: by default what Kafka's {@code connect-distributed.sh}
         * gives it (heap, G1 with a 20 ms pause goal); more can be added, e.g. to record a flight recording.
         */
        final List<String> workerJvmOptions = words(System.getProperty("bench.worker.jvm",
                "-Xms256m -Xmx2g " + KAFKA_GC));
        /** Settings added to every wsbridge connector the bench creates, e.g. {@code publish.pipelined=false}. */
        final Map<String, String> connectorOverrides = pairs(System.getProperty("bench.connector", ""));
        /** JVM options of the broker, space-separated: by default what Kafka's {@code kafka-server-start.sh} gives it. */
        final List<String> brokerJvmOptions = words(System.getProperty("bench.broker.jvm", "-Xms1g -Xmx1g " + KAFKA_GC));
        /** The load's producer settings for the latency and cluster runs. */
        final Map<String, String> latencyProducer = pairs(System.getProperty("bench.latency.producer",
                "acks=1,linger.ms=0"));
        /** The tasks.max of the runs on the six-partition topic (throughput run {@code tasks}). */
        final int[] tasks = ints(System.getProperty("bench.tasks", "1,2,3"));
        final int[] connections = ints(System.getProperty("bench.connections", "1000,10000"));
        final int clusterRate = Integer.getInteger("bench.cluster.rate", 1000);
        final Set<String> sections = Set.of(System.getProperty("bench.sections",
                "throughput,latency,connections,fanout,cluster").split(","));
        /** Fan-out at scale (issue 15): channels of subscribers, events/s over them, seconds measured. */
        final int fanoutChannels = Integer.getInteger("bench.fanout.channels", 10_000);
        final int fanoutPerChannel = Integer.getInteger("bench.fanout.per.channel", 10);
        final int fanoutRate = Integer.getInteger("bench.fanout.rate", 10_000);
        final int fanoutSeconds = Integer.getInteger("bench.fanout.seconds", 120);
        final int fanoutWarmupSeconds = Integer.getInteger("bench.fanout.warmup.seconds", 30);
        final int fanoutDataBytes = Integer.getInteger("bench.fanout.data.bytes", 512);
        final String benchClasspath = required("bench.classpath");
        final Path jmhResults = System.getProperty("bench.jmh.results") == null ? null
                : Path.of(System.getProperty("bench.jmh.results"));
        final Path resultsFile = Path.of(System.getProperty("bench.results", "bench-results.md"));
        final String load = System.getProperty("bench.load.note", "");

        /** The collector settings of Kafka's scripts ({@code KAFKA_JVM_PERFORMANCE_OPTS}). */
        static final String KAFKA_GC = "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35";

        private static List<String> words(String text) {
            return text.isBlank() ? List.of() : List.of(text.trim().split("\\s+"));
        }

        static Options fromSystemProperties() {
            return new Options();
        }

        Map<String, String> latencyConsumerOverrides() {
            Map<String, String> overrides = new LinkedHashMap<>();
            latencyConsumer.forEach((key, value) -> overrides.put("consumer.override." + key, value));
            return overrides;
        }

        private static String required(String key) {
            String value = System.getProperty(key);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("set -D" + key + " (bench.sh does)");
            }
            return value;
        }

        private static int[] ints(String list) {
            return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
        }

        private static Map<String, String> pairs(String list) {
            Map<String, String> pairs = new LinkedHashMap<>();
            for (String pair : list.split(",")) {
                if (!pair.isBlank()) {
                    String[] kv = pair.split("=", 2);
                    pairs.put(kv[0].trim(), kv[1].trim());
                }
            }
            return pairs;
        }
    }

    /** The table, printed at the end and written to {@code bench.results}. */
    static final class Report {

        private final Options options;
        private final List<String> rows = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private final StringBuilder header = new StringBuilder();
        private String loadBefore;

        Report(Options options) {
            this.options = options;
        }

        void machine() throws IOException {
            loadBefore = loadAverage();
            header.append("wsbridge benchmark, ").append(LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                    .substring(0, 16)).append('\n');
            header.append("machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                    .append(cpuModel()).append(", ").append(memTotal()).append(" RAM, Java ")
                    .append(System.getProperty("java.version")).append('\n');
            if (!options.load.isBlank()) {
                header.append("note: ").append(options.load).append('\n');
            }
            System.out.print(header);
        }

        void throughput(String label, Rate bridge, Rate kafka, Rate bare, int subscribersPerEvent) {
            double bridgeEvents = bridge.perSecond / subscribersPerEvent;
            double bareEvents = bare.perSecond / subscribersPerEvent;
            double lower = Math.min(kafka.perSecond, bareEvents);
            String which = kafka.perSecond <= bareEvents ? "(a)" : "(b)";
            rows.add(String.format(Locale.ROOT, "| throughput, %s | %s; %.1f µs CPU/frame | %s | %s; %.1f µs CPU/frame "
                            + "| %.2f of %s%s |", label,
                    events(bridgeEvents, bridge.perSecond, subscribersPerEvent), bridge.cpuMicrosPerFrame,
                    events(kafka.perSecond, 0, 1), events(bareEvents, bare.perSecond, subscribersPerEvent),
                    bare.cpuMicrosPerFrame, bridgeEvents / lower, which,
                    bridge.complete && bridge.closed == 0 ? ""
                            : " (incomplete: " + bridge.received + " of " + bridge.expected + " frames, "
                                    + bridge.closed + " closed)"));
        }

        /** Server-Sent Events subscribers beside WebSocket ones of the same backlog in the same run. */
        void sse(String label, Rate sse, Rate webSocket, Rate kafka, int subscribersPerEvent) {
            rows.add(String.format(Locale.ROOT, "| throughput, %s, Server-Sent Events | %s; %.1f µs CPU/frame | %s |"
                            + " WebSocket: %s; %.1f µs CPU/frame | %.2f of WebSocket%s |", label,
                    events(sse.perSecond / subscribersPerEvent, sse.perSecond, subscribersPerEvent),
                    sse.cpuMicrosPerFrame, events(kafka.perSecond, 0, 1),
                    events(webSocket.perSecond / subscribersPerEvent, webSocket.perSecond, subscribersPerEvent),
                    webSocket.cpuMicrosPerFrame, sse.perSecond / webSocket.perSecond,
                    sse.complete ? "" : " (incomplete: " + sse.received + " of " + sse.expected + " messages)"));
        }

        /** A replay from Kafka by the bridge's own consumer, against the bare consumer of the same backlog. */
        void replay(String label, Rate replay, Rate kafka) {
            rows.add(String.format(Locale.ROOT, "| throughput, %s | %,.0f events/s; %.1f µs CPU/event | %s | | %.2f of"
                            + " (a)%s |", label, replay.perSecond, replay.cpuMicrosPerFrame, events(kafka.perSecond, 0,
                            1), replay.perSecond / kafka.perSecond,
                    replay.complete ? "" : " (incomplete: " + replay.received + " of " + replay.expected + " frames)"));
        }

        /** Several tasks on one worker against a bare consumer of all the topic's partitions. */
        void tasks(String label, Rate bridge, Rate kafka, int subscribersPerEvent) {
            rows.add(String.format(Locale.ROOT, "| throughput, %s | %s; %.1f µs CPU/frame | %s | | %.2f of (a)%s |",
                    label, events(bridge.perSecond / subscribersPerEvent, bridge.perSecond, subscribersPerEvent),
                    bridge.cpuMicrosPerFrame, events(kafka.perSecond, 0, 1),
                    bridge.perSecond / subscribersPerEvent / kafka.perSecond,
                    bridge.complete && bridge.closed == 0 ? ""
                            : " (incomplete: " + bridge.received + " of " + bridge.expected + " frames, "
                                    + bridge.closed + " closed)"));
        }

        void nullSink(Rate nullSink, Rate kafka) {
            rows.add(String.format(Locale.ROOT, "| throughput, a Connect sink that does nothing (the worker's own"
                    + " cost) | %,.0f events/s; %.1f µs CPU/event | %s | | %.2f of (a) |", nullSink.perSecond,
                    nullSink.cpuMicrosPerFrame, events(kafka.perSecond, 0, 1), nullSink.perSecond / kafka.perSecond));
        }

        private static String events(double events, double frames, int subscribers) {
            return subscribers == 1 ? String.format(Locale.ROOT, "%,.0f events/s", events)
                    : String.format(Locale.ROOT, "%,.0f events/s = %,.0f frames/s", events, frames);
        }

        void latency(int rate, int clients, long sent, Latency bridge, Latency kafka, int closed) {
            rows.add(String.format(Locale.ROOT,
                    "| latency p50 / p99 / max, %,d events/s, %d subscribers | %.1f / %.1f / %.1f ms | %.1f / %.1f / %.1f"
                            + " ms | | %s |", rate, clients, bridge.p50(), bridge.p99(), bridge.max(), kafka.p50(),
                    kafka.p99(), kafka.max(), bridge.samples() == bridge.expected() && closed == 0
                            ? String.format(Locale.ROOT, "all %,d frames", bridge.samples())
                            : String.format(Locale.ROOT, "%,d of %,d frames, %d closed", bridge.samples(),
                                    bridge.expected(), closed)));
        }

        void connections(int count, Memory bridge, Memory bare) {
            rows.add(String.format(Locale.ROOT, "| idle connections, %,d: heap per connection | %.1f KB | | %.1f KB | %.2f |",
                    count, bridge.heapPerConnection() / 1024, bare.heapPerConnection() / 1024,
                    bridge.heapPerConnection() / bare.heapPerConnection()));
            rows.add(String.format(Locale.ROOT, "| idle connections, %,d: RSS per connection | %.1f KB | | %.1f KB | %.2f |",
                    count, bridge.rssPerConnection() / 1024, bare.rssPerConnection() / 1024,
                    bridge.rssPerConnection() / bare.rssPerConnection()));
            rows.add(String.format(Locale.ROOT, "| idle connections, %,d: time to accept | %.2f s%s | | %.2f s%s | %.2f |",
                    count, bridge.acceptSeconds, bridge.failed == 0 ? "" : " (" + bridge.failed + " failed)",
                    bare.acceptSeconds, bare.failed == 0 ? "" : " (" + bare.failed + " failed)",
                    bridge.acceptSeconds / bare.acceptSeconds));
        }

        void cluster(int rate, int clients, double localRate, Latency local, double remoteRate, Latency remote,
                int closed) {
            rows.add(String.format(Locale.ROOT, "| cluster (3 workers, 1 task), %,d events/s, %d + %d subscribers: "
                            + "on a worker without a task (every event forwarded) vs on the consuming worker "
                            + "| %,.0f events/s per subscriber, p50 / p99 / max %.1f / %.1f / %.1f ms "
                            + "| | consuming worker: %,.0f events/s per subscriber, p50 / p99 / max %.1f / %.1f / %.1f ms "
                            + "| p99 %.2f x%s |", rate, clients, clients, remoteRate, remote.p50(), remote.p99(),
                    remote.max(), localRate, local.p50(), local.p99(), local.max(), remote.p99() / local.p99(),
                    remote.samples() == remote.expected() && local.samples() == local.expected() && closed == 0 ? ""
                            : String.format(Locale.ROOT, " (frames: %,d of %,d forwarded, %,d of %,d local, %d closed)",
                                    remote.samples(), remote.expected(), local.samples(), local.expected(), closed)));
        }

        void fanout(Options options, int channels, int rate, Fanout.Result bridge, Fanout.Result bare) {
            String what = String.format(Locale.ROOT, "fan-out, %,d subscribers (%,d channels x %d), %,d events/s",
                    bridge.opened, channels, options.fanoutPerChannel, rate);
            rows.add(String.format(Locale.ROOT, "| %s: time to connect all | %.1f s%s | | %.1f s%s | %.2f |", what,
                    bridge.connectSeconds, bridge.failed == 0 ? "" : " (" + bridge.failed + " failed)",
                    bare.connectSeconds, bare.failed == 0 ? "" : " (" + bare.failed + " failed)",
                    bridge.connectSeconds / bare.connectSeconds));
            rows.add(String.format(Locale.ROOT, "| %s: heap per connection | %.1f KB | | %.1f KB | %.2f |", what,
                    bridge.heapPerConnection() / 1024, bare.heapPerConnection() / 1024,
                    bridge.heapPerConnection() / bare.heapPerConnection()));
            rows.add(String.format(Locale.ROOT, "| %s: RSS per connection | %.1f KB | | %.1f KB | %.2f |", what,
                    bridge.rssPerConnection() / 1024, bare.rssPerConnection() / 1024,
                    bridge.rssPerConnection() / bare.rssPerConnection()));
            rows.add(String.format(Locale.ROOT, "| %s: latency p50 / p99 / max | %.1f / %.1f / %.1f ms "
                            + "| %.1f / %.1f / %.1f ms | %.1f / %.1f / %.1f ms | p99 %.2f of (a) |", what,
                    bridge.latency.p50(), bridge.latency.p99(), bridge.latency.max(), bridge.kafka.p50(),
                    bridge.kafka.p99(), bridge.kafka.max(), bare.latency.p50(), bare.latency.p99(), bare.latency.max(),
                    bridge.latency.p99() / bridge.kafka.p99()));
            rows.add(String.format(Locale.ROOT, "| %s: frames lost (of all sent, %d s of warm-up included),"
                            + " server CPU "
                            + "| %,d of %,d, %d closed; %.2f cores (publisher thread %.2f, write threads %.2f) | | %,d"
                            + " of %,d, %d closed; %.2f cores | |", what,
                    options.fanoutWarmupSeconds, bridge.lost(), bridge.expected, bridge.closed,
                    bridge.cpuSecondsPerSecond, bridge.publisherCores, bridge.writerCores,
                    bare.lost(), bare.expected, bare.closed, bare.cpuSecondsPerSecond));
        }

        void note(String note) {
            notes.add(note);
        }

        /** Rows for the JMH results that bench.sh produced before the stack started. */
        void jmh(Path results) throws IOException {
            if (results == null || !Files.exists(results)) {
                return;
            }
            JsonNode all = new ObjectMapper().readTree(results.toFile());
            for (JsonNode result : all) {
                String benchmark = result.path("benchmark").asText().replaceAll(".*\\.(\\w+Benchmark\\.\\w+)$", "$1");
                JsonNode params = result.path("params");
                int subscribers = params.path("subscribers").asInt(1);
                double score = result.path("primaryMetric").path("score").asDouble();
                double error = result.path("primaryMetric").path("scoreError").asDouble();
                JsonNode alloc = result.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score");
                StringBuilder label = new StringBuilder(benchmark);
                params.fields().forEachRemaining(param -> label.append(", ").append(param.getKey())
                        .append(' ').append(param.getValue().asText()));
                String perSubscriber = params.has("subscribers") && subscribers > 1
                        ? String.format(Locale.ROOT, " = %,.0f ns per subscriber", score / subscribers) : "";
                rows.add(String.format(Locale.ROOT, "| JMH %s | %,.0f ± %,.0f ns/event%s%s | | | |", label, score,
                        Double.isNaN(error) ? 0 : error, perSubscriber,
                        alloc.isMissingNode() ? "" : String.format(Locale.ROOT, ", %,.0f B allocated", alloc.asDouble())));
            }
        }

        void print() throws IOException {
            StringBuilder table = new StringBuilder(header);
            table.append("load average (1, 5, 15 min): ").append(loadBefore).append(" at the start, ")
                    .append(loadAverage()).append(" at the end\n\n");
            table.append("(a) a bare Kafka consumer on the same topic (for latency: produce to consume, same events); "
                    + "(b) bare Jetty pushing pre-encoded frames to the same clients (cluster: the consuming worker, "
                    + "same events); ratio: wsbridge to the lower baseline (heap, RSS, accept time: to bare Jetty)\n\n");
            table.append("| figure | wsbridge | baseline (a) | baseline (b) | ratio |\n");
            table.append("| --- | --- | --- | --- | --- |\n");
            rows.forEach(row -> table.append(row).append('\n'));
            notes.forEach(note -> table.append('\n').append(note).append('\n'));
            System.out.println();
            System.out.println(table);
            Files.writeString(options.resultsFile, table);
            System.out.println("(written to " + options.resultsFile.toAbsolutePath() + ")");
        }

        private static String loadAverage() {
            try {
                String[] parts = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
                return parts[0] + ", " + parts[1] + ", " + parts[2];
            } catch (IOException e) {
                return "unknown";
            }
        }

        private static String cpuModel() throws IOException {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        }

        private static String memTotal() throws IOException {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> Math.round(Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0) + " GiB")
                    .orElse("unknown");
        }
    }
}
