package io.wsbridge.bridge.resume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CatchupTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofSeconds(10);

    private final Router router = new Router();
    private final FakeHistory history = new FakeHistory();
    private final ExecutorService threads = Executors.newSingleThreadExecutor();
    private final AtomicInteger released = new AtomicInteger();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** A subscriber as the router sees it, whose queue takes {@code room} events until the test lets it drain. */
    private final class Client implements Subscription, Catchup.Target {
        final List<Event> received = new CopyOnWriteArrayList<>();
        volatile int room = Integer.MAX_VALUE / 2;
        volatile Catchup catchup;
        volatile String failure;
        final List<Gap> gaps = new CopyOnWriteArrayList<>();
        /** The place of its group this bridge kept itself (cluster mode). */
        volatile Cursor place;

        @Override
        public String application() {
            return "app";
        }

        @Override
        public String channel() {
            return null;
        }

        @Override
        public GroupKey group() {
            return null;
        }

        @Override
        public boolean offer(Event event) {
            Catchup current = catchup;
            return current == null ? deliver(event) : current.offerLive(event);
        }

        @Override
        public boolean deliver(Event event) {
            received.add(event);
            return true;
        }

        @Override
        public int room() {
            return room;
        }

        @Override
        public void gap(Gap gap) {
            assertThat(received).as("the gap comes before any replayed event").isEmpty();
            gaps.add(gap);
        }

        @Override
        public void fail(int closeCode, String reason) {
            failure = closeCode + " " + reason;
        }

        @Override
        public Cursor placed() {
            return place;
        }

        @Override
        public void caughtUp() {
            catchup = null;
        }

        /** Joins the router, then starts catching up: what a subscriber does when its connection opens. */
        Client join(From from, int bufferCapacity) {
            catchup = new Catchup("app", from, router.streams().of("app"), history, threads, this, bufferCapacity,
                    released::incrementAndGet);
            router.add(this);
            catchup.start();
            return this;
        }

        /** As {@link #join}, in cluster mode: the peers apply the interest when {@code barrier} passes. */
        Client joinClustered(From from, int bufferCapacity, LiveBarrier barrier) {
            catchup = new Catchup("app", from, router.streams().of("app"), history, threads, this, bufferCapacity,
                    released::incrementAndGet, barrier);
            router.add(this);
            catchup.start();
            return this;
        }

        void open() {
            room = Integer.MAX_VALUE / 2;
            Catchup current = catchup;
            if (current != null) {
                current.drained();
            }
        }
    }

    /** What the connector's task does: a record in Kafka, then published. */
    private void produceAndPublish(int partition, long offset) {
        router.publish(history.append(partition, offset));
    }

    private void publishLogged(int partition, long offset) {
        router.publish(FakeHistory.record(partition, offset));
    }

    @Test
    void replaysEverythingThenJoinsTheLiveStreamWithoutGapOrDuplicate() {
        router.streams().of("app").started("events-app", 0, 0);
        router.streams().of("app").started("events-app", 1, 0);
        for (int i = 0; i < 30; i++) {
            produceAndPublish(0, i);
            produceAndPublish(1, i);
        }
        Client client = new Client();
        client.room = 0; // the replay waits for room: live events pile up in the buffer meanwhile
        client.join(From.EARLIEST, 1_000);
        await().atMost(LIMIT).until(() -> history.openReadings.get() == 1);
        for (int i = 30; i < 40; i++) {
            produceAndPublish(0, i);
            produceAndPublish(1, i);
        }

        client.open();
        await().atMost(LIMIT).until(() -> client.catchup == null);
        for (int i = 40; i < 50; i++) {
            produceAndPublish(0, i);
            produceAndPublish(1, i);
        }

        assertExactlyOnceInOrder(client.received, Map.of(0, 50L, 1, 50L), Map.of());
        assertThat(released.get()).isEqualTo(1);
        assertThat(history.openReadings.get()).isZero();
    }

    @Test
    void aLiveBufferThatOverflowsIsDroppedAndReplayedInstead() {
        router.streams().of("app").started("events-app", 0, 0);
        for (int i = 0; i < 10; i++) {
            produceAndPublish(0, i);
        }
        Client client = new Client();
        client.room = 0;
        client.join(From.EARLIEST, 3);
        await().atMost(LIMIT).until(() -> history.openReadings.get() == 1);
        for (int i = 10; i < 30; i++) {
            produceAndPublish(0, i); // 20 live events for a buffer of 3
        }

        client.open();
        await().atMost(LIMIT).until(() -> client.catchup == null);
        produceAndPublish(0, 30);

        assertExactlyOnceInOrder(client.received, Map.of(0, 31L), Map.of());
    }

    @Test
    void aCursorResumesAfterItsEventAndAPartitionItDoesNotNameStartsAtTheBeginning() throws Exception {
        router.streams().of("app").started("events-app", 0, 0);
        router.streams().of("app").started("events-app", 1, 0);
        for (int i = 0; i < 20; i++) {
            produceAndPublish(0, i);
            produceAndPublish(1, i);
        }
        Cursor cursor = Cursor.of("app", Map.of(new PartitionId("events-app", 0), 12L));

        Client client = new Client().join(new From.After(cursor), 100);
        await().atMost(LIMIT).until(() -> client.catchup == null);
        produceAndPublish(1, 20);

        assertExactlyOnceInOrder(client.received, Map.of(0, 20L, 1, 21L), Map.of(0, 12L));
    }

    @Test
    void aCursorWhosePositionRetentionRemovedAnnouncesTheGapFirstThenResumesAtTheEarliestOffsetHeld() {
        router.streams().of("app").started("events-app", 0, 0);
        router.streams().of("app").started("events-app", 1, 0);
        for (int i = 0; i < 20; i++) {
            produceAndPublish(0, i);
            produceAndPublish(1, i);
        }
        history.truncate(0, 15); // retention removed offsets 0 to 14 of partition 0
        PartitionId p0 = new PartitionId("events-app", 0);
        PartitionId p1 = new PartitionId("events-app", 1);
        PartitionId deleted = new PartitionId("events-deleted", 4);
        Cursor cursor = Cursor.of("app", Map.of(p0, 6L, p1, 17L, deleted, 3L));

        Client client = new Client().join(new From.After(cursor), 100);
        await().atMost(LIMIT).until(() -> client.catchup == null);
        produceAndPublish(0, 20);

        assertThat(client.gaps).containsExactly(new Gap(new TreeMap<>(Map.of(p0, 9L)),
                new TreeSet<>(Set.of(deleted))));
        assertExactlyOnceInOrder(client.received, Map.of(0, 21L, 1, 20L), Map.of(0, 15L, 1, 17L));
    }

    @Test
    void aCursorStillHeldAnnouncesNoGap() {
        router.streams().of("app").started("events-app", 0, 0);
        for (int i = 0; i < 10; i++) {
            produceAndPublish(0, i);
        }
        history.truncate(0, 4);
        Client client = new Client().join(new From.After(Cursor.of("app",
                Map.of(new PartitionId("events-app", 0), 4L))), 100);
        await().atMost(LIMIT).until(() -> client.catchup == null);

        assertThat(client.gaps).isEmpty();
        assertExactlyOnceInOrder(client.received, Map.of(0, 10L), Map.of(0, 4L));
    }

    @Test
    void aSubscriberAheadOfTheLiveStreamSkipsWhatItHasAndKeepsCursorsOfItsOwnUntilTheStreamCatchesUp()
            throws Exception {
        for (int i = 0; i < 20; i++) {
            history.append(0, i);
            history.append(1, i);
        }
        // After a restart the task reads again from the committed offsets, behind what subscribers got before.
        router.streams().of("app").started("events-app", 0, 10);
        router.streams().of("app").started("events-app", 1, 5);
        Cursor cursor = Cursor.of("app", Map.of(new PartitionId("events-app", 0), 15L,
                new PartitionId("events-app", 1), 5L));

        Client client = new Client().join(new From.After(cursor), 100);
        await().atMost(LIMIT).until(() -> client.catchup == null || !client.catchup.replaying());
        assertThat(client.catchup.ahead()).isEqualTo(Map.of(new PartitionId("events-app", 0), 15L));
        publishLogged(1, 5);
        for (int i = 10; i < 20; i++) {
            publishLogged(0, i);
        }
        publishLogged(1, 6);

        assertThat(client.catchup).isNull();
        assertExactlyOnceInOrder(client.received, Map.of(0, 20L, 1, 7L), Map.of(0, 15L, 1, 5L));
        assertThat(cursorOf(client.received.get(0)).positions())
                .as("the first event's own cursor, not the live stream's (which is at 10 in partition 0)")
                .isEqualTo(Map.of(new PartitionId("events-app", 0), 15L, new PartitionId("events-app", 1), 6L));
    }

    @Test
    void aPartitionIsDoneWhenItsReadingPassesTheTargetThoughOffsetsHaveGaps() {
        history.append(0, 0);
        history.append(0, 2);
        history.append(0, 5);
        history.end(0, 8); // a transaction marker at 7, say
        router.streams().of("app").started("events-app", 0, 8);

        Client client = new Client().join(From.EARLIEST, 100);
        await().atMost(LIMIT).until(() -> client.catchup == null);
        produceAndPublish(0, 9);

        assertThat(client.received).extracting(Event::offset).containsExactly(0L, 2L, 5L, 9L);
        assertCursorsResumeExactly(client.received, Map.of());
    }

    @Test
    void historyThatCannotBeReadClosesTheSubscriberWith1013AndFreesItsSlot() {
        history.append(0, 0);
        router.streams().of("app").started("events-app", 0, 1);
        history.failure = new History.HistoryException("broker down", null);

        Client client = new Client().join(From.EARLIEST, 100);

        await().atMost(LIMIT).until(() -> client.failure != null);
        assertThat(client.failure).isEqualTo("1013 cannot read the history now: try again later");
        await().atMost(LIMIT).until(() -> released.get() == 1);
    }

    @Test
    void aSubscriberThatLeavesWhileReplayingClosesItsReadingAndFreesItsSlot() {
        for (int i = 0; i < 10; i++) {
            history.append(0, i);
        }
        router.streams().of("app").started("events-app", 0, 10);
        Client client = new Client();
        client.room = 0;
        client.join(From.EARLIEST, 100);
        await().atMost(LIMIT).until(() -> history.openReadings.get() == 1);

        client.catchup.close();

        await().atMost(LIMIT).until(() -> history.openReadings.get() == 0 && released.get() == 1);
        assertThat(client.received).isEmpty();
    }

    /**
     * Cluster mode: a peer consumes the partitions; this bridge gets an event only once the peer has applied its
     * interest ({@code forwarding}), as a forwarded event.
     */
    private final class Peer {
        volatile boolean forwarding;

        void produce(int partition, long offset) {
            Event event = history.append(partition, offset);
            if (forwarding) {
                router.deliverLocally(event, true, List.of());
            }
        }
    }

    @Test
    void inClusterModeTheReplayWaitsForThePeersToApplyTheInterestThenReadsUpToTheLogEnd() {
        history.configuredTopics = Set.of("events-app");
        Peer peer = new Peer();
        for (int i = 0; i < 30; i++) {
            peer.produce(0, i);
            peer.produce(1, i);
        }
        // What this bridge's stream knows of partition 0 is old: an event forwarded for an earlier subscriber.
        router.deliverLocally(FakeHistory.record(0, 5), true, List.of());
        CompletableFuture<Void> applied = new CompletableFuture<>();
        Client client = new Client();
        client.room = 0;
        client.joinClustered(From.EARLIEST, 1_000, barrier(applied, Map.of()));
        for (int i = 30; i < 40; i++) {
            peer.produce(0, i); // published by the peer before it applied the interest: not forwarded
            peer.produce(1, i);
        }
        await().during(Duration.ofMillis(300)).atMost(LIMIT).until(() -> history.openReadings.get() == 0);

        peer.forwarding = true;
        applied.complete(null);
        await().atMost(LIMIT).until(() -> history.openReadings.get() == 1);
        for (int i = 40; i < 50; i++) {
            peer.produce(0, i); // forwarded while the subscriber replays: buffered
            peer.produce(1, i);
        }
        client.open();
        await().atMost(LIMIT).until(() -> client.catchup == null);
        for (int i = 50; i < 60; i++) {
            peer.produce(0, i);
            peer.produce(1, i);
        }

        assertExactlyOnceInOrder(client.received, Map.of(0, 60L, 1, 60L), Map.of());
        assertThat(released.get()).isEqualTo(1);
    }

    @Test
    void inClusterModeAnOverflowedBufferIsReplayedUpToWhereTheLogEndsAfterIt() {
        history.configuredTopics = Set.of("events-app");
        Peer peer = new Peer();
        for (int i = 0; i < 10; i++) {
            peer.produce(0, i);
        }
        peer.forwarding = true;
        Client client = new Client();
        client.room = 0;
        client.joinClustered(From.EARLIEST, 3, barrier(CompletableFuture.completedFuture(null), Map.of()));
        await().atMost(LIMIT).until(() -> history.openReadings.get() == 1);
        for (int i = 10; i < 30; i++) {
            peer.produce(0, i); // 20 forwarded events for a buffer of 3
        }

        client.open();
        await().atMost(LIMIT).until(() -> client.catchup == null);
        peer.produce(0, 30);

        assertExactlyOnceInOrder(client.received, Map.of(0, 31L), Map.of());
    }

    @Test
    void inClusterModeAnInterestThePeersDoNotConfirmClosesTheSubscriberWith1013() {
        history.configuredTopics = Set.of("events-app");
        history.append(0, 0);
        Client client = new Client().joinClustered(From.EARLIEST, 100, barrier(
                CompletableFuture.failedFuture(new IllegalStateException("no link to peer 127.0.0.2:9")), Map.of()));

        await().atMost(LIMIT).until(() -> client.failure != null);
        assertThat(client.failure).isEqualTo("1013 cannot read the history now: try again later");
        assertThat(history.openReadings.get()).isZero();
        await().atMost(LIMIT).until(() -> released.get() == 1);
    }

    /** A barrier that passes when {@code applied} completes, with {@code places} handed over by the peers. */
    private LiveBarrier barrier(CompletableFuture<Void> applied, Map<String, Map<PartitionId, Long>> places) {
        Map<String, Map<PartitionId, Long>> handed = new HashMap<>(places);
        return new LiveBarrier() {
            @Override
            public CompletableFuture<Void> await() {
                return applied;
            }

            @Override
            public Map<PartitionId, Long> takePlace(String id) {
                return handed.remove(id);
            }

            @Override
            public void keepPlace(String id, Map<PartitionId, Long> positions) {
                handed.put(id, positions);
                kept.put(id, positions);
            }
        };
    }

    /** Places given back by catch-ups that could not replay them. */
    private final Map<String, Map<PartitionId, Long>> kept = new java.util.concurrent.ConcurrentHashMap<>();

    @Test
    void inClusterModeAGroupsPlaceWithoutAFreeReplaySlotIsKeptAndTheMemberClosedWith1013() {
        history.configuredTopics = Set.of("events-app");
        history.append(0, 0);
        Map<String, Map<PartitionId, Long>> handed = Map.of("g", Map.of(new PartitionId("events-app", 0), 0L));
        Client client = new Client();
        client.catchup = new Catchup("app", new From.GroupPlace("g"), router.streams().of("app"),
                history, threads, client, 100, released::incrementAndGet,
                barrier(CompletableFuture.completedFuture(null), handed), () -> false);
        router.add(client);
        client.catchup.start();

        await().atMost(LIMIT).until(() -> client.failure != null);
        assertThat(client.failure).startsWith("1013");
        assertThat(kept).containsEntry("g", Map.of(new PartitionId("events-app", 0), 0L));
        assertThat(history.openReadings.get()).isZero();
    }

    @Test
    void inClusterModeAGroupsFirstMemberStartsFromThePlacesThePeersAndThisBridgeKept() {
        history.configuredTopics = Set.of("events-app");
        Peer peer = new Peer();
        peer.forwarding = true;
        for (int i = 0; i < 20; i++) {
            peer.produce(0, i);
            peer.produce(1, i);
            peer.produce(2, i);
        }
        // a peer kept the group's place in partitions 0 and 1, this bridge in partition 1 (further) and 2
        Map<String, Map<PartitionId, Long>> handed = Map.of("g", Map.of(new PartitionId("events-app", 0), 12L,
                new PartitionId("events-app", 1), 15L));
        Cursor local = new Cursor(Cursor.applicationHash("app"), Map.of(new PartitionId("events-app", 1), 17L,
                new PartitionId("events-app", 2), 18L));
        Client client = new Client();
        client.place = local;
        client.joinClustered(new From.GroupPlace("g"), 100,
                barrier(CompletableFuture.completedFuture(null), handed));
        await().atMost(LIMIT).until(() -> client.catchup == null);
        peer.produce(0, 20);

        assertExactlyOnceInOrder(client.received, Map.of(0, 21L, 1, 20L, 2, 20L), Map.of(0, 12L, 1, 15L, 2, 18L));
    }

    @Test
    void inClusterModeAGroupWithoutAPlaceStartsLiveWithoutReading() {
        history.configuredTopics = Set.of("events-app");
        Peer peer = new Peer();
        peer.forwarding = true;
        for (int i = 0; i < 5; i++) {
            peer.produce(0, i);
        }
        Client client = new Client().joinClustered(new From.GroupPlace("g"), 100,
                barrier(CompletableFuture.completedFuture(null), Map.of()));
        await().atMost(LIMIT).until(() -> client.catchup == null);
        peer.produce(0, 5);

        assertThat(client.received).extracting(Event::offset).containsExactly(5L);
        assertThat(history.openReadings.get()).isZero();
        assertThat(released.get()).isEqualTo(1);
    }

    private static Cursor cursorOf(Event event) throws Exception {
        return Cursor.decode(JSON.readTree(event.text()).path("wsbridgecursor").asText(), "app");
    }

    /**
     * The client got each partition's records from its start ({@code from}, default 0) up to {@code until}, each once
     * and in order, and each frame's cursor resumes exactly after it.
     */
    private static void assertExactlyOnceInOrder(List<Event> received, Map<Integer, Long> until,
            Map<Integer, Long> from) {
        Map<Integer, List<Long>> byPartition = new HashMap<>();
        for (Event event : received) {
            byPartition.computeIfAbsent(event.partition(), p -> new ArrayList<>()).add(event.offset());
        }
        until.forEach((partition, end) -> {
            List<Long> expected = new ArrayList<>();
            for (long o = from.getOrDefault(partition, 0L); o < end; o++) {
                expected.add(o);
            }
            assertThat(byPartition.getOrDefault(partition, List.of())).as("partition %s", partition)
                    .isEqualTo(expected);
        });
        assertCursorsResumeExactly(received, from);
    }

    /** Resuming from any frame's cursor gives exactly the frames after it: none before, none missing. */
    private static void assertCursorsResumeExactly(List<Event> received, Map<Integer, Long> from) {
        for (int i = 0; i < received.size(); i++) {
            Cursor cursor;
            try {
                cursor = cursorOf(received.get(i));
            } catch (Exception e) {
                throw new AssertionError("frame " + i + " has no valid cursor: " + received.get(i).text(), e);
            }
            for (int j = 0; j < received.size(); j++) {
                Event other = received.get(j);
                long position = cursor.positions().getOrDefault(new PartitionId(other.topic(), other.partition()),
                        0L);
                if (j <= i) {
                    assertThat(other.offset()).as("frame %s is before the cursor of frame %s", j, i)
                            .isLessThan(position);
                } else {
                    assertThat(other.offset()).as("frame %s is after the cursor of frame %s", j, i)
                            .isGreaterThanOrEqualTo(position);
                }
            }
        }
    }
}
