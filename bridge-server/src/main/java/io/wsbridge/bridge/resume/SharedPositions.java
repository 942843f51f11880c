package io.wsbridge.bridge.resume;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where this bridge's tasks are in the partitions of <em>shared</em> topics: topics the topic pattern names no
 * application in, whose records each name their application (its {@code application} extension). Any application
 * may have events there, so every application's cursor names those partitions, at the position of the next record
 * to publish, even before its first event there: a resume then neither reads them from their beginning nor skips
 * one of its events.
 *
 * <p>A partition's position moves after its record was published (placed in its application's stream), never
 * before: at any moment it is at most the offset of the next record of the partition that no stream has, which is
 * what makes it safe to stamp into the cursor of an application that has no event there.
 */
public final class SharedPositions {

    /** The positions of one shared topic's partitions, by partition number (-1: not published here). */
    private static final class Topic {
        private long[] next = new long[0];
    }

    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private volatile boolean any;

    /** A task publishes the shared topic's partition from {@code nextOffset} on; a position never moves back. */
    public void started(String topic, int partition, long nextOffset) {
        Topic positions = topics.computeIfAbsent(topic, name -> new Topic());
        synchronized (positions) {
            if (partition >= positions.next.length) {
                int old = positions.next.length;
                positions.next = Arrays.copyOf(positions.next, partition + 1);
                Arrays.fill(positions.next, old, positions.next.length, -1L);
            }
            positions.next[partition] = Math.max(positions.next[partition], nextOffset);
        }
        any = true;
    }

    /** The record at {@code offset} of the partition was published (or refused as published before). */
    public void published(String topic, int partition, long offset) {
        if (!any) {
            return;
        }
        Topic positions = topics.get(topic);
        if (positions != null) {
            synchronized (positions) {
                if (partition < positions.next.length && positions.next[partition] <= offset) {
                    positions.next[partition] = offset + 1;
                }
            }
        }
    }

    /** Whether there is any shared partition. */
    boolean isEmpty() {
        return !any;
    }

    /** Calls {@code action} with every shared partition this bridge publishes and its position. */
    void forEach(PositionConsumer action) {
        if (!any) {
            return;
        }
        topics.forEach((topic, positions) -> {
            synchronized (positions) {
                for (int p = 0; p < positions.next.length; p++) {
                    if (positions.next[p] >= 0) {
                        action.accept(topic, p, positions.next[p]);
                    }
                }
            }
        });
    }

    /** The position of the partition, or -1 if it is no shared partition published here. */
    long next(String topic, int partition) {
        Topic positions = any ? topics.get(topic) : null;
        if (positions == null) {
            return -1;
        }
        synchronized (positions) {
            return partition < positions.next.length ? positions.next[partition] : -1;
        }
    }

    /** A partition and its position. */
    @FunctionalInterface
    interface PositionConsumer {
        void accept(String topic, int partition, long next);
    }
}
