package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {

    record Sub(String application, String channel, GroupKey group, List<String> received) implements Subscription {

        /** A plain subscriber, or an anonymous member of {@code groupId}. */
        Sub(String application, String channel, String groupId) {
            this(application, channel, groupId == null ? null : GroupKey.anonymous(groupId, channel),
                    new ArrayList<>());
        }

        /** A member of {@code principal}'s group {@code groupId} of every channel. */
        static Sub member(String application, String principal, String groupId) {
            return new Sub(application, null, new GroupKey(principal, groupId, null), new ArrayList<>());
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
    void aGroupIdIsSharedOnlyByMembersOfTheSamePrincipal() {
        Router router = new Router();
        Sub alice1 = Sub.member("a", "alice", "g");
        Sub alice2 = Sub.member("a", "alice", "g");
        Sub anonymous = Sub.member("a", null, "g");
        Sub bob = Sub.member("a", "bob", "g");
        List.of(alice1, alice2, anonymous, bob).forEach(router::add);

        for (int i = 0; i < 6; i++) {
            router.publish(new Event("a", null, "e" + i));
        }

        assertThat(alice1.received).containsExactly("e0", "e2", "e4");
        assertThat(alice2.received).containsExactly("e1", "e3", "e5");
        assertThat(anonymous.received).as("the anonymous member forms its own group")
                .containsExactly("e0", "e1", "e2", "e3", "e4", "e5");
        assertThat(bob.received).as("bob forms his own group").containsExactly("e0", "e1", "e2", "e3", "e4", "e5");
        assertThat(router.groups("a")).isEqualTo(3);
    }

    @Test
    void anonymousMembersShareTheirGroupAmongThemselves() {
        Router router = new Router();
        Sub first = new Sub("a", null, "g");
        Sub second = new Sub("a", null, "g");
        Sub alice = Sub.member("a", "alice", "g");
        List.of(first, second, alice).forEach(router::add);

        for (int i = 0; i < 4; i++) {
            router.publish(new Event("a", null, "e" + i));
        }

        assertThat(first.received).containsExactly("e0", "e2");
        assertThat(second.received).containsExactly("e1", "e3");
        assertThat(alice.received).containsExactly("e0", "e1", "e2", "e3");
    }

    @Test
    void aUserCalledAnonymousIsNotInTheAnonymousGroup() {
        Router router = new Router();
        Sub anonymous = new Sub("a", null, "g");
        Sub userCalledAnonymous = Sub.member("a", "anonymous", "g");
        router.add(anonymous);
        router.add(userCalledAnonymous);

        router.publish(new Event("a", null, "e0"));
        router.publish(new Event("a", null, "e1"));

        assertThat(anonymous.received).containsExactly("e0", "e1");
        assertThat(userCalledAnonymous.received).containsExactly("e0", "e1");
    }

    @Test
    void leavingOnePrincipalsGroupLeavesTheOthersGroupWithTheSameIdAlone() {
        Router router = new Router();
        Sub alice = Sub.member("a", "alice", "g");
        Sub bob = Sub.member("a", "bob", "g");
        router.add(alice);
        router.add(bob);
        router.remove(alice);

        router.publish(new Event("a", null, "e0"));

        assertThat(alice.received).isEmpty();
        assertThat(bob.received).containsExactly("e0");
        assertThat(router.groups("a")).isEqualTo(1);
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

    /** A subscription that counts how often the router looked at it. */
    static final class Watched implements Subscription {
        final String channel;
        final GroupKey group;
        final io.wsbridge.bridge.filter.Filter filter;
        int looked;
        final List<String> received = new ArrayList<>();

        Watched(String channel, GroupKey group, io.wsbridge.bridge.filter.Filter filter) {
            this.channel = channel;
            this.group = group;
            this.filter = filter;
        }

        @Override
        public String application() {
            return "a";
        }

        @Override
        public String channel() {
            return channel;
        }

        @Override
        public GroupKey group() {
            return group;
        }

        @Override
        public io.wsbridge.bridge.filter.Filter filter() {
            return filter;
        }

        @Override
        public boolean accepts(Event event) {
            looked++;
            return Subscription.super.accepts(event);
        }

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    @Test
    void anEventIsOfferedToItsChannelsSubscribersAndGroupsOnlyWithoutLookingAtOtherChannels() throws Exception {
        Router router = new Router();
        io.wsbridge.bridge.filter.Filter filter = router.filters().acquire("type = 'alarm'");
        List<Watched> others = new ArrayList<>();
        for (int c = 0; c < 1000; c++) {
            others.add(new Watched("device-" + c, null, null));
            others.add(new Watched("device-" + c, null, filter));
            others.add(new Watched("device-" + c, GroupKey.anonymous("g", "device-" + c), null));
        }
        others.forEach(router::add);
        Watched door = new Watched("door", null, null);
        Watched doorAlarms = new Watched("door", null, filter);
        Watched everything = new Watched(null, null, null);
        Watched doorGroup = new Watched("door", GroupKey.anonymous("g", "door"), null);
        Watched allGroup = new Watched(null, GroupKey.anonymous("g", null), null);
        List.of(door, doorAlarms, everything, doorGroup, allGroup).forEach(router::add);

        router.publish(new Event("a", "door", "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
                + "\"type\":\"alarm\",\"subject\":\"door\"}"));

        assertThat(List.of(door, doorAlarms, everything, doorGroup, allGroup)).allMatch(w -> w.received.size() == 1);
        assertThat(others).as("3,000 subscriptions of other channels, never looked at")
                .allMatch(w -> w.looked == 0 && w.received.isEmpty());

        List.of(door, doorAlarms, doorGroup).forEach(router::remove);
        router.publish(new Event("a", "door", "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"s\","
                + "\"type\":\"alarm\",\"subject\":\"door\"}"));
        assertThat(door.received).hasSize(1);
        assertThat(doorAlarms.received).hasSize(1);
        assertThat(doorGroup.received).hasSize(1);
        assertThat(everything.received).hasSize(2);
        assertThat(allGroup.received).hasSize(2);
        others.forEach(router::remove);
        List.of(everything, allGroup).forEach(router::remove);
        assertThat(router.serves("a")).as("nothing left").isFalse();
    }
}
