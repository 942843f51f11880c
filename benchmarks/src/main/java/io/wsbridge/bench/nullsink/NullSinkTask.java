package io.wsbridge.bench.nullsink;

import java.util.Collection;
import java.util.Map;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the records and drops them; Connect's task metrics ({@code sink-record-send-total}) count them. With
 * {@value #RECORDS} set it also times itself, on the worker's own clock and without JMX: from the end of its first
 * {@code put()} to the end of the one that brings the count to that many records, and logs the rate once (a line the
 * benchmark reads from the worker's log).
 */
public final class NullSinkTask extends SinkTask {

    /** Connector property: how many records to time (0: none). */
    public static final String RECORDS = "bench.records";
    /** The start of the line it logs; then records, nanoseconds and records/s. */
    public static final String TIMED = "null sink timed:";

    private static final Logger log = LoggerFactory.getLogger(NullSinkTask.class);

    private long target;
    private long count;
    private long firstCount;
    private long firstEndNanos;
    private boolean reported;

    @Override
    public void start(Map<String, String> props) {
        target = Long.parseLong(props.getOrDefault(RECORDS, "0"));
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        if (records.isEmpty() || target <= 0 || reported) {
            return;
        }
        count += records.size();
        long now = System.nanoTime();
        if (firstEndNanos == 0) {
            firstEndNanos = now;
            firstCount = count;
        } else if (count >= target) {
            reported = true;
            long timed = count - firstCount;
            long nanos = now - firstEndNanos;
            log.info("{} {} records in {} ns = {} records/s", TIMED, timed, nanos, (long) (timed * 1e9 / nanos));
        }
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
        return "bench";
    }
}
