package io.wsbridge.bridge.resume;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveStreamTest {

    private static Event at(int partition, long offset) {
        return Event.fromUtf8("app", null, "{\"id\":\"x\"}".getBytes(), "events-app", partition, offset);
    }

    @Test
    void aPartitionStartsWhereItsTaskReadsAndMovesPastEachEvent() throws Exception {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        stream.started("events-app", 0, 100);
        stream.started("events-app", 1, 0);

        assertThat(stream.advance(at(1, 4))).isTrue();
        assertThat(stream.snapshot().positions()).isEqualTo(Map.of(new PartitionId("events-app", 0), 100L,
                new PartitionId("events-app", 1), 5L));
        assertThat(Cursor.decode(stream.encoded(), "app")).isEqualTo(stream.snapshot());
    }

    @Test
    void anEventBelowItsPartitionsPositionIsRefusedAsPublishedBefore() {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        assertThat(stream.advance(at(0, 10))).isTrue();

        assertThat(stream.advance(at(0, 10))).isFalse();
        assertThat(stream.advance(at(0, 3))).isFalse();
        assertThat(stream.advance(at(0, 15))).isTrue(); // a gap (markers, compaction) is no duplicate
        assertThat(stream.next(new PartitionId("events-app", 0))).isEqualTo(16);
    }

    @Test
    void aReassignedPartitionNeverMovesBack() {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        stream.advance(at(0, 49));
        stream.started("events-app", 0, 40); // committed offsets lag what was published

        assertThat(stream.next(new PartitionId("events-app", 0))).isEqualTo(50);
        assertThat(stream.next(new PartitionId("events-app", 9))).isEqualTo(-1);
    }

    @Test
    void theStampedFrameCarriesThePositionAfterTheEvent() throws Exception {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        stream.advance(at(0, 7));

        String frame = stream.stamp(at(0, 7)).text();

        assertThat(frame).startsWith("{\"wsbridgecursor\":\"" + stream.encoded() + "\",");
        assertThat(Cursor.decode(stream.encoded(), "app").positions())
                .isEqualTo(Map.of(new PartitionId("events-app", 0), 8L));
    }

    @Test
    void aPeersPositionsMoveOnlyPartitionsNotPublishedHereAndOnlyForward() throws Exception {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        stream.started("events-app", 0, 10); // published here
        long moves = stream.moves();

        stream.forwardedPositions(Map.of(new PartitionId("events-app", 0), 99L, new PartitionId("events-app", 1), 30L,
                new PartitionId("other", 2), 5L));
        assertThat(stream.snapshot().positions()).isEqualTo(Map.of(new PartitionId("events-app", 0), 10L,
                new PartitionId("events-app", 1), 30L, new PartitionId("other", 2), 5L));
        assertThat(stream.moves()).isGreaterThan(moves);
        assertThat(Cursor.decode(stream.encoded(), "app")).isEqualTo(stream.snapshot());
        assertThat(stream.localSnapshot().positions()).as("the peer's partitions are not published here")
                .isEqualTo(Map.of(new PartitionId("events-app", 0), 10L));

        stream.forwardedPositions(Map.of(new PartitionId("events-app", 1), 20L));
        assertThat(stream.next(new PartitionId("events-app", 1))).as("never back").isEqualTo(30);

        // the partition moves here (its former owner died) and its task reads from the committed offset: what it
        // reads again up to the peer's position goes to groups, plain subscribers had what they asked for
        stream.started("events-app", 1, 25);
        assertThat(stream.advance(at(1, 27))).isFalse();
        assertThat(stream.regroups(at(1, 27))).isTrue();
        assertThat(stream.regroups(at(1, 30))).isFalse();
        assertThat(stream.advance(at(1, 30))).isTrue();
    }

    @Test
    void everyApplicationsPositionNamesTheSharedPartitionsWhereTheTasksAre() throws Exception {
        LiveStreams streams = new LiveStreams();
        streams.shared().started("shared", 0, 100);
        streams.shared().started("shared", 1, 50);
        LiveStream app = streams.of("app");
        PartitionId zero = new PartitionId("shared", 0);
        PartitionId one = new PartitionId("shared", 1);

        assertThat(app.snapshot().positions()).as("before any of its events there")
                .isEqualTo(Map.of(zero, 100L, one, 50L));
        assertThat(Cursor.decode(app.encoded(), "app")).isEqualTo(app.snapshot());
        assertThat(app.topics()).containsExactly("shared");
        assertThat(app.localSnapshot().positions()).isEqualTo(Map.of(zero, 100L, one, 50L));

        streams.shared().published("shared", 0, 100); // another application's event
        assertThat(app.next(zero)).isEqualTo(101);
        Event own = Event.fromUtf8("app", null, "{}".getBytes(), "shared", 1, 57);
        assertThat(app.advance(own)).isTrue();
        streams.shared().published("shared", 1, 57);
        assertThat(app.snapshot().positions()).isEqualTo(Map.of(zero, 101L, one, 58L));
        streams.shared().started("shared", 0, 90); // a task restarts from its committed offset
        assertThat(app.next(zero)).as("never back").isEqualTo(101);
        streams.shared().published("other", 0, 5); // not shared: no position
        assertThat(app.next(new PartitionId("other", 0))).isEqualTo(-1);
    }
}
