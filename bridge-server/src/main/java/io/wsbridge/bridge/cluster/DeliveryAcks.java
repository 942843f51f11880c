package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The linking side's acknowledgements on one connection of a {@link PeerLink}: how many of the messages the peer
 * forwarded are done with here, so that the peer can forget the events it handed to members of groups on this bridge
 * (it deals the others again if the link drops first).
 *
 * <p>A message is done with once every local group member had written (or dropped, or lost with its closed
 * connection) what it had taken when the message was delivered. {@link #tick} takes a checkpoint: the messages
 * delivered so far, and what each local group member with events still to write had taken by then; when every member
 * of the checkpoint got that far, the checkpoint's count is acknowledged and the next one taken. A member still
 * catching up from history counts from when it is live. Runs on the cluster thread only; {@link #delivered()} on the
 * link's reading thread.
 */
final class DeliveryAcks {

    /** Stands for "taken nothing yet": a member still catching up, counted once it is live. */
    private static final long CATCHING_UP = -1;

    private final Router router;
    private volatile long delivered;
    private long acknowledged;
    private long checkpoint = -1;
    private final Map<Subscription, Long> waiting = new IdentityHashMap<>();

    DeliveryAcks(Router router) {
        this.router = router;
    }

    /** A forwarded message was delivered to the local subscribers (every offer of it made). */
    void delivered() {
        delivered++;
    }

    /**
     * Advances the checkpoint.
     *
     * @return the count of messages to acknowledge now, or -1 if nothing new is done with
     */
    long tick() {
        if (checkpoint < 0) {
            long now = delivered; // read before the members: every offer of these messages is counted below
            if (now == acknowledged) {
                return -1;
            }
            checkpoint = now;
            router.forEachLocalGroupMember(member -> {
                if (member.catchingUp()) {
                    waiting.put(member, CATCHING_UP);
                } else {
                    long handed = member.handed();
                    if (member.settled() < handed) {
                        waiting.put(member, handed);
                    }
                }
            });
        }
        for (Iterator<Map.Entry<Subscription, Long>> iterator = waiting.entrySet().iterator(); iterator.hasNext();) {
            Map.Entry<Subscription, Long> entry = iterator.next();
            Subscription member = entry.getKey();
            if (entry.getValue() == CATCHING_UP) {
                if (member.catchingUp()) {
                    continue;
                }
                entry.setValue(member.handed());
            }
            if (member.settled() >= entry.getValue()) {
                iterator.remove();
            }
        }
        if (!waiting.isEmpty()) {
            return -1;
        }
        acknowledged = checkpoint;
        checkpoint = -1;
        return acknowledged;
    }
}
