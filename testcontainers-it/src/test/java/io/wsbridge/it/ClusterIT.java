package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ClusterExamples;
import io.wsbridge.it.harness.ConnectRest;
import io.wsbridge.it.harness.ConnectWorker;
import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.RawWsClient;
import io.wsbridge.it.harness.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode with three real Connect workers (127.0.0.1-3, one Connect group, one broker of its own), the plugin
 * archive and the REST extension on each, and the shipped cluster examples ({@code connect-distributed-cluster
 * .properties}, {@code websocket-sink-cluster.json}, its secret through the file config provider). The connector has
 * two tasks, so one worker consumes nothing, yet every worker serves the whole stream on the same port.
 *
 * <p>The tests run in order on the same cluster: the stream and the groups, then a subscriber resumes on another
 * worker, then a group keeps its place across workers, then the worker without a task freezes and dies with a group
 * member, then a consuming worker is killed, then the connector is deleted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
    private static final String GROUP = "wsbridge-cluster-it";
    private static final String CONNECTOR = "ws-cluster";
    private static final String APPLICATION = "cluster-app";
    private static final String TOPIC = "events-" + APPLICATION;
    private static final int PARTITIONS = 4;
    private static final int TASKS = 2;
    private static final String SECRET = "it-cluster-secret-" + Long.toHexString(System.nanoTime());
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    private static final Duration RECEIVE = Duration.ofSeconds(30);

    private KafkaBroker kafka;
    private final Map<String, ConnectWorker> workers = new LinkedHashMap<>();
    private final Set<String> alive = new HashSet<>(HOSTS);
    private Events events;
    private int port;
    private int opsPort;
    /** Plain subscribers and group members, by the host of the worker they are connected to. */
    private final Map<String, List<WsClient>> plain = new HashMap<>();
    private final Map<String, List<WsClient>> members = new HashMap<>();
    /** Members of a group with a filter (the first test only). */
    private final Map<String, List<WsClient>> filtered = new HashMap<>();
    private static final String FILTER = "device IN ('device-1', 'device-2')";

    @BeforeAll
    void startCluster() throws Exception {
        long started = System.nanoTime();
        kafka = new KafkaBroker().start();
        kafka.createTopic(TOPIC, PARTITIONS);
        port = ClusterExamples.portFreeOnEvery(HOSTS);
        do {
            opsPort = ClusterExamples.portFreeOnEvery(HOSTS);
        } while (opsPort == port);
        Path secrets = ClusterExamples.secretsFile("cluster-secrets", SECRET);
        // A crashed worker is noticed after the session timeout, and its tasks move after the scheduled delay.
        // Offsets are committed every second, so that a task's commit passes what it handed to groups soon.
        ClusterExamples.startWorkers(kafka, HOSTS, GROUP, Map.of("scheduled.rebalance.max.delay.ms", "4000",
                "offset.flush.interval.ms", "1000"), workers);
        events = new Events(kafka.bootstrapServers());

        rest().createConnector(CONNECTOR,
                ClusterExamples.connectorConfig(TOPIC, TASKS, port, opsPort, APPLICATION, secrets));
        rest().awaitRunning(CONNECTOR, TASKS);
        for (String host : HOSTS) {
            await("the bridge on " + host + ":" + port).atMost(CONVERGE).ignoreExceptions()
                    .until(() -> bridge(host).get("/healthz").status() == 200
                            && ops(host).get("/healthz").status() == 200);
        }
        LOG.info("cluster up in {} ms: bridges on port {}, tasks on {}", (System.nanoTime() - started) / 1_000_000,
                port, consumingHosts());
    }

    @AfterAll
    void stopCluster() {
        plain.values().forEach(clients -> clients.forEach(WsClient::close));
        members.values().forEach(clients -> clients.forEach(WsClient::close));
        filtered.values().forEach(clients -> clients.forEach(WsClient::close));
        if (events != null) {
            events.close();
        }
        ClusterExamples.stopWorkers(workers.values());
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Order(1)
    void everyWorkerServesEveryEventInPartitionOrderAndAGroupSharesThemOnce() throws Exception {
        Set<String> consuming = consumingHosts();
        assertThat(consuming).as("tasks.max=2 on three workers leaves one without a task").hasSize(TASKS);
        for (String host : HOSTS) {
            plain.computeIfAbsent(host, h -> new ArrayList<>()).add(connect(host, ""));
            members.computeIfAbsent(host, h -> new ArrayList<>()).add(connect(host, "?group_id=billing"));
            // the same group id with a filter: another group, whose round-robin spans the workers too
            filtered.computeIfAbsent(host, h -> new ArrayList<>()).add(connect(host, "?group_id=billing&filter="
                    + URLEncoder.encode(FILTER, StandardCharsets.UTF_8).replace("+", "%20")));
        }
        awaitConvergence();

        Map<String, Long[]> sent = produce("b1", 240);

        for (String host : HOSTS) {
            List<String> ids = ids(plain.get(host).get(0).awaitFrames(sent.size(), RECEIVE));
            assertThat(ids).as("subscriber on %s (%s)", host, consuming.contains(host) ? "consumes" : "no task")
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());
            assertPartitionOrder(ids, sent, host);
        }
        Map<String, List<String>> shares = collect(allMembers(), "b1", sent.size());
        List<String> all = shares.values().stream().flatMap(List::stream).toList();
        assertThat(all).as("each event to exactly one member of the group").hasSize(sent.size())
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent.keySet());
        LOG.info("group shares of {} events: {}", sent.size(),
                shares.values().stream().map(List::size).toList());
        double even = sent.size() / 3.0;
        shares.forEach((member, share) -> assertThat((double) share.size())
                .as("share of %s: %s events", member, share.size()).isBetween(even - TASKS, even + TASKS));
        for (String host : HOSTS) {
            assertThat(plain.get(host).get(0).pendingFrames()).as("nothing twice on " + host).isZero();
        }
        List<String> matching = sent.keySet().stream()
                .filter(id -> List.of(1, 2).contains(Integer.parseInt(id.substring(id.indexOf('-') + 1)) % 12))
                .toList();
        List<WsClient> filteredMembers = filtered.values().stream().flatMap(List::stream).toList();
        Map<String, List<String>> filteredShares = collect(filteredMembers, "b1", matching.size());
        assertThat(filteredShares.values().stream().flatMap(List::stream).toList())
                .as("each event the filter matches to exactly one member of the filtered group, nothing else")
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(matching);
        LOG.info("filtered group shares of {} events: {}", matching.size(),
                filteredShares.values().stream().map(List::size).toList());
        assertThat(filteredShares.values()).as("the filtered group's members on every worker get a share")
                .allMatch(share -> !share.isEmpty());
        filteredMembers.forEach(WsClient::close);
        filtered.clear();
        for (ConnectWorker worker : workers.values()) {
            assertThat(Files.readString(worker.logFile())).as("tasks and the extension share one bridge on %s",
                    worker.host()).doesNotContain("Restarting the bridge").doesNotContain("Cannot start the bridge of connector")
                    .doesNotContain("Cannot run the bridge of connector");
        }
    }

    @Test
    @Order(2)
    void aCursorFromOneWorkerResumesOnTheWorkerWithoutATaskWithEveryEventOnceThenLive() throws Exception {
        String consuming = consumingHosts().iterator().next();
        String idle = HOSTS.stream().filter(host -> !consumingHosts().contains(host)).findFirst().orElseThrow();
        // Nobody on the worker without a task asks for the whole stream: only what its group member gets reaches it.
        plain.get(idle).forEach(WsClient::close);
        plain.put(idle, new ArrayList<>());
        Map<String, Long[]> first;
        List<String> before;
        String cursor;
        try (WsClient leaving = connect(consuming, "")) {
            awaitConvergence();
            first = produce("r1", 120);
            List<String> frames = leaving.awaitFrames(first.size(), RECEIVE);
            before = ids(frames.subList(0, 60));
            cursor = JSON.readTree(frames.get(59)).path("wsbridgecursor").asText();
            assertThat(cursor).as("the 60th frame's cursor").isNotEmpty();
        }
        Map<String, Long[]> missed = produce("r2", 120); // while nobody is connected

        Map<String, Long[]> all = new LinkedHashMap<>(first);
        all.putAll(missed);
        // On a channel (every event's subject is "telemetry") that nobody subscribed to before: an interest that
        // the consuming workers learn only now, while the events at the switch flow.
        // Events flow all along: before it connects, while its interest spreads, while it replays, at the switch.
        CompletableFuture<Map<String, Long[]>> flowing = CompletableFuture.supplyAsync(() -> producePaced("r3", 200));
        Thread.sleep(200);
        try (WsClient resumed = connect(idle, "/telemetry?from="
                + URLEncoder.encode(cursor, StandardCharsets.UTF_8))) {
            Map<String, Long[]> atTheSwitch = flowing.get(60, TimeUnit.SECONDS);
            all.putAll(atTheSwitch);
            int expected = first.size() - before.size() + missed.size() + atTheSwitch.size();
            List<String> after = new ArrayList<>(ids(resumed.awaitFrames(expected, RECEIVE)));
            Map<String, Long[]> live = produce("r4", 40);
            all.putAll(live);
            after.addAll(ids(resumed.awaitFrames(live.size(), RECEIVE)));
            assertThat(resumed.nextFrame(Duration.ofSeconds(1))).as("nothing more, nothing twice").isEmpty();

            assertThat(concat(before, after)).as("the frames before the cursor on %s and after it on %s",
                    consuming, idle).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(all.keySet());
            assertPartitionOrder(after, all, idle + " after resuming");
        }

        // everything the topic holds, on the worker without a task
        try (WsClient replaying = connect(idle, "?from=earliest")) {
            List<String> everything = ids(replaying.awaitFrames(240 + all.size(), RECEIVE));
            assertThat(everything).as("every event the topic holds, once").doesNotHaveDuplicates();
            assertThat(everything.stream().filter(id -> id.startsWith("b1-")).count()).isEqualTo(240);
            assertThat(everything.stream().filter(id -> !id.startsWith("b1-")).toList())
                    .containsExactlyInAnyOrderElementsOf(all.keySet());
            assertThat(replaying.nextFrame(Duration.ofSeconds(1))).as("nothing more").isEmpty();
        }
        plain.get(idle).add(connect(idle, ""));
        awaitConvergence();
    }

    @Test
    @Order(3)
    void aCursorFromTheWorkerWithoutATaskNamesWhereEveryPartitionWasWhenItsSubscriberCameIn() throws Exception {
        String idle = HOSTS.stream().filter(host -> !consumingHosts().contains(host)).findFirst().orElseThrow();
        // Nobody on the worker without a task: what it knows of the stream stays where it was.
        plain.get(idle).forEach(WsClient::close);
        members.get(idle).forEach(WsClient::close);
        plain.put(idle, new ArrayList<>());
        members.put(idle, new ArrayList<>());
        awaitConvergence();
        Map<String, Long[]> earlier = produce("c1", 120); // in every partition, before the subscriber comes
        String consuming = consumingHosts().iterator().next();
        collect(plain.get(consuming), "c1", earlier.size()); // both consuming workers published them

        String cursor;
        try (WsClient subscriber = connect(idle, "")) {
            plain.get(idle).add(subscriber);
            awaitConvergence();
            // its events are all in partition 0: the worker without a task learns the others' positions only from
            // the consuming workers
            Map<String, Long[]> own = produceTo("c2", 20, 0);
            List<String> frames = subscriber.awaitFrames(own.size(), RECEIVE);
            assertThat(ids(frames)).containsExactlyElementsOf(own.keySet());
            cursor = JSON.readTree(frames.get(frames.size() - 1)).path("wsbridgecursor").asText();
            plain.get(idle).remove(subscriber);
        }
        awaitConvergence();

        try (WsClient resumed = connect(idle, "?from=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))) {
            Map<String, Long[]> after = produce("c3", 40);
            List<String> ids = ids(resumed.awaitFrames(after.size(), RECEIVE));
            assertThat(ids).as("after the cursor: nothing of the %s events produced before its subscriber came",
                    earlier.size()).containsExactlyInAnyOrderElementsOf(after.keySet());
            assertThat(resumed.nextFrame(Duration.ofSeconds(1))).as("nothing more").isEmpty();
        }
        plain.get(idle).add(connect(idle, ""));
        members.get(idle).add(connect(idle, "?group_id=billing"));
        awaitConvergence();
    }

    @Test
    @Order(4)
    void aGroupWhoseOnlyMemberLeftGetsWhatItMissedWhenItsNextMemberJoinsOnAnotherWorker() throws Exception {
        List<String> consuming = List.copyOf(consumingHosts());
        String leftOn = consuming.get(0);
        String other = consuming.get(1);
        String idle = HOSTS.stream().filter(host -> !consuming.contains(host)).findFirst().orElseThrow();
        double proxies = peerSubscriptions(other);
        try (WsClient only = connect(leftOn, "?group_id=keeper")) {
            await("the member's proxy on " + other).atMost(CONVERGE).ignoreExceptions()
                    .until(() -> peerSubscriptions(other) == proxies + 1);
            Map<String, Long[]> before = produce("k1", 40);
            assertThat(ids(only.awaitFrames(before.size(), RECEIVE))).as("the group's only member gets everything")
                    .containsExactlyInAnyOrderElementsOf(before.keySet());
        }
        await("the member's proxy gone from " + other).atMost(CONVERGE).ignoreExceptions()
                .until(() -> peerSubscriptions(other) == proxies);
        Map<String, Long[]> missed = produce("k2", 100);

        try (WsClient next = connect(idle, "?group_id=keeper")) {
            List<String> caughtUp = ids(next.awaitFrames(missed.size(), RECEIVE));
            assertThat(caughtUp).as("the next member, on %s, gets the %s events the group missed", idle,
                    missed.size()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(missed.keySet());
            assertPartitionOrder(caughtUp, missed, idle + " catching up its group");
            Map<String, Long[]> live = produce("k3", 20);
            assertThat(ids(next.awaitFrames(live.size(), RECEIVE))).as("then live")
                    .containsExactlyInAnyOrderElementsOf(live.keySet());
            assertThat(next.nextFrame(Duration.ofSeconds(1))).as("nothing more, nothing twice").isEmpty();
        }
        awaitConvergence();
    }

    private double peerSubscriptions(String host) {
        return ops(host).metrics().value("wsbridge_peer_subscriptions", "application", APPLICATION);
    }

    @Test
    @Order(5)
    void whatAGroupMemberOnAWorkerThatDiedHadNotWrittenGoesToTheGroupsOtherMembers() throws Exception {
        Set<String> consuming = consumingHosts();
        String idle = HOSTS.stream().filter(host -> !consuming.contains(host)).findFirst().orElseThrow();
        LOG.info("freezing the worker on {}, which has a member of group billing", idle);
        workers.get(idle).pause();
        Map<String, Long[]> sent = produce("f1", 90); // its member's share goes to it and is never written
        Thread.sleep(1000);
        LOG.info("killing the frozen worker on {}", idle);
        workers.get(idle).kill();
        alive.remove(idle);
        plain.get(idle).forEach(WsClient::close);
        members.get(idle).forEach(WsClient::close);
        plain.put(idle, new ArrayList<>());
        members.put(idle, new ArrayList<>());

        Map<String, List<String>> shares = collect(allMembers(), "f1", sent.size());
        assertThat(shares.values().stream().flatMap(List::stream).toList())
                .as("the dead worker's share dealt again to the members on %s", consuming)
                .containsExactlyInAnyOrderElementsOf(sent.keySet());
        double redealt = 0;
        for (String host : consuming) {
            redealt += ops(host).metrics().value("wsbridge_peer_events_redealt_total");
        }
        assertThat(redealt).as("events dealt again").isGreaterThanOrEqualTo(sent.size() / 3 - TASKS);
        for (String host : consuming) {
            List<String> ids = collect(plain.get(host), "f1", sent.size()).values().iterator().next();
            assertThat(ids).as("plain subscriber on %s", host).containsExactlyInAnyOrderElementsOf(sent.keySet());
        }
    }

    @Test
    @Order(6)
    void whenAWorkerDiesTheOthersMissNothingAfterTheRebalanceAndItsSubscribersMoveOn() throws Exception {
        String victim = consumingHosts().iterator().next();
        String refuge = alive.stream().filter(host -> !host.equals(victim)).sorted().findFirst().orElseThrow();
        // A group whose only member left keeps its place on each consuming worker, the victim included.
        double proxies = peerSubscriptions(victim);
        try (WsClient only = connect(refuge, "?group_id=survivor")) {
            await("the member's proxy on " + victim).atMost(CONVERGE).ignoreExceptions()
                    .until(() -> peerSubscriptions(victim) == proxies + 1);
            Map<String, Long[]> before = produce("s1", 20);
            assertThat(ids(only.awaitFrames(before.size(), RECEIVE))).containsExactlyInAnyOrderElementsOf(
                    before.keySet());
        }
        await("the member's proxy gone from " + victim).atMost(CONVERGE).ignoreExceptions()
                .until(() -> peerSubscriptions(victim) == proxies);
        Map<String, Long[]> missed = produce("s2", 60);
        Thread.sleep(500); // the victim's copy of the place reaches the other worker in milliseconds

        // A group with a member on the victim that stopped reading: what the victim has not written to it when it
        // dies, the partitions' next owner reads again and deals to the group's member there.
        double victimProxies = peerSubscriptions(victim);
        double refugeProxies = peerSubscriptions(refuge);
        RawWsClient stalled = RawWsClient.connect(victim, port, "/" + APPLICATION + "?group_id=heldback", 4096);
        WsClient other = connect(refuge, "?group_id=heldback");
        await("each member's proxy on the other worker").atMost(CONVERGE).ignoreExceptions()
                .until(() -> peerSubscriptions(victim) == victimProxies + 1
                        && peerSubscriptions(refuge) == refugeProxies + 1);
        Map<String, Long[]> held = new LinkedHashMap<>();
        for (int round = 0; round < 40 && ops(victim).metrics().value("wsbridge_queue_depth_max_events") < 10; round++) {
            held.putAll(produceLarge("h" + round, 20, 16 * 1024, -1));
            Thread.sleep(200);
        }
        Thread.sleep(1000); // the other subscribers drain their queues; the stalled member cannot
        assertThat(ops(victim).metrics().value("wsbridge_queue_depth_max_events")).as("events the stalled member has not "
                + "written").isGreaterThanOrEqualTo(10);
        Thread.sleep(3000); // several commits: without the holdback, they would pass the events not written

        Set<String> victimConsumers = sinkConsumers(victim);
        LOG.info("killing the worker on {}; its subscribers move to {}", victim, refuge);
        workers.get(victim).kill();
        alive.remove(victim);
        Set<String> heldGot = new HashSet<>();
        for (Optional<RawWsClient.Frame> frame = stalled.read(RECEIVE); frame.isPresent();
                frame = stalled.read(RECEIVE)) {
            if (frame.get().opcode() == RawWsClient.TEXT) {
                heldGot.add(id(frame.get().text())); // what the victim had written before it died
            }
        }
        stalled.close();
        LOG.info("the stalled member got {} of {} events before the victim died", heldGot.size(), held.size());
        for (WsClient client : concat(plain.get(victim), members.get(victim))) {
            assertThat(client.awaitClose(Duration.ofSeconds(15)).code()).as("connection to the dead worker").isNotZero();
        }
        plain.put(victim, new ArrayList<>());
        members.put(victim, new ArrayList<>());
        plain.get(refuge).add(connect(refuge, ""));
        members.get(refuge).add(connect(refuge, "?group_id=billing"));

        rest().awaitStatus(CONNECTOR, Duration.ofSeconds(90), "with its tasks off the dead worker",
                status -> status.isRunning(TASKS)
                        && status.tasks().stream().noneMatch(task -> task.workerId().startsWith(victim + ":")));
        // The sink tasks' consumer group rebalances too, once the dead task's consumer is evicted.
        await("the consumer group of " + CONNECTOR + " rebalanced without the dead worker's consumer")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> sinkConsumersStable(victimConsumers));
        LOG.info("rebalanced: tasks on {}", consumingHosts());
        awaitConvergence();

        try (WsClient next = connect(refuge, "?group_id=survivor")) {
            List<String> caughtUp = collect(List.of(next), "s2", missed.size()).values().iterator().next();
            assertThat(caughtUp).as("the group's next member gets what it missed, from the places kept by %s and "
                    + "by the dead %s", refuge, victim).containsExactlyInAnyOrderElementsOf(missed.keySet());
            assertPartitionOrder(caughtUp, missed, refuge + " catching up its group");
        }
        assertThat(Files.readString(workers.get(refuge).logFile())).as("the dead worker's copy of the place was used")
                .contains("A group formed again with the place that a peer which no longer consumes had kept");

        long deadline = System.nanoTime() + RECEIVE.toNanos();
        while (!heldGot.containsAll(held.keySet()) && System.nanoTime() < deadline) {
            other.nextFrame(Duration.ofMillis(200)).map(ClusterIT::id).ifPresent(heldGot::add);
        }
        Set<String> lost = new java.util.TreeSet<>(held.keySet());
        lost.removeAll(heldGot);
        assertThat(lost).as("events of group heldback that neither member got").isEmpty();
        other.close();

        Map<String, Long[]> sent = produce("b2", 120);

        for (String host : alive) {
            for (WsClient client : plain.get(host)) {
                List<String> ids = collect(List.of(client), "b2", sent.size()).values().iterator().next();
                assertThat(ids).as("subscriber on %s after the rebalance", host)
                        .containsExactlyInAnyOrderElementsOf(sent.keySet());
                assertPartitionOrder(ids, sent, host);
            }
        }
        Map<String, List<String>> shares = collect(allMembers(), "b2", sent.size());
        assertThat(shares.values().stream().flatMap(List::stream).toList())
                .as("each event to exactly one member, the moved one included").hasSize(sent.size())
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent.keySet());
        assertThat(shares.values()).as("every member gets a share").allMatch(share -> !share.isEmpty());
    }

    @Test
    @Order(7)
    void deletingTheConnectorFreesThePortOnEveryWorker() {
        assertThat(rest().delete(CONNECTOR)).isTrue();

        for (String host : alive) {
            await("port " + port + " free on " + host).atMost(Duration.ofSeconds(30))
                    .until(() -> ClusterExamples.bindable(host, port));
        }
    }

    // ---- the cluster

    private ConnectRest rest() {
        return workers.get(alive.stream().sorted().findFirst().orElseThrow()).rest();
    }

    /** The public WebSocket port of the bridge on {@code host}: bare probes. */
    private BridgeHttp bridge(String host) {
        return new BridgeHttp(URI.create("http://" + host + ":" + port));
    }

    /** The operations listener of the bridge on {@code host}: metrics and detailed probes. */
    private BridgeHttp ops(String host) {
        return new BridgeHttp(URI.create("http://" + host + ":" + opsPort));
    }

    /** Hosts of the workers that run a task of the connector. */
    private Set<String> consumingHosts() {
        return rest().status(CONNECTOR).tasks().stream()
                .map(task -> task.workerId().substring(0, task.workerId().lastIndexOf(':')))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * Waits until every consuming worker holds a proxy for each remote subscriber: one per other worker with plain
     * subscribers, one per remote group member. Only then does every subscriber get everything produced.
     */
    private void awaitConvergence() {
        for (String consumer : consumingHosts()) {
            int expected = 0;
            for (String host : alive) {
                if (!host.equals(consumer)) {
                    expected += (plain.get(host).isEmpty() ? 0 : 1) + members.get(host).size()
                            + filtered.getOrDefault(host, List.of()).size();
                }
            }
            int wanted = expected;
            await("proxies of " + wanted + " remote subscriptions on " + consumer).atMost(CONVERGE)
                    .ignoreExceptions()
                    .until(() -> ops(consumer).metrics().value("wsbridge_peer_subscriptions",
                            "application", APPLICATION) == wanted);
        }
        for (String host : alive) {
            await("/readyz of " + host).atMost(CONVERGE).ignoreExceptions()
                    .until(() -> bridge(host).get("/readyz").status() == 200
                            && ops(host).get("/readyz").status() == 200);
        }
    }

    /** Member ids in the sink connector's consumer group of the tasks that run on {@code host}. */
    private Set<String> sinkConsumers(String host) throws Exception {
        Set<String> clientIds = rest().status(CONNECTOR).tasks().stream()
                .filter(task -> task.workerId().startsWith(host + ":"))
                .map(task -> "connector-consumer-" + CONNECTOR + "-" + task.id()).collect(Collectors.toSet());
        return consumerGroup().members().stream().filter(member -> clientIds.contains(member.clientId()))
                .map(MemberDescription::consumerId).collect(Collectors.toSet());
    }

    /** The group is stable, with one consumer per task, none of them one of {@code gone}. */
    private boolean sinkConsumersStable(Set<String> gone) throws Exception {
        ConsumerGroupDescription group = consumerGroup();
        return group.groupState() == GroupState.STABLE && group.members().size() == TASKS
                && group.members().stream().noneMatch(member -> gone.contains(member.consumerId()));
    }

    private ConsumerGroupDescription consumerGroup() throws Exception {
        String id = "connect-" + CONNECTOR;
        return kafka.admin().describeConsumerGroups(List.of(id)).all().get(10, TimeUnit.SECONDS).get(id);
    }

    private WsClient connect(String host, String query) {
        return WsClient.awaitConnect(URI.create("ws://" + host + ":" + port + "/" + APPLICATION + query), Map.of(),
                CONVERGE);
    }

    private List<WsClient> allMembers() {
        return members.values().stream().flatMap(List::stream).toList();
    }

    // ---- events

    /**
     * Produces {@code count} events, spread over the partitions, and waits for the broker's acknowledgements.
     *
     * @return the partition and offset of each event id, in the order sent
     */
    private Map<String, Long[]> produce(String batch, int count) throws Exception {
        return produceLarge(batch, count, 0, -1);
    }

    /** As {@link #produce}, all to one partition. */
    private Map<String, Long[]> produceTo(String batch, int count, int partition) throws Exception {
        return produceLarge(batch, count, 0, partition);
    }

    /**
     * As {@link #produce}, each event with {@code bytes} of padding in its data (0: the usual data), all to
     * {@code partition} unless it is -1.
     */
    private Map<String, Long[]> produceLarge(String batch, int count, int bytes, int partition) throws Exception {
        Map<String, Future<RecordMetadata>> pending = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            Events.CloudEvent event = Events.event(APPLICATION, "device-" + (i % 12)).withId(batch + "-" + i);
            if (bytes > 0) {
                event = event.withData("{\"pad\":\"" + "x".repeat(bytes) + "\"}");
            }
            ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, event);
            pending.put(event.id(), events.producer().send(new ProducerRecord<>(TOPIC,
                    partition < 0 ? i % PARTITIONS : partition, record.key(),
                    record.value(), record.headers())));
        }
        events.producer().flush();
        Map<String, Long[]> sent = new LinkedHashMap<>();
        for (Map.Entry<String, Future<RecordMetadata>> entry : pending.entrySet()) {
            RecordMetadata metadata = entry.getValue().get();
            sent.put(entry.getKey(), new Long[] {(long) metadata.partition(), metadata.offset()});
        }
        return sent;
    }

    /** Produces {@code count} events one at a time, a few milliseconds apart (about a second in all). */
    private Map<String, Long[]> producePaced(String batch, int count) {
        Map<String, Long[]> sent = new LinkedHashMap<>();
        try {
            for (int i = 0; i < count; i++) {
                Events.CloudEvent event = Events.event(APPLICATION, "device-" + (i % 12)).withId(batch + "-" + i);
                ProducerRecord<byte[], byte[]> record = Events.binaryRecord(TOPIC, event);
                RecordMetadata metadata = events.producer().send(new ProducerRecord<>(TOPIC, i % PARTITIONS,
                        record.key(), record.value(), record.headers())).get();
                sent.put(event.id(), new Long[] {(long) metadata.partition(), metadata.offset()});
                Thread.sleep(4);
            }
        } catch (Exception e) {
            throw new IllegalStateException("producing " + batch + " failed", e);
        }
        return sent;
    }

    /**
     * Reads the clients round-robin until they hold {@code total} frames of the batch together (frames of earlier
     * batches, which a rebalance may deliver again, are skipped), then a moment more to catch extra frames.
     *
     * @return the event ids of the batch each client received, in order
     */
    private static Map<String, List<String>> collect(List<WsClient> clients, String batch, int total) {
        Map<String, List<String>> received = new LinkedHashMap<>();
        clients.forEach(client -> received.put(client.toString(), new ArrayList<>()));
        long deadline = System.nanoTime() + RECEIVE.toNanos();
        int count = 0;
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietUntil)) {
            for (WsClient client : clients) {
                String frame;
                while ((frame = client.nextFrame(Duration.ofMillis(20)).orElse(null)) != null) {
                    String id = id(frame);
                    if (id.startsWith(batch + "-")) {
                        received.get(client.toString()).add(id);
                        count++;
                    }
                }
            }
            if (count >= total && quietUntil == Long.MAX_VALUE) {
                quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            }
        }
        assertThat(count).as("frames of batch %s received by %s clients", batch, clients.size()).isEqualTo(total);
        return received;
    }

    private static List<String> ids(List<String> frames) {
        return frames.stream().map(ClusterIT::id).toList();
    }

    private static String id(String frame) {
        try {
            JsonNode event = JSON.readTree(frame);
            assertThat(event.path("application").asText()).isEqualTo(APPLICATION);
            return event.path("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + frame, e);
        }
    }

    /** Within each partition the events arrived in offset order. */
    private static void assertPartitionOrder(List<String> ids, Map<String, Long[]> sent, String where) {
        Map<Long, Long> last = new HashMap<>();
        for (String id : ids) {
            Long[] position = sent.get(id);
            Long previous = last.put(position[0], position[1]);
            assertThat(previous == null || previous < position[1])
                    .as("%s: %s (partition %s offset %s) after offset %s", where, id, position[0], position[1],
                            previous)
                    .isTrue();
        }
        assertThat(last).as("events of every partition").hasSize(PARTITIONS);
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<T> list : lists) {
            all.addAll(list);
        }
        return all;
    }
}
