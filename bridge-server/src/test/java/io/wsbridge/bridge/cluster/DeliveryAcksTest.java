package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import org.junit.jupiter.api.Test;

/** The linking side acknowledges forwarded messages only once its group members wrote what they had taken. */
class DeliveryAcksTest {

    private final Router router = new Router();
    private final DeliveryAcks acks = new DeliveryAcks(router);

    /** A local group member whose writes the test completes. */
    private static final class Member implements Subscription {
        final String group;
        long handed;
        long settled;
        boolean catchingUp;

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
            return true;
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
    }

    @Test
    void nothingIsAcknowledgedBeforeAMessageArrives() {
        assertThat(acks.tick()).isEqualTo(-1);
    }

    @Test
    void messagesAreAcknowledgedOnceEveryGroupMemberWroteWhatItHadTakenByThen() {
        Member slow = new Member("g");
        Member quick = new Member("h");
        Member plain = new Member(null);
        router.add(slow);
        router.add(quick);
        router.add(plain);
        for (int i = 0; i < 3; i++) {
            router.deliverLocally(new Event("app", null, "e" + i), true,
                    java.util.List.of(slow.group(), quick.group()));
            acks.delivered();
        }
        plain.handed = 100; // a plain subscriber's writes do not hold acknowledgements back
        quick.settled = 3;
        slow.settled = 2;
        assertThat(acks.tick()).as("the slow member has one to write").isEqualTo(-1);

        router.deliverLocally(new Event("app", null, "e3"), false, java.util.List.of(slow.group()));
        acks.delivered();
        slow.settled = 3;
        assertThat(acks.tick()).as("what was delivered when the checkpoint was taken").isEqualTo(3);
        assertThat(acks.tick()).as("then the next checkpoint").isEqualTo(-1);
        slow.settled = 4;
        assertThat(acks.tick()).isEqualTo(4);
        assertThat(acks.tick()).isEqualTo(-1);
    }

    @Test
    void aMemberCatchingUpCountsFromWhenItIsLive() {
        Member member = new Member("g");
        member.catchingUp = true;
        router.add(member);
        router.deliverLocally(new Event("app", null, "e0"), false, java.util.List.of(member.group()));
        acks.delivered();
        assertThat(acks.tick()).as("its live events wait in its catch-up").isEqualTo(-1);

        member.catchingUp = false;
        member.handed = 50; // history and the buffered live events, queued once it went live
        member.settled = 49;
        assertThat(acks.tick()).isEqualTo(-1);
        member.settled = 50;
        assertThat(acks.tick()).isEqualTo(1);
    }

    @Test
    void aMemberThatLeftHoldsNothingBack() {
        Member member = new Member("g");
        router.add(member);
        router.deliverLocally(new Event("app", null, "e0"), false, java.util.List.of(member.group()));
        acks.delivered();
        assertThat(acks.tick()).isEqualTo(-1);
        member.settled = Long.MAX_VALUE; // closed: what it had queued is gone with its connection
        assertThat(acks.tick()).isEqualTo(1);
    }
}
