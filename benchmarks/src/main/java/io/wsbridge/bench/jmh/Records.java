package io.wsbridge.bench.jmh;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.common.record.TimestampType;

/** The records the benchmarks convert: Drogue-style telemetry CloudEvents with about 200 bytes of JSON data. */
final class Records {

    static final String TOPIC = "events-bench";
    static final String APPLICATION = "bench";

    private Records() {
    }

    /** JSON data of exactly {@code size} bytes: a timestamp, a sequence number, a device, a reading and padding. */
    static byte[] data(long seq, int size) {
        String head = "{\"ts\":" + 1_700_000_000_000_000L + ",\"seq\":" + seq + ",\"device\":\"device-"
                + (seq % 100) + "\",\"temp\":21.5,\"pad\":\"";
        StringBuilder json = new StringBuilder(head);
        while (json.length() < size - 2) {
            json.append('x');
        }
        return json.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Binary mode, as Drogue Cloud and {@code ./bench.sh} produce them, through Connect's ByteArrayConverter. */
    static SinkRecord binary(long offset) {
        ConnectHeaders headers = new ConnectHeaders();
        headers.addBytes("ce_specversion", bytes("1.0"));
        headers.addBytes("ce_id", bytes("id-" + offset));
        headers.addBytes("ce_source", bytes("drogue://" + APPLICATION + "/device-" + (offset % 100)));
        headers.addBytes("ce_type", bytes("io.drogue.event.v1"));
        headers.addBytes("ce_subject", bytes("telemetry"));
        headers.addBytes("ce_time", bytes("2024-05-01T12:00:00.000Z"));
        headers.addBytes("ce_application", bytes(APPLICATION));
        headers.addBytes("ce_device", bytes("device-" + (offset % 100)));
        headers.addBytes("content-type", bytes("application/json"));
        return new SinkRecord(TOPIC, 0, Schema.OPTIONAL_BYTES_SCHEMA, bytes("device-" + (offset % 100)),
                Schema.OPTIONAL_BYTES_SCHEMA, data(offset, 200), offset, 1_700_000_000_000L,
                TimestampType.CREATE_TIME, headers);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
