package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.Outbox;
import java.util.ArrayList;
import java.util.List;

/**
 * One message queued for a peer: an event and where the peer delivers it. The router offers an event to each proxy of
 * a peer in turn (its plain proxy, then members of its groups); while the event's message is still the last one
 * queued, those offers {@linkplain #MERGER merge} into it, so the event crosses the link once.
 *
 * <p>A message may instead be a text message of the peer protocol that must keep its place among the events (the
 * consuming side's {@linkplain InterestCodec.Positions positions}): it has no event, merges with nothing, and is not
 * counted among the forwarded messages that acknowledgements number.
 */
final class ForwardMessage {

    /** Merges an offer of the same event into the message at the tail of a peer's outbox. */
    static final Outbox.Merger<ForwardMessage> MERGER = (tail, offered) -> {
        if (tail.event != offered.event || tail.event == null) {
            return false;
        }
        tail.plain |= offered.plain;
        for (GroupKey group : offered.groups) {
            if (!tail.groups.contains(group)) {
                tail.groups.add(group);
            }
        }
        return true;
    };

    /** The event, or {@code null} for a {@link #text} message. */
    final Event event;
    /** A text message written in its turn among the events, or {@code null}. */
    final String text;
    boolean plain;
    final List<GroupKey> groups = new ArrayList<>(2);
    /** Its number among the messages written on its link, from 1; set when it is written. */
    long seq;

    /** The event for the peer's plain subscribers ({@code plain}) or for one member of {@code group}. */
    ForwardMessage(Event event, boolean plain, GroupKey group) {
        this.event = event;
        this.text = null;
        this.plain = plain;
        if (group != null) {
            groups.add(group);
        }
    }

    /** A text message of the peer protocol, written after the messages queued before it. */
    ForwardMessage(String text) {
        this.event = null;
        this.text = text;
    }
}
