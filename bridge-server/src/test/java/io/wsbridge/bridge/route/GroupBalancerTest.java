package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupBalancerTest {

    static final GroupKey G = new GroupKey("alice", "g", null);

    static final class Member implements Subscription {
        final String name;
        final List<String> received = new ArrayList<>();
        boolean gone;

        Member(String name) {
            this.name = name;
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
            return G;
        }

        @Override
        public boolean offer(Event event) {
            if (gone) {
                return false;
            }
            received.add(event.text());
            return true;
        }
    }

    static Event event(int n) {
        return new Event("app", null, "e" + n);
    }

    @Test
    void roundRobinAlternatesBetweenTwoMembers() {
        GroupBalancer group = new GroupBalancer();
        Member a = new Member("a");
        Member b = new Member("b");
        group.join(a);
        group.join(b);

        for (int i = 0; i < 6; i++) {
            assertThat(group.deliver(event(i))).isTrue();
        }

        assertThat(a.received).containsExactly("e0", "e2", "e4");
        assertThat(b.received).containsExactly("e1", "e3", "e5");
    }

    @Test
    void joiningMemberGetsItsShareFromTheNextEvent() {
        GroupBalancer group = new GroupBalancer();
        Member a = new Member("a");
        Member b = new Member("b");
        group.join(a);
        group.deliver(event(0));
        group.deliver(event(1));
        group.join(b);
        for (int i = 2; i < 6; i++) {
            group.deliver(event(i));
        }

        assertThat(a.received).hasSize(4);
        assertThat(b.received).hasSize(2);
        assertThat(b.received).doesNotContainAnyElementsOf(a.received);
    }

    @Test
    void leavingMemberIsNoLongerChosen() {
        GroupBalancer group = new GroupBalancer();
        Member a = new Member("a");
        Member b = new Member("b");
        group.join(a);
        group.join(b);
        group.deliver(event(0));
        assertThat(group.leave(a)).isFalse();
        for (int i = 1; i < 5; i++) {
            group.deliver(event(i));
        }

        assertThat(a.received).containsExactly("e0");
        assertThat(b.received).containsExactly("e1", "e2", "e3", "e4");
        assertThat(group.leave(b)).isTrue();
        assertThat(group.deliver(event(5))).isFalse();
    }

    @Test
    void memberThatIsGoneIsSkippedSoNoEventIsLost() {
        GroupBalancer group = new GroupBalancer();
        Member a = new Member("a");
        Member b = new Member("b");
        Member c = new Member("c");
        group.join(a);
        group.join(b);
        group.join(c);
        b.gone = true;

        for (int i = 0; i < 6; i++) {
            assertThat(group.deliver(event(i))).isTrue();
        }

        assertThat(b.received).isEmpty();
        List<String> all = new ArrayList<>(a.received);
        all.addAll(c.received);
        assertThat(all).containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4", "e5");
    }

    @Test
    void everyEventGoesToExactlyOneMemberUnderConcurrentPublishers() throws Exception {
        GroupBalancer group = new GroupBalancer();
        List<Member> members = List.of(new Member("a"), new Member("b"), new Member("c"));
        List<Subscription> synced = new ArrayList<>();
        for (Member member : members) {
            Subscription locked = new Subscription() {
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
                    return G;
                }

                @Override
                public boolean offer(Event event) {
                    synchronized (member) {
                        return member.offer(event);
                    }
                }
            };
            synced.add(locked);
            group.join(locked);
        }
        Thread[] publishers = new Thread[4];
        for (int t = 0; t < publishers.length; t++) {
            int base = t * 3000;
            publishers[t] = new Thread(() -> {
                for (int i = 0; i < 3000; i++) {
                    group.deliver(event(base + i));
                }
            });
            publishers[t].start();
        }
        for (Thread publisher : publishers) {
            publisher.join();
        }

        List<String> all = new ArrayList<>();
        members.forEach(m -> all.addAll(m.received));
        assertThat(all).hasSize(12000).doesNotHaveDuplicates();
        members.forEach(m -> assertThat(m.received).hasSize(4000));
        assertThat(synced).hasSize(3);
    }
}
