package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.bus.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory log of one application's partitions, as Kafka would keep it: records at offsets that need not be
 * contiguous, and a log end offset that may lie past the last record (transaction markers).
 */
final class FakeHistory implements History {

    final Map<PartitionId, TreeMap<Long, Event>> log = new ConcurrentHashMap<>();
    final Map<PartitionId, Long> logEnd = new ConcurrentHashMap<>();
    /** The earliest offset still held, where retention moved it. */
    final Map<PartitionId, Long> logStart = new ConcurrentHashMap<>();
    final AtomicInteger openReadings = new AtomicInteger();
    volatile HistoryException failure;
    /** What {@link #topics} answers. */
    volatile Set<String> configuredTopics = Set.of();

    static Event record(int partition, long offset) {
        return Event.fromUtf8("app", null, ("{\"n\":\"" + partition + "/" + offset + "\"}")
                .getBytes(StandardCharsets.UTF_8), "events-app", partition, offset);
    }

    /** Appends a record at {@code offset}, the log end moving past it. */
    synchronized Event append(int partition, long offset) {
        PartitionId id = new PartitionId("events-app", partition);
        Event event = record(partition, offset);
        log.computeIfAbsent(id, p -> new TreeMap<>()).put(offset, event);
        logEnd.merge(id, offset + 1, Math::max);
        return event;
    }

    /** Removes the records before {@code start}, as retention does. */
    synchronized void truncate(int partition, long start) {
        PartitionId id = new PartitionId("events-app", partition);
        log.computeIfAbsent(id, p -> new TreeMap<>()).headMap(start).clear();
        logStart.put(id, start);
        logEnd.merge(id, start, Math::max);
    }

    synchronized void end(int partition, long end) {
        logEnd.put(new PartitionId("events-app", partition), end);
    }

    @Override
    public synchronized Reading open(String application, Set<String> topics, From from) throws HistoryException {
        if (failure != null) {
            throw failure;
        }
        Map<PartitionId, Long> starts = new HashMap<>();
        Map<PartitionId, Long> lost = new HashMap<>();
        for (PartitionId partition : logEnd.keySet()) {
            if (!topics.contains(partition.topic())) {
                continue;
            }
            long beginning = logStart.getOrDefault(partition, 0L);
            long start = beginning;
            if (from instanceof From.After after) {
                start = after.cursor().positions().getOrDefault(partition, beginning);
            } else if (from instanceof From.Place place) {
                start = place.cursor().positions().getOrDefault(partition, logEnd.get(partition));
            }
            if (start < beginning) {
                lost.put(partition, beginning - start);
                start = beginning;
            }
            starts.put(partition, start);
        }
        openReadings.incrementAndGet();
        return new FakeReading(starts, Map.copyOf(logEnd), lost);
    }

    @Override
    public Set<String> topics(String application) {
        return configuredTopics;
    }

    @Override
    public void close() {
    }

    private final class FakeReading implements Reading {

        private final Map<PartitionId, Long> starts;
        private final Map<PartitionId, Long> ends;
        private final Map<PartitionId, Long> positions;
        private final Map<PartitionId, Long> lost;
        private Set<PartitionId> only;
        private boolean closed;

        FakeReading(Map<PartitionId, Long> starts, Map<PartitionId, Long> ends, Map<PartitionId, Long> lost) {
            this.lost = Map.copyOf(lost);
            this.starts = Map.copyOf(starts);
            this.ends = ends;
            this.positions = new HashMap<>(starts);
            this.only = new HashSet<>(starts.keySet());
        }

        @Override
        public Map<PartitionId, Long> starts() {
            return starts;
        }

        @Override
        public Map<PartitionId, Long> ends() {
            return ends;
        }

        @Override
        public Map<PartitionId, Long> endsNow() {
            synchronized (FakeHistory.this) {
                Map<PartitionId, Long> now = new HashMap<>();
                starts.keySet().forEach(partition -> now.put(partition, logEnd.get(partition)));
                return now;
            }
        }

        @Override
        public Map<PartitionId, Long> lost() {
            return lost;
        }

        @Override
        public List<Event> read(int max) {
            List<Event> out = new ArrayList<>();
            synchronized (FakeHistory.this) {
                for (PartitionId partition : only) {
                    long position = positions.get(partition);
                    for (Event event : log.get(partition).tailMap(position, true).values()) {
                        if (out.size() >= max) {
                            return out;
                        }
                        out.add(event);
                        position = event.offset() + 1;
                        positions.put(partition, position);
                    }
                    positions.put(partition, Math.max(position, logEnd.get(partition)));
                }
            }
            return out;
        }

        @Override
        public long position(PartitionId partition) {
            return positions.get(partition);
        }

        @Override
        public void only(Set<PartitionId> partitions) {
            only = new HashSet<>(partitions);
        }

        @Override
        public void seek(PartitionId partition, long offset) {
            positions.put(partition, offset);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                openReadings.decrementAndGet();
            }
        }
    }
}
