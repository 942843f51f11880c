package io.wsbridge.bench.nullsink;

import java.util.Collection;
import java.util.Map;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/** Takes the records and drops them; Connect's task metrics ({@code sink-record-send-total}) count them. */
public final class NullSinkTask extends SinkTask {

    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public void put(Collection<SinkRecord> records) {
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
        return "bench";
    }
}
