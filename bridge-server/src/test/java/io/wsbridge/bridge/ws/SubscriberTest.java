package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.OutgoingEntry;
import org.junit.jupiter.api.Test;

/** A subscriber on a session without a network, hosted by the test: how it uses its outbox. */
class SubscriberTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A session whose writes complete only when the test says so; records frames and the close. */
    static final class StalledSession extends CoreSession.Empty {
        final List<String> frames = new ArrayList<>();
        final List<Callback> pending = new ArrayList<>();
        int closeCode;
        String closeReason;

        @Override
        public void sendFrame(OutgoingEntry entry) {
            frames.add(StandardCharsets.UTF_8.decode(entry.getFrame().getPayload().slice()).toString());
            if (!entry.isBatch()) {
                pending.add(entry.getCallback());
            } else {
                entry.getCallback().succeeded();
            }
        }

        @Override
        public void close(int statusCode, String reason, Callback callback) {
            closeCode = statusCode;
            closeReason = reason;
            callback.succeeded();
        }

        @Override
        public void demand() {
        }
    }

    static final class Host implements SubscriberHost {
        final BridgeSettings settings;
        final BridgeMetrics metrics = new BridgeMetrics(() -> 0, () -> 0, () -> 0, BridgeMetrics.Routing.none(),
                BridgeSettings.DEFAULT_MAX_APPLICATION_SERIES, BridgeSettings.DEFAULT_SERIES_RETENTION);
        final List<ClientSubscriber> open = new ArrayList<>();
        final MessageBudget messageBudget = new MessageBudget(() -> Long.MAX_VALUE);

        Host(int capacity, OverflowPolicy policy) {
            settings = BridgeSettings.builder("127.0.0.1", 0).queue(capacity, policy).build();
        }

        @Override
        public BridgeSettings settings() {
            return settings;
        }

        @Override
        public BridgeMetrics metrics() {
            return metrics;
        }

        @Override
        public BridgeMetrics.ApplicationMeters meters(String application) {
            return metrics.application(application);
        }

        @Override
        public void opened(ClientSubscriber subscriber) {
            open.add(subscriber);
        }

        @Override
        public void closed(ClientSubscriber subscriber) {
            open.remove(subscriber);
        }

        @Override
        public void message(Subscriber subscriber, String text) {
        }

        @Override
        public MessageBudget messageBudget() {
            return messageBudget;
        }

        @Override
        public void schedule(Runnable task, long delayMillis) {
        }
    }

    final StalledSession session = new StalledSession();

    Subscriber open(Host host) {
        Subscriber subscriber = new Subscriber(host, "app", null, null, Credentials.ANONYMOUS,
                AccessDecision.ANONYMOUS, "test");
        subscriber.onOpen(session, Callback.NOOP);
        return subscriber;
    }

    static Event event(int n) {
        return new Event("app", null, "e" + n);
    }

    @Test
    void aMembersGroupBelongsToThePrincipalItWasAdmittedAs() {
        Host host = new Host(4, OverflowPolicy.CLOSE);
        AccessDecision alice = AccessDecision.allow(new Identity("id-alice", "alice", null));
        AccessDecision userCalledAnonymous = AccessDecision.allow(new Identity("id-anon", "anonymous", null));

        Subscriber member = new Subscriber(host, "app", "door", "g", new Credentials.ApiKey("alice", "k"), alice, "t");
        Subscriber anonymous = new Subscriber(host, "app", "door", "g", Credentials.ANONYMOUS,
                AccessDecision.ANONYMOUS, "t");
        Subscriber namedAnonymous = new Subscriber(host, "app", null, "g", new Credentials.ApiKey("anonymous", "k"),
                userCalledAnonymous, "t");
        Subscriber plain = new Subscriber(host, "app", null, null, new Credentials.ApiKey("alice", "k"), alice, "t");

        assertThat(member.group()).isEqualTo(new GroupKey("alice", "g", "door"));
        assertThat(anonymous.group()).isEqualTo(GroupKey.anonymous("g", "door"));
        assertThat(namedAnonymous.group()).isEqualTo(new GroupKey("anonymous", "g", null))
                .isNotEqualTo(GroupKey.anonymous("g", null));
        assertThat(plain.group()).isNull();
        assertThat(member.group()).as("built once, on join").isSameAs(member.group());
    }

    @Test
    void aSubscriberThatStopsReadingIsClosedWith1013UnderTheClosePolicy() {
        Host host = new Host(4, OverflowPolicy.CLOSE);
        Subscriber subscriber = open(host);

        // the first frame's write never completes; four more fill the queue
        for (int i = 0; i < 5; i++) {
            assertThat(subscriber.offer(event(i))).isTrue();
        }
        assertThat(subscriber.offer(event(5))).isFalse();

        assertThat(session.closeCode).isEqualTo(CloseCodes.SLOW_CONSUMER);
        assertThat(session.closeReason).isEqualTo("subscriber too slow: 4 events queued");
        assertThat(host.open).as("closed subscribers leave the host").isEmpty();
        assertThat(host.metrics.total("wsbridge.slow.consumer.closes")).isEqualTo(1);
        assertThat(subscriber.offer(event(6))).isFalse();
    }

    @Test
    void dropOldestKeepsTheSubscriberCountsWhatItDroppedAndAnnouncesTheGapInItsStream() throws Exception {
        Host host = new Host(4, OverflowPolicy.DROP_OLDEST);
        Subscriber subscriber = open(host);
        for (int i = 0; i < 8; i++) {
            assertThat(subscriber.offer(event(i))).isTrue();
        }

        assertThat(subscriber.dropped()).isEqualTo(3);
        assertThat(host.metrics.total("wsbridge.events.dropped")).isEqualTo(3);
        assertThat(session.closeCode).isZero();

        session.pending.remove(0).succeeded();
        assertThat(session.frames).hasSize(6);
        assertThat(session.frames.get(0)).isEqualTo("e0");
        assertThat(session.frames.subList(2, 6)).containsExactly("e4", "e5", "e6", "e7");
        JsonNode gap = JSON.readTree(session.frames.get(1));
        assertThat(gap.path("type").asText()).as("the gap is announced where it is").isEqualTo("io.wsbridge.gap");
        assertThat(gap.path("source").asText()).isEqualTo("/wsbridge");
        assertThat(gap.path("data").path("reason").asText()).isEqualTo("overflow");
        assertThat(gap.path("data").path("dropped").asLong()).isEqualTo(3);
        assertThat(gap.has("wsbridgecursor")).as("a notice is no position").isFalse();
        assertThat(subscriber.sent()).as("events, not notices").isEqualTo(5);

        for (int i = 8; i < 10; i++) {
            assertThat(subscriber.offer(event(i))).isTrue();
        }
        session.pending.remove(0).succeeded();
        assertThat(session.frames.subList(6, session.frames.size())).as("nothing dropped since: no notice")
                .containsExactly("e8", "e9");
    }

    @Test
    void subscribersThatConnectedTogetherArePingedAtMomentsOfTheirOwnOncePerInterval() {
        Host host = new Host(4, OverflowPolicy.CLOSE);
        List<Subscriber> subscribers = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            subscribers.add(new Subscriber(host, "app", null, null, Credentials.ANONYMOUS, AccessDecision.ANONYMOUS,
                    "t" + i));
        }
        long interval = 15_000_000_000L;
        long tick = WebSocketServer.livenessTickMillis(java.time.Duration.ofNanos(interval)) * 1_000_000L;
        long start = 1_000_000_000_000L;
        int[] due = new int[subscribers.size()];
        int busiestTick = 0;
        int ticks = 0;
        for (long now = start; now <= start + 4 * interval; now += tick, ticks++) {
            int thisTick = 0;
            for (int i = 0; i < subscribers.size(); i++) {
                if (subscribers.get(i).livenessDue(now, interval)) {
                    assertThat(now - start).as("none within an interval of connecting").isGreaterThan(interval);
                    due[i]++;
                    thisTick++;
                }
            }
            busiestTick = Math.max(busiestTick, thisTick);
        }
        assertThat(ticks).isEqualTo(241);
        assertThat(due).as("each checked once per interval from the second on").containsOnly(3);
        assertThat(busiestTick).as("spread over the 60 ticks of an interval, not all at once").isLessThan(60);
    }
}
