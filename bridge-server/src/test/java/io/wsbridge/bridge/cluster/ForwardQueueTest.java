package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.OverflowPolicy;
import org.junit.jupiter.api.Test;

class ForwardQueueTest {

    static final GroupKey G = new GroupKey("g", null);
    static final GroupKey H = new GroupKey("h", "door");

    static Event event(int n) {
        return new Event("app", null, "e" + n);
    }

    @Test
    void offersOfTheSameEventInARowBecomeOneMessage() {
        ForwardQueue queue = new ForwardQueue(10, OverflowPolicy.CLOSE);
        Event event = event(1);

        assertThat(queue.offer(event, true, null)).isEqualTo(ForwardQueue.Outcome.QUEUED);
        assertThat(queue.offer(event, false, G)).isEqualTo(ForwardQueue.Outcome.MERGED);
        assertThat(queue.offer(event, false, H)).isEqualTo(ForwardQueue.Outcome.MERGED);
        assertThat(queue.offer(event, false, G)).isEqualTo(ForwardQueue.Outcome.MERGED);

        ForwardQueue.Message[] batch = new ForwardQueue.Message[4];
        assertThat(queue.drain(batch)).isEqualTo(1);
        assertThat(batch[0].event).isSameAs(event);
        assertThat(batch[0].plain).isTrue();
        assertThat(batch[0].groups).containsExactly(G, H);
    }

    @Test
    void anEventOfferedAfterItsMessageWasTakenStartsANewOne() {
        ForwardQueue queue = new ForwardQueue(10, OverflowPolicy.CLOSE);
        Event event = event(1);
        queue.offer(event, true, null);
        queue.drain(new ForwardQueue.Message[4]);

        assertThat(queue.offer(event, false, G)).isEqualTo(ForwardQueue.Outcome.QUEUED);
        ForwardQueue.Message[] batch = new ForwardQueue.Message[4];
        queue.drain(batch);
        assertThat(batch[0].plain).isFalse();
        assertThat(batch[0].groups).containsExactly(G);
    }

    @Test
    void messagesLeaveInTheOrderTheyCame() {
        ForwardQueue queue = new ForwardQueue(10, OverflowPolicy.CLOSE);
        for (int i = 0; i < 5; i++) {
            queue.offer(event(i), true, null);
        }
        ForwardQueue.Message[] batch = new ForwardQueue.Message[3];

        assertThat(queue.drain(batch)).isEqualTo(3);
        assertThat(batch[0].event.text() + batch[1].event.text() + batch[2].event.text()).isEqualTo("e0e1e2");
        assertThat(queue.drain(batch)).isEqualTo(2);
        assertThat(batch[0].event.text() + batch[1].event.text()).isEqualTo("e3e4");
    }

    @Test
    void closePolicyClosesTheQueueWhenItIsFull() {
        ForwardQueue queue = new ForwardQueue(2, OverflowPolicy.CLOSE);
        queue.offer(event(0), true, null);
        queue.offer(event(1), true, null);

        assertThat(queue.offer(event(2), true, null)).isEqualTo(ForwardQueue.Outcome.OVERFLOWED);
        assertThat(queue.isClosed()).isTrue();
        assertThat(queue.size()).isZero();
        assertThat(queue.offer(event(3), true, null)).isEqualTo(ForwardQueue.Outcome.CLOSED);
    }

    @Test
    void dropOldestPolicyKeepsTheNewestEvents() {
        ForwardQueue queue = new ForwardQueue(2, OverflowPolicy.DROP_OLDEST);
        queue.offer(event(0), true, null);
        queue.offer(event(1), true, null);

        assertThat(queue.offer(event(2), true, null)).isEqualTo(ForwardQueue.Outcome.QUEUED_DROPPING_OLDEST);
        ForwardQueue.Message[] batch = new ForwardQueue.Message[4];
        assertThat(queue.drain(batch)).isEqualTo(2);
        assertThat(batch[0].event.text() + batch[1].event.text()).isEqualTo("e1e2");
    }

    @Test
    void aFullQueueStillMergesIntoItsTail() {
        ForwardQueue queue = new ForwardQueue(1, OverflowPolicy.CLOSE);
        Event event = event(0);
        queue.offer(event, true, null);

        assertThat(queue.offer(event, false, G)).isEqualTo(ForwardQueue.Outcome.MERGED);
        assertThat(queue.isClosed()).isFalse();
    }
}
