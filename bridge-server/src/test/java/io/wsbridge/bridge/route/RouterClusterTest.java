package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The router's cluster-mode duties: local interest, proxies of remote subscribers, local-only delivery. */
class RouterClusterTest {

    /** A subscriber here, or (remote = true) a proxy of one on a peer. */
    static final class Sub implements Subscription {
        final String application;
        final String channel;
        final GroupKey group;
        final boolean remote;
        final List<String> received = new ArrayList<>();

        Sub(String application, String channel, GroupKey group, boolean remote) {
            this.application = application;
            this.channel = channel;
            this.group = group;
            this.remote = remote;
        }

        /** A plain subscriber here, or an anonymous member of {@code groupId}. */
        static Sub local(String application, String channel, String groupId) {
            return new Sub(application, channel, anonymous(groupId, channel), false);
        }

        static Sub proxy(String application, String channel, String groupId) {
            return new Sub(application, channel, anonymous(groupId, channel), true);
        }

        /** A member here (or a proxy of one) of {@code principal}'s group {@code groupId} of application "a". */
        static Sub member(String principal, String groupId, boolean remote) {
            return new Sub("a", null, new GroupKey(principal, groupId, null), remote);
        }

        private static GroupKey anonymous(String groupId, String channel) {
            return groupId == null ? null : GroupKey.anonymous(groupId, channel);
        }

        @Override
        public String application() {
            return application;
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
        public boolean remote() {
            return remote;
        }

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    @Test
    void localInterestCountsPlainChannelsAndGroupMembersButNotProxies() {
        Router router = new Router();
        router.add(Sub.local("a", null, null));
        router.add(Sub.local("a", "door", null));
        router.add(Sub.local("b", "door", null));
        router.add(Sub.local("b", "window", null));
        router.add(Sub.local("b", null, "g"));
        router.add(Sub.local("b", null, "g"));
        router.add(Sub.local("b", "door", "g"));
        router.add(Sub.proxy("b", null, null));
        router.add(Sub.proxy("b", null, "g"));
        router.add(Sub.proxy("c", null, null));

        Interest interest = router.localInterest();

        assertThat(interest.applications()).containsOnlyKeys("a", "b");
        assertThat(interest.application("a").allChannels()).isTrue();
        assertThat(interest.application("a").groups()).isEmpty();
        assertThat(interest.application("b").allChannels()).isFalse();
        assertThat(interest.application("b").channels()).containsExactlyInAnyOrder("door", "window");
        assertThat(interest.application("b").groups())
                .isEqualTo(Map.of(GroupKey.anonymous("g", null), 2, GroupKey.anonymous("g", "door"), 1));
    }

    @Test
    void interestOfAGroupWithOnlyRemoteMembersIsEmpty() {
        Router router = new Router();
        router.add(Sub.proxy("a", null, "g"));

        assertThat(router.localInterest().applications()).isEmpty();
        assertThat(router.subscribers("a")).isZero();
        assertThat(router.remoteSubscriptions("a")).isEqualTo(1);
        assertThat(router.groups("a")).isZero();
    }

    @Test
    void onlyLocalJoinsAndLeavesAreAnnounced() {
        Router router = new Router();
        AtomicInteger changes = new AtomicInteger();
        router.onLocalChange(changes::incrementAndGet);
        Sub local = Sub.local("a", null, "g");
        Sub proxy = Sub.proxy("a", null, "g");

        router.add(local);
        router.add(proxy);
        router.remove(proxy);
        router.remove(local);

        assertThat(changes).hasValue(2);
    }

    @Test
    void publishedEventsGoToProxiesLikeToLocalSubscribers() {
        Router router = new Router();
        Sub local = Sub.local("a", null, null);
        Sub proxy = Sub.proxy("a", null, null);
        router.add(local);
        router.add(proxy);

        router.publish(new Event("a", null, "e1"));

        assertThat(local.received).containsExactly("e1");
        assertThat(proxy.received).containsExactly("e1");
    }

    @Test
    void groupSpreadsOverLocalMembersAndProxiesOfRemoteOnes() {
        Router router = new Router();
        Sub here = Sub.local("a", null, "g");
        Sub there = Sub.proxy("a", null, "g");
        Sub elsewhere = Sub.proxy("a", null, "g");
        router.add(here);
        router.add(there);
        router.add(elsewhere);

        for (int i = 0; i < 9; i++) {
            router.publish(new Event("a", null, "e" + i));
        }

        assertThat(here.received).containsExactly("e0", "e3", "e6");
        assertThat(there.received).containsExactly("e1", "e4", "e7");
        assertThat(elsewhere.received).containsExactly("e2", "e5", "e8");
    }

    @Test
    void forwardedEventsReachLocalSubscribersOnlyAndOneLocalMemberPerListedGroup() {
        Router router = new Router();
        Sub plain = Sub.local("a", null, null);
        Sub doorOnly = Sub.local("a", "door", null);
        Sub plainProxy = Sub.proxy("a", null, null);
        Sub m1 = Sub.local("a", null, "g");
        Sub m2 = Sub.local("a", null, "g");
        Sub memberProxy = Sub.proxy("a", null, "g");
        Sub other = Sub.local("a", null, "h");
        for (Sub sub : List.of(plain, doorOnly, plainProxy, m1, m2, memberProxy, other)) {
            router.add(sub);
        }

        for (int i = 0; i < 4; i++) {
            assertThat(router.deliverLocally(new Event("a", "window", "e" + i), true, List.of(GroupKey.anonymous("g", null))))
                    .isTrue();
        }
        router.deliverLocally(new Event("a", "door", "groups-only"), false, List.of(GroupKey.anonymous("g", null)));

        assertThat(plain.received).containsExactly("e0", "e1", "e2", "e3");
        assertThat(doorOnly.received).isEmpty();
        assertThat(plainProxy.received).isEmpty();
        assertThat(memberProxy.received).isEmpty();
        assertThat(m1.received).containsExactly("e0", "e2", "groups-only");
        assertThat(m2.received).containsExactly("e1", "e3");
        assertThat(other.received).as("group h was not listed").isEmpty();
    }

    @Test
    void localInterestNamesEachGroupsPrincipal() {
        Router router = new Router();
        router.add(Sub.member("alice", "g", false));
        router.add(Sub.member("alice", "g", false));
        router.add(Sub.member(null, "g", false));
        router.add(Sub.member("bob", "g", true));

        assertThat(router.localInterest().application("a").groups()).isEqualTo(Map.of(
                new GroupKey("alice", "g", null), 2, GroupKey.anonymous("g", null), 1));
    }

    @Test
    void aProxyOfARemoteMemberSharesOnlyItsPrincipalsGroup() {
        Router router = new Router();
        Sub alice = Sub.member("alice", "g", false);
        Sub aliceThere = Sub.member("alice", "g", true);
        Sub anonymous = Sub.member(null, "g", false);
        Sub anonymousThere = Sub.member(null, "g", true);
        List.of(alice, aliceThere, anonymous, anonymousThere).forEach(router::add);

        for (int i = 0; i < 4; i++) {
            router.publish(new Event("a", null, "e" + i));
        }

        assertThat(alice.received).containsExactly("e0", "e2");
        assertThat(aliceThere.received).containsExactly("e1", "e3");
        assertThat(anonymous.received).containsExactly("e0", "e2");
        assertThat(anonymousThere.received).containsExactly("e1", "e3");
    }

    @Test
    void aForwardedEventForOnePrincipalsGroupReachesOnlyThatPrincipalsLocalMembers() {
        Router router = new Router();
        Sub alice = Sub.member("alice", "g", false);
        Sub anonymous = Sub.member(null, "g", false);
        Sub bob = Sub.member("bob", "g", false);
        List.of(alice, anonymous, bob).forEach(router::add);

        assertThat(router.deliverLocally(new Event("a", null, "for-alice"), false,
                List.of(new GroupKey("alice", "g", null)))).isTrue();
        assertThat(router.deliverLocally(new Event("a", null, "for-anonymous"), false,
                List.of(GroupKey.anonymous("g", null)))).isTrue();
        assertThat(router.deliverLocally(new Event("a", null, "for-carol"), false,
                List.of(new GroupKey("carol", "g", null)))).as("carol has no group here").isFalse();

        assertThat(alice.received).containsExactly("for-alice");
        assertThat(anonymous.received).containsExactly("for-anonymous");
        assertThat(bob.received).isEmpty();
    }

    @Test
    void oneEventForwardedInTwoMessagesForOtherGroupsReachesBoth() {
        Router router = new Router();
        Sub alice = Sub.member("alice", "g", false);
        Sub bob = Sub.member("bob", "g", false);
        List.of(alice, bob).forEach(router::add);
        byte[] frame = "{\"id\":\"split\"}".getBytes(StandardCharsets.UTF_8);

        // the peer's outbox wrote the message while the offers of this event were still being merged into it
        assertThat(router.deliverLocally(Event.fromUtf8("a", null, frame, "events-a", 0, 41), false,
                List.of(new GroupKey("alice", "g", null)))).isTrue();
        assertThat(router.deliverLocally(Event.fromUtf8("a", null, frame, "events-a", 0, 41), false,
                List.of(new GroupKey("bob", "g", null)))).as("the same position, for another group").isTrue();

        assertThat(alice.received).hasSize(1);
        assertThat(bob.received).hasSize(1);
    }

    @Test
    void forwardedEventWithoutLocalTakerIsUnrouted() {
        Router router = new Router();
        router.add(Sub.proxy("a", null, null));

        assertThat(router.deliverLocally(new Event("a", null, "e"), true, List.of(GroupKey.anonymous("g", null))))
                .isFalse();
        assertThat(router.unrouted()).isEqualTo(1);
    }

    @Test
    void interestApplicationAcceptsPlainEventsByChannel() {
        Interest.Application all = new Interest.Application(true, Set.of("ignored"), Map.of());
        Interest.Application door = new Interest.Application(false, Set.of("door"), Map.of());
        Interest.Application groupsOnly = new Interest.Application(false, Set.of(),
                Map.of(GroupKey.anonymous("g", null), 1));

        assertThat(all.acceptsPlain(null)).isTrue();
        assertThat(all.channels()).isEmpty();
        assertThat(door.acceptsPlain("door")).isTrue();
        assertThat(door.acceptsPlain(null)).isFalse();
        assertThat(door.acceptsPlain("window")).isFalse();
        assertThat(groupsOnly.plain()).isFalse();
        assertThat(groupsOnly.isEmpty()).isFalse();
    }

    private static Event at(long offset) {
        return Event.fromUtf8("a", null, ("e" + offset).getBytes(StandardCharsets.UTF_8), "events-a", 0, offset);
    }

    @Test
    void aPartitionThatMovedHereIsReadAgainForGroupsOnlyUpToWhereItsEventsWereForwarded() {
        Router router = new Router();
        Sub plain = Sub.local("a", null, null);
        Sub member = Sub.local("a", null, "g");
        Sub remoteMember = Sub.proxy("a", null, "h");
        router.add(plain);
        router.add(member);
        router.add(remoteMember);
        for (long offset = 0; offset < 10; offset++) {
            router.deliverLocally(at(offset), true, List.of(member.group)); // another bridge published them
        }
        router.streams().of("a").started("events-a", 0, 5); // the partition moved here: read from offset 5

        for (long offset = 5; offset < 13; offset++) {
            router.publish(at(offset));
        }
        assertThat(plain.received).as("the plain subscriber had them").containsExactly("e0", "e1", "e2", "e3", "e4",
                "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12");
        assertThat(member.received).as("read again for its group, then live").containsExactly("e0", "e1", "e2",
                "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12");
        assertThat(remoteMember.received).as("a group of a peer too").containsExactly("e5", "e6", "e7", "e8", "e9",
                "e10", "e11", "e12");
        assertThat(router.regrouped()).isEqualTo(5);

        router.streams().of("a").started("events-a", 0, 10); // a restart here: what it published, it does not repeat
        for (long offset = 10; offset < 14; offset++) {
            router.publish(at(offset));
        }
        assertThat(member.received).hasSize(19).endsWith("e13");
        assertThat(router.regrouped()).isEqualTo(5);
    }
}
