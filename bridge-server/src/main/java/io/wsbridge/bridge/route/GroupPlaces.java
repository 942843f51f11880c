package io.wsbridge.bridge.route;

import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where consumer groups whose last member left stand in their application's stream, kept for the group retention
 * time: the next member to join within it catches up from there. At most {@link #MAX_PLACES} places are kept; past
 * that the oldest is forgotten first (its group's next member starts live, as without retention). Outside cluster
 * mode the WebSocket server keeps them (where the last member wrote to); in cluster mode the router of each consuming
 * bridge keeps them for the partitions it publishes.
 */
public final class GroupPlaces {

    public static final int MAX_PLACES = 10_000;

    private record Key(String application, GroupKey group) {
    }

    private record Place(Cursor cursor, long expiresAtNanos) {
    }

    /** Told of every place kept, moved or forgotten (taken), under the places' lock: it must only note it. */
    public interface Listener {

        /** The group's place is now {@code place}; {@code null}: it has none any more (taken). */
        void changed(String application, GroupKey group, Cursor place);
    }

    private final Supplier<Duration> retention;
    private volatile Listener listener = (application, group, place) -> { };
    private final LongSupplier clock;
    /** In the order the places were kept: the oldest first. */
    private final LinkedHashMap<Key, Place> places = new LinkedHashMap<>();

    /** @param retention the retention time, as the bridge's settings have it now */
    public GroupPlaces(Supplier<Duration> retention, LongSupplier nanoClock) {
        this.retention = retention;
        this.clock = nanoClock;
    }

    public void listen(Listener newListener) {
        this.listener = newListener;
    }

    /** Calls {@code action} with every place kept now (application, group, place). */
    public synchronized void forEach(Listener action) {
        expire(clock.getAsLong());
        places.forEach((key, place) -> action.changed(key.application(), key.group(), place.cursor()));
    }

    /** Whether places are kept at all. */
    public boolean enabled() {
        return !retention.get().isZero();
    }

    /** The group of {@code application} has no member left, at {@code cursor}. */
    public synchronized void keep(String application, GroupKey group, Cursor cursor) {
        long retentionNanos = retention.get().toNanos();
        if (retentionNanos <= 0) {
            return;
        }
        long now = clock.getAsLong();
        expire(now);
        Key key = new Key(application, group);
        places.remove(key);
        places.put(key, new Place(cursor, now + retentionNanos));
        listener.changed(application, group, cursor);
        Iterator<Map.Entry<Key, Place>> oldest = places.entrySet().iterator();
        while (places.size() > MAX_PLACES) {
            oldest.next();
            oldest.remove();
        }
    }

    /**
     * Moves the kept place of the group back to {@code offset} in {@code partition}, if it is further: an event there
     * was handed to the group and never written (a peer link that carried it dropped). The place keeps its expiry.
     *
     * @return {@code false} if the group keeps no place (none kept, expired, or taken)
     */
    public synchronized boolean lower(String application, GroupKey group, PartitionId partition, long offset) {
        expire(clock.getAsLong());
        Key key = new Key(application, group);
        Place place = places.get(key);
        if (place == null) {
            return false;
        }
        Long current = place.cursor().positions().get(partition);
        if (current == null || current > offset) {
            Map<PartitionId, Long> positions = new HashMap<>(place.cursor().positions());
            positions.put(partition, offset);
            Cursor lowered = Cursor.of(application, positions);
            places.put(key, new Place(lowered, place.expiresAtNanos()));
            listener.changed(application, group, lowered);
        }
        return true;
    }

    /** Takes the place of the group, if it has one that has not expired: only one joining member gets it. */
    public synchronized Cursor take(String application, GroupKey group) {
        expire(clock.getAsLong());
        Place place = places.remove(new Key(application, group));
        if (place != null) {
            listener.changed(application, group, null);
        }
        return place == null ? null : place.cursor();
    }

    public synchronized int size() {
        expire(clock.getAsLong());
        return places.size();
    }

    private void expire(long now) {
        // kept in order of expiry (one retention for all, as long as it is not changed): stop at the first that has
        // not expired
        Iterator<Place> iterator = places.values().iterator();
        while (iterator.hasNext()) {
            if (iterator.next().expiresAtNanos() - now > 0) {
                return;
            }
            iterator.remove();
        }
    }
}
