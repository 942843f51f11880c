package io.wsbridge.bridge.resume;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a resuming subscriber cannot get back: where its cursor points at records retention removed, and partitions
 * its cursor names that are no longer part of the application's stream (the topic was deleted or no longer
 * published). It is announced to the subscriber before anything else is replayed.
 *
 * @param removed partition to the number of offsets between the cursor's position and the earliest offset still held
 *     (at most that many events: transaction markers and compaction take offsets too)
 * @param gone partitions the cursor names that the application's stream no longer has
 */
public record Gap(NavigableMap<PartitionId, Long> removed, NavigableSet<PartitionId> gone) {

    public Gap {
        removed = Collections.unmodifiableNavigableMap(new TreeMap<>(removed));
        gone = Collections.unmodifiableNavigableSet(new TreeSet<>(gone));
    }

    /** Whether nothing is missing. */
    public boolean isEmpty() {
        return removed.isEmpty() && gone.isEmpty();
    }
}
