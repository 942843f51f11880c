package io.wsbridge.bridge.bus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One event as the bridge delivers it: the application it belongs to, its channel (the CloudEvent {@code subject},
 * may be {@code null}), the frame text, and where it comes from in Kafka (topic, partition, offset, as plain values:
 * the bridge knows nothing of Kafka). The text is encoded to UTF-8 once, here, and the same bytes are written to
 * every subscriber.
 *
 * <p>Once the bridge has placed the event in its application's stream, it {@linkplain #withCursor stamps} it with the
 * stream position after it: the frame subscribers get is then the event's JSON object with the extension attribute
 * {@value #CURSOR_ATTRIBUTE} first. Stamping copies nothing: a direct write {@linkplain #copyFrameTo puts} the
 * attribute and the shared body into its buffer, which it copies anyway; the frame as one array is made only when a
 * writer asks for it ({@link #payload()}), once per event. The bare {@link #body()} is what peers get (they stamp
 * their own).
 *
 * <p>An event from a binary-mode record may carry its {@link #attributes()} as the connector read them, for filters;
 * any other is read from its frame when a filter needs it.
 */
public final class Event {

    /** The CloudEvent extension attribute that carries the stream position after an event. */
    public static final String CURSOR_ATTRIBUTE = "wsbridgecursor";
    /** {@code partition()} of an event that does not come from a Kafka partition. */
    public static final int NO_PARTITION = -1;

    private static final byte[] CURSOR_PREFIX = ("{\"" + CURSOR_ATTRIBUTE + "\":\"").getBytes(StandardCharsets.US_ASCII);

    private final String application;
    private final String channel;
    private final byte[] utf8;
    /** The stamped frame as one array, made on the first {@link #payload()}; the body itself if not stamped. */
    private volatile byte[] frame;
    /** Size of the frame in bytes. */
    private final int frameSize;
    private final String topic;
    private final int partition;
    private final long offset;
    private final long publishedNanos;
    /** The stream position after the event as US-ASCII bytes, once stamped (never changed); else {@code null}. */
    private final byte[] cursor;
    /** Whether the stamped body is an empty JSON object: no comma after the cursor. */
    private final boolean emptyObject;
    /** {@link #cursor} as a string, made on the first {@link #cursor()}. */
    private String cursorText;
    /** The attributes the frame holds, as the connector read them; {@code null} if it did not say. */
    private final EventAttributes attributes;

    /**
     * @param application the application whose subscribers receive the event
     * @param channel the channel subscribers of {@code /{application}/{channel}} filter on, or {@code null}
     * @param text the complete text frame: one CloudEvent in structured JSON
     */
    public Event(String application, String channel, String text) {
        this(application, channel, Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8), null,
                NO_PARTITION, -1, System.nanoTime(), null, false, null);
    }

    private Event(String application, String channel, byte[] utf8, String topic, int partition, long offset,
            long publishedNanos, byte[] cursor, boolean emptyObject, EventAttributes attributes) {
        this.application = Objects.requireNonNull(application, "application");
        this.channel = channel;
        this.utf8 = Objects.requireNonNull(utf8, "utf8");
        this.topic = topic;
        this.partition = topic == null ? NO_PARTITION : partition;
        this.offset = topic == null ? -1 : offset;
        this.publishedNanos = publishedNanos;
        this.cursor = cursor;
        this.emptyObject = emptyObject;
        if (cursor == null) {
            this.frame = utf8;
            this.frameSize = utf8.length;
        } else {
            this.frameSize = CURSOR_PREFIX.length + cursor.length + (emptyObject ? 1 : 2) + utf8.length - 1;
        }
        this.attributes = attributes;
    }

    /**
     * An event from a frame that is already encoded, such as one a peer bridge forwarded: the bytes are neither
     * decoded nor copied, and the event owns them from now on.
     *
     * @param utf8 the complete text frame as UTF-8, as another bridge encoded it
     */
    public static Event fromUtf8(String application, String channel, byte[] utf8) {
        return fromUtf8(application, channel, utf8, null);
    }

    /**
     * An event without a Kafka position, with the attributes its frame holds as the connector read them.
     *
     * @param attributes exactly the members of the frame besides the data, or {@code null}: filters read the frame
     */
    public static Event fromUtf8(String application, String channel, byte[] utf8, EventAttributes attributes) {
        return new Event(application, channel, utf8, null, NO_PARTITION, -1, System.nanoTime(), null, false,
                attributes);
    }

    /**
     * An event that comes from a Kafka record, with the record's position: the bridge places it in the
     * application's stream by it.
     *
     * @param topic the record's topic
     * @param partition the record's partition, at least 0
     * @param offset the record's offset, at least 0
     */
    public static Event fromUtf8(String application, String channel, byte[] utf8, String topic, int partition,
            long offset) {
        return fromUtf8(application, channel, utf8, topic, partition, offset, null);
    }

    /**
     * An event from a Kafka record, with the attributes its frame holds as the connector read them.
     *
     * @param attributes exactly the members of the frame besides the data, or {@code null}: filters read the frame
     * @see #fromUtf8(String, String, byte[], String, int, long)
     */
    public static Event fromUtf8(String application, String channel, byte[] utf8, String topic, int partition,
            long offset, EventAttributes attributes) {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("a position needs a partition and an offset of at least 0, was "
                    + partition + "/" + offset);
        }
        return new Event(application, channel, utf8, topic, partition, offset, System.nanoTime(), null, false,
                attributes);
    }

    /**
     * The same event with {@code cursor} as its {@value #CURSOR_ATTRIBUTE} attribute in the frame: the JSON object's
     * first member, in front of the original members, which are neither copied nor re-encoded.
     *
     * @param cursor an encoded cursor: URL-safe characters only, nothing to escape in JSON
     */
    public Event withCursor(String cursor) {
        return withCursor(cursor.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * As {@link #withCursor(String)}, with the cursor as US-ASCII bytes; the event keeps the array, which must not
     * change afterwards (several events may share it).
     */
    public Event withCursor(byte[] asciiCursor) {
        if (utf8.length == 0 || utf8[0] != '{') {
            return this; // not a JSON object: no place for an attribute
        }
        int rest = 1;
        while (rest < utf8.length && isJsonSpace(utf8[rest])) {
            rest++;
        }
        boolean empty = rest < utf8.length && utf8[rest] == '}';
        return new Event(application, channel, utf8, topic, partition, offset, publishedNanos,
                Objects.requireNonNull(asciiCursor, "cursor"), empty, attributes);
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /** Whether the event was stamped with a {@link #cursor}. */
    public boolean hasCursor() {
        return cursor != null;
    }

    /**
     * The stream position after the event, as its {@value #CURSOR_ATTRIBUTE} attribute carries it (what a Server-Sent
     * Events message's {@code id} is), or {@code null} if it was not stamped.
     */
    public String cursor() {
        if (cursor == null) {
            return null;
        }
        String text = cursorText;
        if (text == null) {
            text = new String(cursor, StandardCharsets.US_ASCII);
            cursorText = text; // a race makes equal strings, and a String is safe to publish so
        }
        return text;
    }

    /**
     * The context attributes and extensions of the event's JSON object as the connector read them, without the
     * {@linkplain #cursor() cursor}; {@code null} if it did not say (read them from the frame).
     */
    public EventAttributes attributes() {
        return attributes;
    }

    public String application() {
        return application;
    }

    public String channel() {
        return channel;
    }

    /** Whether the event comes from a Kafka partition ({@link #topic()}, {@link #partition()}, {@link #offset()}). */
    public boolean hasPosition() {
        return topic != null;
    }

    /** The record's topic, or {@code null} if the event has no position. */
    public String topic() {
        return topic;
    }

    /** The record's partition, or {@value #NO_PARTITION}. */
    public int partition() {
        return partition;
    }

    /** The record's offset, or -1. */
    public long offset() {
        return offset;
    }

    /** The frame text, decoded again from the shared bytes; meant for tests and logs, not the hot path. */
    public String text() {
        return new String(frame(), StandardCharsets.UTF_8);
    }

    /**
     * A fresh read-only view of the frame's shared UTF-8 bytes (with the cursor, if stamped), one per write. The first
     * call on a stamped event makes the frame as one array, which later calls share.
     */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(frame()).asReadOnlyBuffer();
    }

    /**
     * Puts the frame ({@link #size()} bytes) into {@code target}: the cursor attribute and the shared body, copied
     * straight from where they are, with no array and no view made.
     */
    public void copyFrameTo(ByteBuffer target) {
        byte[] whole = frame;
        if (whole != null) {
            target.put(whole);
            return;
        }
        target.put(CURSOR_PREFIX).put(cursor).put((byte) '"');
        if (!emptyObject) {
            target.put((byte) ',');
        }
        target.put(utf8, 1, utf8.length - 1);
    }

    private byte[] frame() {
        byte[] whole = frame;
        if (whole == null) {
            ByteBuffer made = ByteBuffer.allocate(frameSize);
            copyFrameTo(made);
            whole = made.array();
            frame = whole; // volatile: the array is complete before another thread can see it
        }
        return whole;
    }

    /** A fresh read-only view of the event's JSON as the connector encoded it, without a cursor (for peers). */
    public ByteBuffer body() {
        return ByteBuffer.wrap(utf8).asReadOnlyBuffer();
    }

    /** Size of {@link #body()} in bytes. */
    public int bodySize() {
        return utf8.length;
    }

    /** {@link System#nanoTime()} when the event was created, for the dispatch latency. */
    public long publishedNanos() {
        return publishedNanos;
    }

    /** Size of the frame payload in bytes. */
    public int size() {
        return frameSize;
    }

    @Override
    public String toString() {
        return "Event[application=" + application + ", channel=" + channel + ", bytes=" + frameSize
                + (topic == null ? "" : ", at=" + topic + "/" + partition + "/" + offset) + "]";
    }
}
