package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.Outbox;
import io.wsbridge.bridge.session.OverflowPolicy;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** A peer link's outbox: offers of one event to several proxies of the peer cross the link as one message. */
class ForwardMessageTest {

    static final GroupKey G = GroupKey.anonymous("g", null);
    static final GroupKey H = GroupKey.anonymous("h", "door");
    static final GroupKey ALICES_G = new GroupKey("alice", "g", null);

    final List<ForwardMessage> written = new ArrayList<>();
    final Outbox<ForwardMessage> outbox = new Outbox<>(10, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_FLUSH,
            ForwardMessage.MERGER, new Outbox.Writer<>() {
                @Override
                public void write(List<ForwardMessage> batch, Callback done) {
                    written.addAll(batch);
                    done.succeeded();
                }
            });

    static Event event(int n) {
        return new Event("app", null, "e" + n);
    }

    @Test
    void offersOfTheSameEventInARowBecomeOneMessage() {
        Event event = event(1);

        assertThat(outbox.offer(new ForwardMessage(event, true, null))).isEqualTo(Outbox.Outcome.QUEUED);
        assertThat(outbox.offer(new ForwardMessage(event, false, G))).isEqualTo(Outbox.Outcome.MERGED);
        assertThat(outbox.offer(new ForwardMessage(event, false, H))).isEqualTo(Outbox.Outcome.MERGED);
        assertThat(outbox.offer(new ForwardMessage(event, false, G))).isEqualTo(Outbox.Outcome.MERGED);
        outbox.flush();

        assertThat(written).hasSize(1);
        assertThat(written.get(0).event).isSameAs(event);
        assertThat(written.get(0).plain).isTrue();
        assertThat(written.get(0).groups).containsExactly(G, H);
    }

    @Test
    void groupsWithTheSameIdOfDifferentPrincipalsStayApartInTheMergedMessage() {
        Event event = event(1);

        outbox.offer(new ForwardMessage(event, false, G));
        outbox.offer(new ForwardMessage(event, false, ALICES_G));
        outbox.offer(new ForwardMessage(event, false, ALICES_G));
        outbox.flush();

        assertThat(written).hasSize(1);
        assertThat(written.get(0).groups).containsExactly(G, ALICES_G);
    }

    @Test
    void anEventOfferedAfterItsMessageWasWrittenStartsANewOne() {
        Event event = event(1);
        outbox.offer(new ForwardMessage(event, true, null));
        outbox.flush();

        assertThat(outbox.offer(new ForwardMessage(event, false, G))).isEqualTo(Outbox.Outcome.QUEUED);
        outbox.flush();
        assertThat(written).hasSize(2);
        assertThat(written.get(1).plain).isFalse();
        assertThat(written.get(1).groups).containsExactly(G);
    }

    @Test
    void differentEventsStayApartAndInOrder() {
        for (int i = 0; i < 5; i++) {
            outbox.offer(new ForwardMessage(event(i), true, null));
        }
        outbox.flush();

        assertThat(written).extracting(message -> message.event.text()).containsExactly("e0", "e1", "e2", "e3", "e4");
    }
}
