package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.bus.Event;
import java.util.Arrays;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The Server-Sent Events wire format (the HTML standard's {@code text/event-stream}) of wsbridge's messages: an event
 * is {@code id: <cursor>} and {@code data: <CloudEvent JSON>}, with no {@code event:} field (the browser's default
 * {@code message}); a JSON text with line breaks (pretty-printed by its producer) is sent as several {@code data:}
 * lines, which the client joins with {@code \n} again. Comments ({@code :}) keep a quiet stream alive.
 */
final class SseFormat {

    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] KEEP_ALIVE = ":\n\n".getBytes(StandardCharsets.US_ASCII);

    private SseFormat() {
    }

    /** The first bytes of a stream: how long a browser waits before it reconnects, and a comment. */
    static byte[] preamble(long retryMillis) {
        return ("retry: " + retryMillis + "\n: wsbridge\n\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Appends the event as one message: its cursor as {@code id} (if it has one), its frame as {@code data}. */
    static void append(Event event, Bytes out) {
        String cursor = event.cursor();
        if (cursor != null) {
            out.write(ID);
            for (int i = 0; i < cursor.length(); i++) {
                out.write(cursor.charAt(i)); // URL-safe ASCII
            }
            out.write('\n');
        }
        appendData(event.payload(), out);
        out.write('\n');
    }

    /** Appends {@code data:} lines: one per line of the text; {@code \r\n}, {@code \r} and {@code \n} end a line. */
    static void appendData(ByteBuffer text, Bytes out) {
        int start = text.position();
        int end = text.limit();
        int lineStart = start;
        for (int i = start; i < end; i++) {
            byte b = text.get(i);
            if (b == '\n' || b == '\r') {
                line(text, lineStart, i, out);
                if (b == '\r' && i + 1 < end && text.get(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        line(text, lineStart, end, out);
    }

    private static void line(ByteBuffer text, int from, int to, Bytes out) {
        out.write(DATA);
        out.write(text, from, to - from);
        out.write('\n');
    }

    /** A growable byte array that takes bytes from read-only buffers in bulk (events share theirs read-only). */
    static final class Bytes {

        private byte[] bytes;
        private int size;

        Bytes(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void write(byte[] b) {
            write(b, 0, b.length);
        }

        void write(byte[] b, int offset, int length) {
            ensure(length);
            System.arraycopy(b, offset, bytes, size, length);
            size += length;
        }

        /** Copies {@code length} bytes of {@code source} from its index {@code from}, its position untouched. */
        void write(ByteBuffer source, int from, int length) {
            ensure(length);
            source.get(from, bytes, size, length);
            size += length;
        }

        int size() {
            return size;
        }

        /** The bytes written, as a buffer over the builder's own array (valid until it is written to again). */
        ByteBuffer buffer() {
            return ByteBuffer.wrap(bytes, 0, size);
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
