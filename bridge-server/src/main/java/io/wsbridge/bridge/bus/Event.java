package io.wsbridge.bridge.bus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One event as the bridge delivers it: the application it belongs to, its channel (the CloudEvent
 * {@code subject}, may be {@code null}) and the frame text. The text is encoded to UTF-8 once, here, and the
 * same bytes are written to every subscriber.
 */
public final class Event {

    private final String application;
    private final String channel;
    private final byte[] utf8;
    private final long publishedNanos = System.nanoTime();

    /**
     * @param application the application whose subscribers receive the event
     * @param channel the channel subscribers of {@code /{application}/{channel}} filter on, or {@code null}
     * @param text the complete text frame: one CloudEvent in structured JSON
     */
    public Event(String application, String channel, String text) {
        this.application = Objects.requireNonNull(application, "application");
        this.channel = channel;
        this.utf8 = Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8);
    }

    private Event(String application, String channel, byte[] utf8) {
        this.application = Objects.requireNonNull(application, "application");
        this.channel = channel;
        this.utf8 = Objects.requireNonNull(utf8, "utf8");
    }

    /**
     * An event from a frame that is already encoded, such as one a peer bridge forwarded: the bytes are neither
     * decoded nor copied, and the event owns them from now on.
     *
     * @param utf8 the complete text frame as UTF-8, as another bridge encoded it
     */
    public static Event fromUtf8(String application, String channel, byte[] utf8) {
        return new Event(application, channel, utf8);
    }

    public String application() {
        return application;
    }

    public String channel() {
        return channel;
    }

    /** The frame text, decoded again from the shared bytes; meant for tests and logs, not the hot path. */
    public String text() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** A fresh read-only view of the shared UTF-8 bytes, one per write; the bytes are never copied. */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(utf8).asReadOnlyBuffer();
    }

    /** {@link System#nanoTime()} when the event was created, for the dispatch latency. */
    public long publishedNanos() {
        return publishedNanos;
    }

    /** Size of the encoded frame payload in bytes. */
    public int size() {
        return utf8.length;
    }

    @Override
    public String toString() {
        return "Event[application=" + application + ", channel=" + channel + ", bytes=" + utf8.length + "]";
    }
}
