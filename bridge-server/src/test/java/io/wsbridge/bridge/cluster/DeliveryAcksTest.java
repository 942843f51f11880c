package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The linking side acknowledges forwarded messages once the group members that took their events wrote them. */
class DeliveryAcksTest {

    private final Router router = new Router();
    private final DeliveryAcks acks = new DeliveryAcks();

    /** A local group member whose writes the test completes. */
    private static final class Member implements Subscription {
        final String group;
        long handed;
        long settled;
        boolean catchingUp;
        boolean gone;
        List<Handover> handover = List.of();

        Member(String group) {
            this.group = group;
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
            return group == null ? null : GroupKey.anonymous(group, null);
        }

        @Override
        public boolean offer(Event event) {
            if (!catchingUp) {
                handed++;
            }
            return !gone;
        }

        @Override
        public long handed() {
            return handed;
        }

        @Override
        public long settled() {
            return settled;
        }

        @Override
        public boolean catchingUp() {
            return catchingUp;
        }

        @Override
        public boolean gone() {
            return gone;
        }

        @Override
        public List<Handover> handover() {
            return handover;
        }
    }

    /** Delivers one forwarded message of an event for {@code groups}, as the link does. */
    private void deliver(boolean plain, Member... groups) {
        router.deliverLocally(new Event("app", null, "e"), plain, java.util.Arrays.stream(groups)
                .map(Member::group).toList(), acks.taker());
        acks.delivered();
    }

    private Set<Subscription> inRouter() {
        Set<Subscription> members = Collections.newSetFromMap(new IdentityHashMap<>());
        router.forEachLocalGroupMember(members::add);
        return members;
    }

    @Test
    void nothingIsAcknowledgedBeforeAMessageArrivesAndMessagesWithoutGroupsAtOnce() {
        assertThat(acks.tick()).isEqualTo(-1);
        Member plain = new Member(null);
        router.add(plain);
        deliver(true);
        deliver(true);
        assertThat(acks.tick()).isEqualTo(2);
        assertThat(acks.tick()).isEqualTo(-1);
    }

    @Test
    void aMessageIsAcknowledgedOnceTheMembersThatTookItsEventsWroteThem() {
        Member slow = new Member("g");
        Member quick = new Member("h");
        router.add(slow);
        router.add(quick);
        deliver(false, slow, quick); // 1: one event for each
        deliver(false, quick); // 2
        deliver(false, slow); // 3
        quick.settled = 2;
        assertThat(acks.tick()).as("the slow member has not written the first").isEqualTo(-1);
        slow.settled = 1;
        assertThat(acks.tick()).as("up to the slow member's second").isEqualTo(2);
        slow.settled = 2;
        assertThat(acks.tick()).isEqualTo(3);
    }

    @Test
    void aMemberCatchingUpCountsFromWhenItIsLive() {
        Member member = new Member("g");
        member.catchingUp = true;
        router.add(member);
        deliver(false, member);
        assertThat(acks.tick()).as("its live events wait in its catch-up").isEqualTo(-1);

        member.catchingUp = false;
        member.handed = 50; // history and the buffered live events, queued once it went live
        member.settled = 49;
        assertThat(acks.tick()).isEqualTo(-1);
        member.settled = 50;
        assertThat(acks.tick()).isEqualTo(1);
    }

    @Test
    void whatAMemberThatClosedDidNotWriteIsDoneWithOnlyOnceThePeerWasToldItLeft() {
        Member member = new Member("g");
        router.add(member);
        deliver(false, member);
        deliver(false, member);
        member.settled = 1;
        member.gone = true; // closed: the second is lost with its connection
        assertThat(acks.tick()).as("what it wrote").isEqualTo(1);
        acks.interestSent(inRouter());
        assertThat(acks.tick()).as("still in the router when the interest was computed").isEqualTo(-1);
        router.remove(member);
        acks.interestSent(inRouter());
        assertThat(acks.tick()).as("the peer deals it again").isEqualTo(2);
    }

    @Test
    void whatAMemberThatLeftHandedOverToAnotherHereIsDoneWithOnceThatOneWroteIt() {
        Member leaving = new Member("g");
        router.add(leaving);
        deliver(false, leaving);
        Member staying = new Member("g");
        router.add(staying);
        leaving.gone = true; // with the event not written
        leaving.handover = null; // while it hands it over
        router.remove(leaving);
        acks.interestSent(inRouter());
        assertThat(acks.tick()).as("nothing while it hands over, though the peer was told it left").isEqualTo(-1);

        leaving.handover = router.handOver("app", leaving.group(), List.of(new Event("app", null, "e")));
        assertThat(leaving.handover).containsExactly(new Subscription.Handover(staying, 1));
        assertThat(acks.tick()).as("the member that took it over has not written it").isEqualTo(-1);
        staying.settled = 1;
        assertThat(acks.tick()).as("written by the member that took it over").isEqualTo(1);
    }

    @Test
    void aMemberThatLeftWithNothingToHandOverLeavesItsEventsToThePeer() {
        Member only = new Member("g");
        router.add(only);
        deliver(false, only);
        only.gone = true;
        only.handover = null;
        router.remove(only);
        acks.interestSent(inRouter());
        assertThat(acks.tick()).as("while it leaves").isEqualTo(-1);
        only.handover = router.handOver("app", only.group(), List.of(new Event("app", null, "e")));
        assertThat(only.handover).as("no other member here").isEmpty();
        assertThat(acks.tick()).as("the peer, told it left, deals it again").isEqualTo(1);
    }
}
