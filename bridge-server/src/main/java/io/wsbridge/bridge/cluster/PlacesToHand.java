package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.GroupPlaces;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group places waiting to go out in bounded messages, by place id, the latest of each: those of a peer's groups that
 * formed again on the consuming side since its last sync answer ({@code places} messages before the next answer), or
 * the copies of kept places for every linked peer ({@code kept}). At most {@link GroupPlaces#MAX_PLACES} wait; beyond,
 * the oldest are forgotten.
 */
final class PlacesToHand {

    private static final Logger log = LoggerFactory.getLogger(PlacesToHand.class);

    private final String peer;
    private final Map<String, Map<PartitionId, Long>> places = new LinkedHashMap<>();

    PlacesToHand(String peer) {
        this.peer = peer;
    }

    synchronized void add(String application, GroupKey group, Cursor place) {
        add(group.placeId(application), place.positions());
    }

    /** The place with {@code id} is now at {@code positions} (empty: gone). */
    synchronized void add(String id, Map<PartitionId, Long> positions) {
        places.remove(id);
        places.put(id, positions);
        Iterator<String> oldest = places.keySet().iterator();
        while (places.size() > GroupPlaces.MAX_PLACES) {
            oldest.next();
            oldest.remove();
        }
    }

    /** The next places to hand over, encoded, as many as fit in one message of {@link PeerProtocol#MAX_PLACES_BYTES}. */
    synchronized List<String> take() {
        List<String> taken = new ArrayList<>();
        int bytes = 0;
        for (Iterator<Map.Entry<String, Map<PartitionId, Long>>> iterator = places.entrySet().iterator();
                iterator.hasNext();) {
            Map.Entry<String, Map<PartitionId, Long>> place = iterator.next();
            String encoded = InterestCodec.place(place.getKey(), place.getValue());
            int size = encoded.getBytes(StandardCharsets.UTF_8).length + 1;
            if (bytes + size > PeerProtocol.MAX_PLACES_BYTES) {
                if (!taken.isEmpty()) {
                    break;
                }
                iterator.remove(); // cannot go out at all (thousands of partitions): its group starts live
                log.warn("Not handing over the place of a group to peer {}: {} bytes", peer, size);
                continue;
            }
            taken.add(encoded);
            bytes += size;
            iterator.remove();
        }
        return taken;
    }
}
