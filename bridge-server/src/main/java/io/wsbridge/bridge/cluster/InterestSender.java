package io.wsbridge.bridge.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sending end's bookkeeping of one link's interest: what the peer was last told, and the next sequence number.
 * The first message is a snapshot in bounded parts; after that only differences go out, in bounded deltas, until the
 * peer asks for a fresh snapshot. One per connection, used on the cluster node's single thread.
 */
final class InterestSender {

    private final int maxBytes;
    private Map<InterestEntry, Integer> sent;
    private long seq;

    InterestSender(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The messages of a snapshot of {@code current}, which the sender must not change afterwards. */
    List<String> snapshot(Map<InterestEntry, Integer> current) {
        List<String> messages = InterestCodec.snapshot(current, seq, maxBytes);
        seq += messages.size();
        sent = current;
        return messages;
    }

    /**
     * The messages that tell the peer how {@code current} (which the sender must not change afterwards) differs from
     * what it was told: none if nothing changed, or if no snapshot went out yet.
     */
    List<String> delta(Map<InterestEntry, Integer> current) {
        if (sent == null || sent.equals(current)) {
            return List.of();
        }
        Map<InterestEntry, Integer> set = new HashMap<>();
        current.forEach((entry, members) -> {
            if (!members.equals(sent.get(entry))) {
                set.put(entry, members);
            }
        });
        Set<InterestEntry> remove = new HashSet<>();
        sent.keySet().forEach(entry -> {
            if (!current.containsKey(entry)) {
                remove.add(entry);
            }
        });
        List<String> messages = InterestCodec.delta(set, remove, seq, maxBytes);
        seq += messages.size();
        sent = current;
        return messages;
    }

    /** Whether a snapshot went out on this connection. */
    boolean started() {
        return sent != null;
    }
}
