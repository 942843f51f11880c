package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupPlaces;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Group places that consuming peers handed over in their sync answers, by place id, until the first member of the
 * group takes its place. Where two peers hand over a place of the same group (each for the partitions it reads), the
 * earliest position of each partition is kept. The oldest are forgotten first beyond {@link GroupPlaces#MAX_PLACES},
 * and a place older than the lifetime given to {@link #take} is stale.
 */
final class HandedPlaces {

    private record Handed(Map<PartitionId, Long> positions, long atNanos) {
    }

    private final LinkedHashMap<String, Handed> places = new LinkedHashMap<>();

    synchronized void add(Map<String, Map<PartitionId, Long>> handed, long nowNanos) {
        handed.forEach((id, positions) -> {
            Handed before = places.remove(id);
            Map<PartitionId, Long> merged = new HashMap<>(before == null ? Map.of() : before.positions());
            positions.forEach((partition, offset) -> merged.merge(partition, offset, Math::min));
            places.put(id, new Handed(Map.copyOf(merged), nowNanos));
        });
        Iterator<String> oldest = places.keySet().iterator();
        while (places.size() > GroupPlaces.MAX_PLACES) {
            oldest.next();
            oldest.remove();
        }
    }

    /** The place handed over for the group {@code id} within {@code lifetime}, taken; {@code null} if none. */
    Map<PartitionId, Long> take(String id, long nowNanos, Duration lifetime) {
        Handed place;
        synchronized (this) {
            place = places.remove(id);
        }
        return place != null && nowNanos - place.atNanos() <= lifetime.toNanos() ? place.positions() : null;
    }
}
