package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Proxies from a peer's interest, and how groups spread over local members and remote ones. */
class ProxySetTest {

    static final GroupKey G = GroupKey.anonymous("g", null);

    /** A fake peer link that records what it is asked to forward. */
    static final class Link implements PeerProxy.Forwarder {
        final List<String> forwarded = new ArrayList<>();
        boolean gone;

        @Override
        public boolean forward(Event event, boolean plain, GroupKey group) {
            if (gone) {
                return false;
            }
            forwarded.add(event.text() + (plain ? " plain"
                    : " " + (group.anonymous() ? "" : group.principal() + "/") + group.groupId()));
            return true;
        }
    }

    record Member(String application, String channel, GroupKey group, List<String> received)
            implements Subscription {
        Member(GroupKey group) {
            this("app", null, group, new ArrayList<>());
        }

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    static Interest interest(boolean all, Set<String> channels, Map<GroupKey, Integer> groups) {
        return new Interest(Map.of("app", new Interest.Application(all, channels, groups)));
    }

    static void publish(Router router, int from, int to, String channel) {
        for (int i = from; i < to; i++) {
            router.publish(new Event("app", channel, "e" + i));
        }
    }

    @Test
    void aPeersInterestBecomesOnePlainProxyAndOneProxyPerRemoteMember() {
        Router router = new Router();
        List<String> seen = new ArrayList<>();
        ProxySet proxies = new ProxySet(router, new Link(), seen::add);

        proxies.apply(interest(true, Set.of(), Map.of(G, 3)));

        assertThat(proxies.size()).isEqualTo(4);
        assertThat(router.remoteSubscriptions("app")).isEqualTo(4);
        assertThat(router.subscribers("app")).isZero();
        assertThat(router.localInterest().applications()).as("proxies are never announced").isEmpty();
        assertThat(seen).containsExactly("app");
    }

    @Test
    void snapshotsAreAppliedAsDifferences() {
        Router router = new Router();
        ProxySet proxies = new ProxySet(router, new Link(), app -> { });
        proxies.apply(interest(true, Set.of(), Map.of(G, 3)));

        proxies.apply(interest(false, Set.of(), Map.of(G, 1, GroupKey.anonymous("h", "door"), 2)));
        assertThat(proxies.size()).isEqualTo(3);

        proxies.apply(Interest.NONE);
        assertThat(proxies.size()).isZero();
        assertThat(router.remoteSubscriptions("app")).isZero();
    }

    @Test
    void thePlainProxyForwardsEachEventOnceAndFollowsTheChannelFilter() {
        Router router = new Router();
        Link link = new Link();
        ProxySet proxies = new ProxySet(router, link, app -> { });
        proxies.apply(interest(false, Set.of("door"), Map.of()));

        router.publish(new Event("app", "door", "d1"));
        router.publish(new Event("app", "window", "w1"));
        proxies.apply(interest(true, Set.of(), Map.of()));
        router.publish(new Event("app", "window", "w2"));

        assertThat(link.forwarded).containsExactly("d1 plain", "w2 plain");
    }

    @Test
    void aGroupIsSpreadEvenlyOverLocalAndRemoteMembers() {
        Router router = new Router();
        Link link = new Link();
        ProxySet proxies = new ProxySet(router, link, app -> { });
        Member local = new Member(G);
        router.add(local);
        proxies.apply(interest(false, Set.of(), Map.of(G, 2)));

        publish(router, 0, 30, null);

        assertThat(local.received).hasSize(10);
        assertThat(link.forwarded).hasSize(20).allMatch(line -> line.endsWith(" g"));
        List<String> all = new ArrayList<>(local.received);
        link.forwarded.forEach(line -> all.add(line.substring(0, line.indexOf(' '))));
        assertThat(all).hasSize(30).doesNotHaveDuplicates();
    }

    @Test
    void aFilteredGroupIsHandedOnlyMatchingEventsSpreadOverLocalAndRemoteMembers() throws Exception {
        Router router = new Router();
        Link link = new Link();
        ProxySet proxies = new ProxySet(router, link, app -> { });
        GroupKey alarms = new GroupKey(null, "g", null, "subject = 'alarm'");
        FilteredMember local = new FilteredMember(alarms, router.filters().acquire(alarms.filter()));
        router.add(local);
        proxies.apply(interest(false, Set.of(), Map.of(alarms, 1)));

        for (int i = 0; i < 8; i++) {
            router.publish(new Event("app", null, "{\"id\":\"e" + i + "\",\"subject\":\""
                    + (i % 2 == 0 ? "alarm" : "other") + "\"}"));
        }

        List<String> all = new ArrayList<>(local.received);
        link.forwarded.forEach(line -> all.add(line.substring(0, line.lastIndexOf(' '))));
        assertThat(all).as("each alarm once, nothing else").hasSize(4).allMatch(e -> e.contains("\"alarm\""))
                .doesNotHaveDuplicates();
        assertThat(local.received).hasSize(2);
        assertThat(router.filters().distinct()).isEqualTo(1);

        proxies.apply(interest(false, Set.of(), Map.of()));
        router.remove(local);
        router.filters().release(local.filter());
        assertThat(router.filters().distinct()).as("the proxy gave its filter back").isZero();
    }

    /** A local member of a group with a filter. */
    record FilteredMember(GroupKey group, io.wsbridge.bridge.filter.Filter filter, List<String> received)
            implements Subscription {
        FilteredMember(GroupKey group, io.wsbridge.bridge.filter.Filter filter) {
            this(group, filter, new ArrayList<>());
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
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    @Test
    void remoteMembersJoinTheGroupOfTheirOwnPrincipalOnly() {
        Router router = new Router();
        Link link = new Link();
        ProxySet proxies = new ProxySet(router, link, app -> { });
        Member alice = new Member(new GroupKey("alice", "g", null));
        Member anonymous = new Member(G);
        router.add(alice);
        router.add(anonymous);
        proxies.apply(interest(false, Set.of(), Map.of(new GroupKey("alice", "g", null), 1)));

        publish(router, 0, 4, null);

        assertThat(alice.received).containsExactly("e0", "e2");
        assertThat(link.forwarded).containsExactly("e1 alice/g", "e3 alice/g");
        assertThat(anonymous.received).as("the anonymous group shares with nobody of alice's")
                .containsExactly("e0", "e1", "e2", "e3");
    }

    @Test
    void aDeadLinkGivesItsShareToTheRemainingMembers() {
        Router router = new Router();
        Link link = new Link();
        ProxySet proxies = new ProxySet(router, link, app -> { });
        Member local = new Member(G);
        router.add(local);
        proxies.apply(interest(false, Set.of(), Map.of(G, 1)));
        publish(router, 0, 4, null);

        link.gone = true;
        publish(router, 4, 8, null);
        assertThat(local.received).as("a gone proxy is skipped at once").containsExactly("e0", "e2", "e4", "e5", "e6",
                "e7");

        proxies.clear();
        proxies.apply(interest(false, Set.of(), Map.of(G, 1)));
        assertThat(proxies.size()).as("a cleared set takes no more proxies").isZero();
        assertThat(router.remoteSubscriptions("app")).isZero();
    }
}
