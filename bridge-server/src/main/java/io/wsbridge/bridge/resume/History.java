package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.bus.Event;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The records an application's stream was made of, read again from where they are kept (Kafka): what resuming and
 * replaying subscribers catch up from. The connector implements it with a consumer of its own; the bridge only asks.
 * Every method may block on the network: the bridge calls them on its replay threads, never on a publisher's.
 */
public interface History extends AutoCloseable {

    /**
     * Opens a reading of the partitions of {@code topics} for one subscriber.
     *
     * @param from where each partition starts: {@link From.Earliest}, {@link From.At} or {@link From.After} (a
     *     partition the cursor does not name starts at its earliest record)
     * @throws HistoryException if the history cannot be read now
     */
    Reading open(String application, Set<String> topics, From from) throws HistoryException;

    /**
     * The topics the connector reads that may hold the application's events, as its configuration names them (never
     * as a client does); empty if this history cannot tell. A bridge without a task of its own (cluster mode) reads
     * these: its live stream knows only the topics of events that reached it.
     */
    default Set<String> topics(String application) throws HistoryException {
        return Set.of();
    }

    @Override
    void close();

    /** One subscriber's reading; used by one thread at a time. */
    interface Reading extends AutoCloseable {

        /** Every partition read, and the offset its reading starts at. */
        Map<PartitionId, Long> starts();

        /** The log end offset of every partition read, as read after the reading was opened. */
        Map<PartitionId, Long> ends();

        /** The log end offset of every partition read, read again now. */
        Map<PartitionId, Long> endsNow() throws HistoryException;

        /**
         * Partitions whose requested start (a cursor's position) is no longer held, retention having removed it: how
         * many offsets lie between it and where the reading starts instead (the earliest offset still held). As many
         * events were lost at most (transaction markers and compaction take offsets too). Empty for a reading of
         * everything or from a time.
         */
        Map<PartitionId, Long> lost();

        /**
         * The next events of the application, at most {@code max}, in order per partition, each with its position;
         * records of other applications and records that are no valid event are skipped. Waits a short while at most
         * when there are none.
         */
        List<Event> read(int max) throws HistoryException;

        /** The offset of the next record the reading will look at in the partition (past markers and gaps). */
        long position(PartitionId partition) throws HistoryException;

        /** Reads only these partitions from now on (the others are done). */
        void only(Set<PartitionId> partitions);

        /** Reads the partition from {@code offset} on: back to records it returned before and were not used. */
        void seek(PartitionId partition, long offset);

        @Override
        void close();
    }

    /** The history cannot be read now (the message is for the log, not for clients). */
    final class HistoryException extends Exception {

        private static final long serialVersionUID = 1L;

        public HistoryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
