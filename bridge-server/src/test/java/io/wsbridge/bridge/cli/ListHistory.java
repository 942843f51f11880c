package io.wsbridge.bridge.cli;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.From;
import io.wsbridge.bridge.resume.History;
import io.wsbridge.bridge.resume.PartitionId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One partition of application {@code pub}'s records in memory, at offsets 0, 1, 2...: what Kafka would hold, for the
 * tests of clients that resume.
 */
public final class ListHistory implements History {

    public static final PartitionId PARTITION = new PartitionId("events-pub", 0);

    public final List<Event> records = new CopyOnWriteArrayList<>();

    /** Appends an event of application {@code pub} with JSON {@code {"n":<n>}} at the next offset, and returns it. */
    public Event append(int n) {
        return append("pub", n);
    }

    /** Appends an event of {@code application} with JSON {@code {"n":<n>}} at the next offset, and returns it. */
    public Event append(String application, int n) {
        return append(application, null, n);
    }

    /** As {@link #append(String, int)}, on {@code channel}. */
    public synchronized Event append(String application, String channel, int n) {
        Event event = Event.fromUtf8(application, channel, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8),
                PARTITION.topic(), PARTITION.partition(), records.size());
        records.add(event);
        return event;
    }

    @Override
    public Set<String> topics(String application) {
        return Set.of(PARTITION.topic());
    }

    @Override
    public Reading open(String application, Set<String> topics, From from) {
        long start = from instanceof From.After after ? after.cursor().positions().getOrDefault(PARTITION, 0L)
                : from instanceof From.Place place ? place.cursor().positions().getOrDefault(PARTITION,
                        (long) records.size()) : 0;
        long end = records.size();
        return new Reading() {
            long position = start;

            @Override
            public Map<PartitionId, Long> starts() {
                return Map.of(PARTITION, start);
            }

            @Override
            public Map<PartitionId, Long> ends() {
                return Map.of(PARTITION, end);
            }

            @Override
            public Map<PartitionId, Long> endsNow() {
                return Map.of(PARTITION, (long) records.size());
            }

            @Override
            public Map<PartitionId, Long> lost() {
                return Map.of();
            }

            @Override
            public List<Event> read(int max) {
                List<Event> events = new ArrayList<>();
                while (events.size() < max && position < records.size()) {
                    events.add(records.get((int) position++));
                }
                return events;
            }

            @Override
            public long position(PartitionId partition) {
                return position;
            }

            @Override
            public void only(Set<PartitionId> partitions) {
            }

            @Override
            public void seek(PartitionId partition, long offset) {
                position = offset;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
    }
}
