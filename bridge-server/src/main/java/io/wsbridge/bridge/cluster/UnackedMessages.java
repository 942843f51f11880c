package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consuming side's record, on one peer link, of the messages it wrote that carried events for members of the
 * peer's groups, until the peer acknowledges them ({@link InterestCodec.Acked}): if the link drops first, their events
 * are dealt again to the groups' other members ({@link io.wsbridge.bridge.route.Router#redeal}). Messages are counted
 * in the order they are written, as the peer counts them when they arrive. At most {@code capacity} are kept; beyond,
 * the oldest are forgotten (a peer that stopped acknowledging).
 */
final class UnackedMessages {

    private static final Logger log = LoggerFactory.getLogger(UnackedMessages.class);

    private final int capacity;
    private final ArrayDeque<ForwardMessage> messages = new ArrayDeque<>();
    private long written;
    private long forgotten;
    private boolean taken;

    UnackedMessages(int capacity) {
        this.capacity = capacity;
    }

    /**
     * The message is being written, after every message written before it.
     *
     * @return {@code false} if the link already ended ({@link #takeAll}): the caller deals the message's group events
     *     again itself
     */
    synchronized boolean written(ForwardMessage message) {
        if (taken) {
            return false;
        }
        message.seq = ++written;
        if (!message.groups.isEmpty()) {
            messages.addLast(message);
            if (messages.size() > capacity) {
                messages.pollFirst();
                forgotten++;
            }
        }
        return true;
    }

    /** The peer is done with the first {@code count} messages written. */
    synchronized void acked(long count) {
        while (!messages.isEmpty() && messages.peekFirst().seq <= count) {
            messages.pollFirst();
        }
    }

    /**
     * The link to {@code peer} ended: the messages for its groups not acknowledged, oldest first, then those of
     * {@code queued} (never written); later writes are refused.
     */
    synchronized List<ForwardMessage> takeAll(List<ForwardMessage> queued, String peer) {
        taken = true;
        List<ForwardMessage> all = new ArrayList<>(messages);
        messages.clear();
        queued.stream().filter(message -> !message.groups.isEmpty()).forEach(all::add);
        if (forgotten > 0) {
            log.warn("The link of peer {} forgot {} messages for its groups that it never acknowledged", peer,
                    forgotten);
        }
        return all;
    }

    /**
     * Takes the events not acknowledged yet for the groups whose last proxy on this link left (the peer's last member
     * of each left): they are dealt again to the groups' other members, or move their places back. The messages keep
     * their other groups.
     */
    synchronized List<ForwardMessage> takeGroups(Map<GroupKey, String> groups) {
        List<ForwardMessage> taken = new ArrayList<>();
        for (ForwardMessage message : messages) {
            ForwardMessage again = null;
            for (Iterator<GroupKey> keys = message.groups.iterator(); keys.hasNext();) {
                GroupKey key = keys.next();
                if (message.event.application().equals(groups.get(key))) {
                    again = again == null ? new ForwardMessage(message.event, false, null) : again;
                    again.groups.add(key);
                    keys.remove();
                }
            }
            if (again != null) {
                taken.add(again);
            }
        }
        return taken;
    }

    /** Adds the events for groups not acknowledged yet to {@code lowest} (the earliest offset of each partition). */
    synchronized void lowest(Map<PartitionId, Long> lowest) {
        messages.forEach(message -> add(message, lowest));
    }

    /** Adds the message's event to {@code lowest} if it is for groups. */
    static void add(ForwardMessage message, Map<PartitionId, Long> lowest) {
        Event event = message.event;
        if (!message.groups.isEmpty() && event.hasPosition()) {
            lowest.merge(new PartitionId(event.topic(), event.partition()), event.offset(), Math::min);
        }
    }

    synchronized int size() {
        return messages.size();
    }

    /** Messages forgotten unacknowledged because more than {@code capacity} waited. */
    synchronized long forgotten() {
        return forgotten;
    }
}
