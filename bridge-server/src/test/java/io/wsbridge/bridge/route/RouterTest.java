package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {

    record Sub(String application, String channel, String groupId, List<String> received) implements Subscription {
        Sub(String application, String channel, String groupId) {
            this(application, channel, groupId, new ArrayList<>());
        }

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    @Test
    void plainSubscriberGetsEveryEventOfItsApplicationOnly() {
        Router router = new Router();
        Sub sub = new Sub("a", null, null);
        router.add(sub);

        router.publish(new Event("a", null, "1"));
        router.publish(new Event("b", null, "2"));
        router.publish(new Event("a", "ch", "3"));

        assertThat(sub.received).containsExactly("1", "3");
        assertThat(router.unrouted()).isEqualTo(1);
    }

    @Test
    void channelSubscriberGetsOnlyItsChannel() {
        Router router = new Router();
        Sub sub = new Sub("a", "ch", null);
        router.add(sub);

        router.publish(new Event("a", null, "1"));
        router.publish(new Event("a", "ch", "2"));
        router.publish(new Event("a", "other", "3"));

        assertThat(sub.received).containsExactly("2");
    }

    @Test
    void groupSharesWhilePlainSubscriberGetsAll() {
        Router router = new Router();
        Sub m1 = new Sub("a", null, "g");
        Sub m2 = new Sub("a", null, "g");
        Sub plain = new Sub("a", null, null);
        router.add(m1);
        router.add(m2);
        router.add(plain);

        for (int i = 0; i < 4; i++) {
            router.publish(new Event("a", null, "e" + i));
        }

        assertThat(m1.received).containsExactly("e0", "e2");
        assertThat(m2.received).containsExactly("e1", "e3");
        assertThat(plain.received).containsExactly("e0", "e1", "e2", "e3");
        assertThat(router.subscribers("a")).isEqualTo(3);
        assertThat(router.groups("a")).isEqualTo(1);
    }

    @Test
    void sameGroupIdInTwoApplicationsAreTwoGroups() {
        Router router = new Router();
        Sub a = new Sub("a", null, "g");
        Sub b = new Sub("b", null, "g");
        router.add(a);
        router.add(b);

        router.publish(new Event("a", null, "1"));
        router.publish(new Event("b", null, "2"));

        assertThat(a.received).containsExactly("1");
        assertThat(b.received).containsExactly("2");
    }

    @Test
    void removingTheLastSubscriberForgetsTheApplication() {
        Router router = new Router();
        Sub plain = new Sub("a", null, null);
        Sub member = new Sub("a", null, "g");
        router.add(plain);
        router.add(member);
        router.remove(plain);
        router.remove(member);

        router.publish(new Event("a", null, "1"));

        assertThat(plain.received).isEmpty();
        assertThat(member.received).isEmpty();
        assertThat(router.subscribers("a")).isZero();
        assertThat(router.groups("a")).isZero();
    }
}
