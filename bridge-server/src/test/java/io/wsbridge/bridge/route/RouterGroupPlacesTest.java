package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Cluster mode: a consuming bridge's router keeps the place of a group whose last member left, for its partitions. */
class RouterGroupPlacesTest {

    private final AtomicLong clock = new AtomicLong();
    private final Router router = new Router();
    private final GroupPlaces places = new GroupPlaces(() -> Duration.ofMinutes(5), clock::get);

    /** A member of group {@code g} of application {@code app}, local or a proxy of a peer's. */
    private static final class Member implements Subscription {
        final List<Event> received = new CopyOnWriteArrayList<>();
        final boolean remote;
        volatile Cursor place;

        Member(boolean remote) {
            this.remote = remote;
        }

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
            return new GroupKey("alice", "g", null);
        }

        @Override
        public boolean offer(Event event) {
            return received.add(event);
        }

        @Override
        public boolean remote() {
            return remote;
        }

        @Override
        public void placed(Cursor given) {
            place = given;
        }
    }

    private static Event event(int partition, long offset) {
        return Event.fromUtf8("app", null, "{}".getBytes(StandardCharsets.UTF_8), "events-app", partition, offset);
    }

    @Test
    void theGroupFormingAgainGetsThePlaceInThePartitionsThisBridgePublishes() {
        router.keepGroupPlaces(places);
        router.streams().of("app").started("events-app", 0, 0);
        Member first = new Member(true);
        router.add(first);
        router.publish(event(0, 0));
        router.publish(event(0, 1));
        router.deliverLocally(event(1, 7), true, List.of()); // forwarded: another bridge publishes partition 1
        assertThat(first.received).hasSize(2);
        assertThat(first.place).as("the group formed without a place").isNull();

        router.remove(first);
        router.publish(event(0, 2));
        router.publish(event(0, 3));
        Member next = new Member(false);
        router.add(next);

        assertThat(next.place).isNotNull();
        assertThat(next.place.positions()).as("after the last event published before it left, partition 0 only")
                .isEqualTo(Map.of(new PartitionId("events-app", 0), 2L));
        Member another = new Member(true);
        router.add(another);
        assertThat(another.place).as("the place is handed over once").isNull();
        assertThat(places.size()).isZero();
    }

    @Test
    void aBridgeThatPublishesNothingKeepsNoPlace() {
        router.keepGroupPlaces(places);
        Member member = new Member(false);
        router.add(member);
        router.deliverLocally(event(1, 7), false, List.of(member.group()));
        router.remove(member);

        assertThat(places.size()).isZero();
    }

    @Test
    void withoutAKeeperNoPlaceIsKept() {
        router.streams().of("app").started("events-app", 0, 0);
        Member member = new Member(true);
        router.add(member);
        router.publish(event(0, 0));
        router.remove(member);
        Member next = new Member(true);
        router.add(next);

        assertThat(next.place).isNull();
    }

    @Test
    void anEventRedealtGoesToAMemberLeftOrMovesTheKeptPlaceBackToIt() {
        router.keepGroupPlaces(places);
        router.streams().of("app").started("events-app", 0, 0);
        Member here = new Member(false);
        Member there = new Member(true);
        router.add(here);
        router.add(there);
        for (int offset = 0; offset < 6; offset++) {
            router.publish(event(0, offset));
        }
        assertThat(there.received).hasSize(3);
        router.remove(there); // its link dropped before it confirmed them

        for (Event event : there.received) {
            assertThat(router.redeal(event, List.of(there.group()))).isEqualTo(1);
        }
        assertThat(here.received).as("its own, then the others' again").hasSize(6)
                .extracting(Event::offset).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L);

        router.publish(event(0, 6));
        router.remove(here); // the group keeps its place: after offset 6
        Event lost = event(0, 4);
        assertThat(router.redeal(lost, List.of(here.group()))).isEqualTo(1);
        assertThat(router.redeal(event(0, 5), List.of(here.group()))).as("further than the place: kept at 4")
                .isEqualTo(1);
        Member next = new Member(false);
        router.add(next);
        assertThat(next.place.positions()).isEqualTo(Map.of(new PartitionId("events-app", 0), 4L));

        router.remove(next);
        router.keepGroupPlaces(null);
        assertThat(router.redeal(event(0, 1), List.of(next.group()))).as("no member and no place: nowhere to go")
                .isZero();
    }
}
