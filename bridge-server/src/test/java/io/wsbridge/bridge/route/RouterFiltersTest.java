package io.wsbridge.bridge.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventAttributes;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.filter.InvalidFilterException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Filtered subscriptions: each distinct filter is evaluated once per event, however many share it. */
class RouterFiltersTest {

    private final Router router = new Router();

    /** A plain subscriber of every channel, or a member of {@code groupId}, with a filter or without. */
    record Sub(String application, String channel, GroupKey group, Filter filter, List<String> received)
            implements Subscription {

        @Override
        public boolean offer(Event event) {
            received.add(event.text());
            return true;
        }
    }

    private Sub subscribe(String filter) throws InvalidFilterException {
        return subscribe(null, filter);
    }

    private Sub subscribe(String groupId, String filter) throws InvalidFilterException {
        Filter compiled = filter == null ? null : router.filters().acquire(router.filters().validate(List.of(), filter));
        GroupKey group = groupId == null ? null : new GroupKey(null, groupId, null, filter);
        Sub sub = new Sub("acme", null, group, compiled, new ArrayList<>());
        router.add(sub);
        return sub;
    }

    private static Event event(String device, String subject) {
        return new Event("acme", subject, "{\"specversion\":\"1.0\",\"id\":\"" + device + "-" + subject + "\","
                + "\"source\":\"s\",\"type\":\"t\",\"subject\":\"" + subject + "\",\"device\":\"" + device + "\","
                + "\"data\":{\"temp\":1}}");
    }

    @Test
    void aThousandSubscribersSharingTenFiltersCostTenEvaluationsPerEvent() throws Exception {
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            subs.add(subscribe("device = 'device-" + (i % 10) + "'"));
        }
        assertThat(router.filters().distinct()).isEqualTo(10);

        router.publish(event("device-3", "alarm"));
        router.publish(event("device-4", "reading"));

        assertThat(router.filters().evaluations()).isEqualTo(20);
        assertThat(IntStream.range(0, 1_000).filter(i -> i % 10 == 3).mapToObj(subs::get))
                .allSatisfy(sub -> assertThat(sub.received()).hasSize(1));
        assertThat(IntStream.range(0, 1_000).filter(i -> i % 10 != 3 && i % 10 != 4).mapToObj(subs::get))
                .allSatisfy(sub -> assertThat(sub.received()).isEmpty());
    }

    @Test
    void subscribersWithoutAFilterCostNoEvaluation() throws Exception {
        Sub all = subscribe(null);

        router.publish(event("device-1", "alarm"));

        assertThat(all.received()).hasSize(1);
        assertThat(router.filters().evaluations()).isZero();
    }

    @Test
    void aGroupWithAFilterIsAnotherGroupAndSharesTheEvaluationWithPlainSubscribers() throws Exception {
        Sub plain = subscribe("subject = 'alarm'");
        Sub filteredMember = subscribe("g", "subject = 'alarm'");
        Sub unfilteredMember = subscribe("g", null);

        router.publish(event("device-1", "alarm"));
        router.publish(event("device-1", "reading"));

        assertThat(plain.received()).containsExactly(event("device-1", "alarm").text());
        assertThat(filteredMember.received()).containsExactly(event("device-1", "alarm").text());
        assertThat(unfilteredMember.received()).hasSize(2);
        assertThat(router.filters().evaluations()).isEqualTo(2);
    }

    @Test
    void anEvaluationThatFailsDeliversNothingAndIsCounted() throws Exception {
        Sub sub = subscribe("temperature > 20");

        router.publish(event("device-1", "alarm"));

        assertThat(sub.received()).isEmpty();
        assertThat(router.filters().failures()).isEqualTo(1);
    }

    @Test
    void readsTheAttributesTheConnectorAttachedWithoutParsingTheFrameAndSeesTheCursor() throws Exception {
        Sub sub = subscribe("device = 'device-1' AND EXISTS wsbridgecursor");
        Sub other = subscribe("device = 'device-2'");
        EventAttributes attributes = EventAttributes.ofUtf8(new String[] {"specversion", "id", "device"},
                new byte[][] {utf8("1.0"), utf8("e-1"), utf8("device-1")});

        // Not JSON: read from the frame, every evaluation would fail.
        router.publish(Event.fromUtf8("acme", null, utf8("{not json"), "events", 0, 5, attributes));

        assertThat(sub.received()).hasSize(1);
        assertThat(other.received()).isEmpty();
        assertThat(router.filters().failures()).isZero();
        assertThat(router.filters().evaluations()).isEqualTo(2);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void leavingSubscribersLeaveTheOthersOfTheirFilterAlone() throws Exception {
        Sub first = subscribe("device = 'device-1'");
        Sub second = subscribe("device = 'device-1'");
        Sub other = subscribe("device = 'device-2'");

        router.remove(first);
        router.filters().release(first.filter());
        router.publish(event("device-1", "alarm"));

        assertThat(first.received()).isEmpty();
        assertThat(second.received()).hasSize(1);
        assertThat(router.subscribers("acme")).isEqualTo(2);

        router.remove(second);
        router.remove(other);
        assertThat(router.serves("acme")).isFalse();
    }
}
