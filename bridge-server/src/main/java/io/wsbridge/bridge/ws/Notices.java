package io.wsbridge.bridge.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.resume.Gap;
import java.time.Instant;
import java.util.UUID;

/**
 * The bridge's own messages in a subscriber's stream, CloudEvents of source {@value #SOURCE} without a
 * {@code wsbridgecursor} (they are no position in the application's stream): {@value #GAP_TYPE} where events were
 * lost, {@value #CLOSED_TYPE} as the last message of a Server-Sent Events stream the bridge ends.
 */
final class Notices {

    static final String SOURCE = "/wsbridge";
    /**
     * Events are missing here: {@code data.reason} says why ({@code overflow}: {@code data.dropped} how many;
     * {@code retention}: {@code data.lost} and {@code data.partitions} which).
     */
    static final String GAP_TYPE = "io.wsbridge.gap";
    /** The bridge ended the stream: {@code data.code} and {@code data.reason} as a WebSocket close would give. */
    static final String CLOSED_TYPE = "io.wsbridge.closed";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Notices() {
    }

    /**
     * The notice of {@code dropped} events of {@code application} that the {@code drop-oldest} policy dropped from a
     * subscriber's queue, sent where they would have been.
     */
    static Event overflowGap(String application, long dropped) {
        ObjectNode event = notice(application, GAP_TYPE);
        ObjectNode data = event.putObject("data");
        data.put("reason", "overflow");
        data.put("dropped", dropped);
        return new Event(application, null, event.toString());
    }

    /**
     * The notice, first in a resumed stream, of what its cursor pointed at and Kafka no longer holds: for each
     * partition, {@code lost} offsets removed by retention (at most as many events), or {@code lost: null} and
     * {@code gone: true} for a partition the application's stream no longer has; {@code data.lost} is the sum of the
     * known counts.
     */
    static Event retentionGap(String application, Gap gap) {
        ObjectNode event = notice(application, GAP_TYPE);
        ObjectNode data = event.putObject("data");
        data.put("reason", "retention");
        data.put("lost", gap.removed().values().stream().mapToLong(Long::longValue).sum());
        ArrayNode partitions = data.putArray("partitions");
        gap.removed().forEach((partition, lost) -> partitions.addObject()
                .put("topic", partition.topic()).put("partition", partition.partition()).put("lost", lost));
        gap.gone().forEach(partition -> partitions.addObject()
                .put("topic", partition.topic()).put("partition", partition.partition()).putNull("lost")
                .put("gone", true));
        return new Event(application, null, event.toString());
    }

    /** The last message of a stream of {@code application} that the bridge ends with {@code code}. */
    static Event closed(String application, int code, String reason) {
        ObjectNode event = notice(application, CLOSED_TYPE);
        ObjectNode data = event.putObject("data");
        data.put("code", code);
        data.put("reason", reason);
        return new Event(application, null, event.toString());
    }

    private static ObjectNode notice(String application, String type) {
        ObjectNode event = JSON.createObjectNode();
        event.put("specversion", "1.0");
        event.put("id", UUID.randomUUID().toString());
        event.put("source", SOURCE);
        event.put("type", type);
        event.put("subject", application);
        event.put("time", Instant.now().toString());
        event.put("datacontenttype", "application/json");
        return event;
    }
}
