package io.wsbridge.bridge.resume;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A position in an application's stream: for each partition of the application's topics, the offset of the next
 * record to deliver. Subscribers see it as the opaque {@code wsbridgecursor} string and give it back in {@code ?from=}.
 *
 * <p>The string is base64url (no padding) of a compact, versioned binary form:
 * <pre>
 * cursor := u8 version (1), u32 applicationHash, varint topicCount, topic*
 * topic  := varint nameLength, UTF-8 name, varint entryCount, entry*     (topics in ascending order)
 * entry  := varint partitionStep, varint nextOffset                       (partitions ascending; the step is the
 *                                                                          partition minus the previous one plus 1)
 * </pre>
 * The application hash (the first four bytes of the SHA-256 of the application's name) lets the bridge refuse a
 * cursor of another application; it is no secret and a cursor grants nothing.
 */
public final class Cursor {

    static final int VERSION = 1;
    /** A longer {@code from} is refused without decoding it: some 2,000 partitions of long topic names. */
    static final int MAX_ENCODED_LENGTH = 64 * 1024;
    private static final int MAX_TOPIC_BYTES = 249;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final int applicationHash;
    private final NavigableMap<PartitionId, Long> positions;

    Cursor(int applicationHash, Map<PartitionId, Long> positions) {
        this.applicationHash = applicationHash;
        this.positions = Collections.unmodifiableNavigableMap(new TreeMap<>(positions));
    }

    /** A cursor of {@code application} at {@code positions} (partition to next offset). */
    public static Cursor of(String application, Map<PartitionId, Long> positions) {
        return new Cursor(applicationHash(application), positions);
    }

    /** Partition to the offset of the next record to deliver, in ascending order. */
    public NavigableMap<PartitionId, Long> positions() {
        return positions;
    }

    /** The first four bytes of the SHA-256 of the application's name, big-endian. */
    public static int applicationHash(String application) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(application.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getInt();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The cursor's string form. */
    public String encode() {
        return new String(encodeAscii(), StandardCharsets.US_ASCII);
    }

    /** The cursor's string form as US-ASCII bytes, the form a stamped frame carries. */
    public byte[] encodeAscii() {
        return encodeAscii(new Writer(), applicationHash, positions);
    }

    /** Encodes {@code positions} (ascending) as a cursor of the application with {@code applicationHash}. */
    static byte[] encodeAscii(Writer writer, int applicationHash, NavigableMap<PartitionId, Long> positions) {
        int topics = 0;
        String last = null;
        for (PartitionId partition : positions.keySet()) {
            if (!partition.topic().equals(last)) {
                topics++;
                last = partition.topic();
            }
        }
        writer.begin(applicationHash, topics);
        last = null;
        for (Map.Entry<PartitionId, Long> entry : positions.entrySet()) {
            PartitionId partition = entry.getKey();
            if (!partition.topic().equals(last)) {
                last = partition.topic();
                writer.topic(last, positions.subMap(partition, true, new PartitionId(last, Integer.MAX_VALUE), true)
                        .size());
            }
            writer.entry(partition.partition(), entry.getValue());
        }
        return writer.finishAscii();
    }

    int applicationHash() {
        return applicationHash;
    }

    /**
     * Reads a cursor of {@code application}.
     *
     * @throws CursorException if {@code text} is no cursor, or one of another application; the message says which
     */
    public static Cursor decode(String text, String application) throws CursorException {
        if (text.length() > MAX_ENCODED_LENGTH) {
            throw new CursorException("malformed cursor: longer than " + MAX_ENCODED_LENGTH + " characters");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new CursorException("malformed cursor: not base64url");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            int version = in.get() & 0xFF;
            if (version != VERSION) {
                throw new CursorException("malformed cursor: unknown version " + version);
            }
            int hash = in.getInt();
            Map<PartitionId, Long> positions = new TreeMap<>();
            long topics = varint(in);
            String previous = null;
            for (long t = 0; t < topics; t++) {
                long length = varint(in);
                if (length < 1 || length > MAX_TOPIC_BYTES || length > in.remaining()) {
                    throw new CursorException("malformed cursor: a topic name of " + length + " bytes");
                }
                byte[] name = new byte[(int) length];
                in.get(name);
                String topic = strictUtf8(name);
                if (previous != null && previous.compareTo(topic) >= 0) {
                    throw new CursorException("malformed cursor: topics out of order");
                }
                previous = topic;
                long entries = varint(in);
                long partition = -1;
                for (long e = 0; e < entries; e++) {
                    long step = varint(in);
                    partition += step;
                    if (step < 1 || partition > Integer.MAX_VALUE) {
                        throw new CursorException("malformed cursor: partitions out of order");
                    }
                    positions.put(new PartitionId(topic, (int) partition), varint(in));
                }
            }
            if (in.hasRemaining()) {
                throw new CursorException("malformed cursor: " + in.remaining() + " bytes after its end");
            }
            if (hash != applicationHash(application)) {
                throw new CursorException("the cursor belongs to another application than '" + application + "'");
            }
            return new Cursor(hash, positions);
        } catch (java.nio.BufferUnderflowException e) {
            throw new CursorException("malformed cursor: it ends too early");
        }
    }

    private static String strictUtf8(byte[] bytes) throws CursorException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CursorException("malformed cursor: a topic name that is not UTF-8");
        }
    }

    private static long varint(ByteBuffer in) throws CursorException {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (value < 0) {
                    break;
                }
                return value;
            }
        }
        throw new CursorException("malformed cursor: a number out of range");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Cursor cursor && cursor.applicationHash == applicationHash
                && cursor.positions.equals(positions);
    }

    @Override
    public int hashCode() {
        return 31 * applicationHash + positions.hashCode();
    }

    @Override
    public String toString() {
        return "Cursor" + positions;
    }

    /**
     * Writes the binary form into a buffer it reuses, and its base64url text. Not thread-safe: the live stream keeps
     * one and uses it under its lock.
     */
    static final class Writer {

        /** The binary form being written; reused from cursor to cursor (the writer is not thread-safe). */
        private byte[] out = new byte[64];
        private int size;
        private int lastPartition;

        void begin(int applicationHash, int topics) {
            size = 0;
            write(VERSION);
            write(applicationHash >>> 24);
            write(applicationHash >>> 16);
            write(applicationHash >>> 8);
            write(applicationHash);
            varint(topics);
        }

        void topic(String name, int entries) {
            topic(name.getBytes(StandardCharsets.UTF_8), entries);
        }

        void topic(byte[] utf8Name, int entries) {
            varint(utf8Name.length);
            room(utf8Name.length);
            System.arraycopy(utf8Name, 0, out, size, utf8Name.length);
            size += utf8Name.length;
            varint(entries);
            lastPartition = -1;
        }

        void entry(int partition, long nextOffset) {
            varint(partition - lastPartition);
            varint(nextOffset);
            lastPartition = partition;
        }

        /** The encoded cursor as US-ASCII bytes (base64url, no padding), the form the frames carry. */
        byte[] finishAscii() {
            return ENCODER.encode(Arrays.copyOf(out, size));
        }

        private void varint(long value) {
            room(10);
            long rest = value;
            while ((rest & ~0x7FL) != 0) {
                out[size++] = (byte) ((rest & 0x7F) | 0x80);
                rest >>>= 7;
            }
            out[size++] = (byte) rest;
        }

        private void write(int b) {
            room(1);
            out[size++] = (byte) b;
        }

        private void room(int bytes) {
            if (size + bytes > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, size + bytes));
            }
        }
    }
}
