package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupPlaces;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Copies of the group places that consuming peers keep ({@link InterestCodec.Kept}), by peer and place id, each for
 * the group retention time from when it came. They are used only for a peer that no longer consumes (it died and its
 * partitions moved): a peer that still consumes hands its places over itself. At most {@link GroupPlaces#MAX_PLACES}
 * are kept, the oldest forgotten first.
 */
final class KeptCopies {

    private record Key(String peer, String id) {
    }

    private record Copy(Map<PartitionId, Long> positions, long expiresAtNanos) {
    }

    private final LinkedHashMap<Key, Copy> copies = new LinkedHashMap<>();

    /** The peer's copies as they are now: an empty place is one the peer no longer keeps. */
    synchronized void update(String peer, Map<String, Map<PartitionId, Long>> places, long nowNanos,
            long retentionNanos) {
        places.forEach((id, positions) -> {
            Key key = new Key(peer, id);
            copies.remove(key);
            if (!positions.isEmpty() && retentionNanos > 0) {
                copies.put(key, new Copy(Map.copyOf(positions), nowNanos + retentionNanos));
            }
        });
        Iterator<Key> oldest = copies.keySet().iterator();
        while (copies.size() > GroupPlaces.MAX_PLACES) {
            oldest.next();
            oldest.remove();
        }
    }

    /**
     * Takes every copy of the group's place (the group formed again here): the positions of those whose peer is
     * {@code gone}, the earliest of each partition; empty if there are none.
     */
    synchronized Map<PartitionId, Long> take(String id, Predicate<String> gone, long nowNanos) {
        Map<PartitionId, Long> positions = new HashMap<>();
        for (Iterator<Map.Entry<Key, Copy>> iterator = copies.entrySet().iterator(); iterator.hasNext();) {
            Map.Entry<Key, Copy> entry = iterator.next();
            if (entry.getValue().expiresAtNanos() - nowNanos <= 0) {
                iterator.remove();
            } else if (entry.getKey().id().equals(id)) {
                if (gone.test(entry.getKey().peer())) {
                    entry.getValue().positions().forEach((partition, offset) -> positions.merge(partition, offset,
                            Math::min));
                }
                iterator.remove();
            }
        }
        return positions;
    }

    synchronized int size() {
        return copies.size();
    }
}
