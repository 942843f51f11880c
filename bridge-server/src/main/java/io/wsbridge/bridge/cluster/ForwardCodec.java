package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A forwarded event on a peer link: one binary WebSocket message made of a small header and the event's frame bytes,
 * exactly as the consuming bridge encoded them. The sender writes the header and the event bytes as two fragments of
 * one message, so the event is neither re-encoded nor copied; the receiver reads the fragments straight into the
 * new event's array.
 *
 * <pre>
 * message := u32 headerLength, header, payload
 * header  := u8 version (1 or 2), u8 flags (1 = plain, 2 = has channel, 8 = has position), u32 payloadLength,
 *            str application, [str channel], [position], u16 groupCount, group*
 * position := str topic, u32 partition, u64 offset        (version 2 only)
 * group   := u8 flags (2 = has channel, 4 = has principal, 8 = has filter), [str principal], str groupId,
 *            [str channel], [str filter]
 * str     := u16 byteLength, UTF-8 bytes
 * </pre>
 *
 * <p>The payload is the event's {@linkplain Event#body() body}, without the sender's cursor: the receiver places the
 * event in its own stream by its position and stamps its own cursor. An event without a position goes as version 1,
 * which bridges before positions read too.
 *
 * <p>A group names its principal (the user or service account of its members, never a credential), so a peer hands
 * the event to a member of the same principal's group; a group without one is anonymous members'. A group with a
 * filter names its expression: it is part of the group's key.
 */
final class ForwardCodec {

    static final int VERSION = 2;
    private static final int VERSION_WITHOUT_POSITION = 1;
    private static final int HAS_POSITION = 8;
    private static final int PLAIN = 1;
    private static final int HAS_CHANNEL = 2;
    private static final int HAS_PRINCIPAL = 4;
    private static final int HAS_FILTER = 8;
    private static final int MAX_HEADER_BYTES = 1024 * 1024;

    private ForwardCodec() {
    }

    /**
     * The header of a forwarded event, with its length prefix, ready to send as the first fragment.
     *
     * @param plain whether the receiver delivers it to its plain subscribers
     * @param groups the groups of which the receiver delivers it to one local member
     */
    static ByteBuffer header(Event event, boolean plain, List<GroupKey> groups) {
        byte[] application = utf8(event.application());
        byte[] channel = event.channel() == null ? null : utf8(event.channel());
        byte[] topic = event.hasPosition() ? utf8(event.topic()) : null;
        int size = 1 + 1 + 4 + 2 + application.length + (channel == null ? 0 : 2 + channel.length)
                + (topic == null ? 0 : 2 + topic.length + 4 + 8) + 2;
        List<byte[]> names = new ArrayList<>(groups.size() * 4);
        for (GroupKey group : groups) {
            byte[] principal = group.principal() == null ? null : utf8(group.principal());
            byte[] id = utf8(group.groupId());
            byte[] groupChannel = group.channel() == null ? null : utf8(group.channel());
            byte[] filter = group.filter() == null ? null : utf8(group.filter());
            names.add(principal);
            names.add(id);
            names.add(groupChannel);
            names.add(filter);
            size += 1 + (principal == null ? 0 : 2 + principal.length) + 2 + id.length
                    + (groupChannel == null ? 0 : 2 + groupChannel.length) + (filter == null ? 0 : 2 + filter.length);
        }
        if (groups.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many groups: " + groups.size());
        }
        ByteBuffer header = ByteBuffer.allocate(4 + size);
        header.putInt(size);
        header.put((byte) (topic == null ? VERSION_WITHOUT_POSITION : VERSION));
        header.put((byte) ((plain ? PLAIN : 0) | (channel == null ? 0 : HAS_CHANNEL)
                | (topic == null ? 0 : HAS_POSITION)));
        header.putInt(event.bodySize());
        putString(header, application);
        if (channel != null) {
            putString(header, channel);
        }
        if (topic != null) {
            putString(header, topic);
            header.putInt(event.partition());
            header.putLong(event.offset());
        }
        header.putShort((short) groups.size());
        for (int i = 0; i < names.size(); i += 4) {
            byte[] principal = names.get(i);
            byte[] groupChannel = names.get(i + 2);
            byte[] filter = names.get(i + 3);
            header.put((byte) ((principal == null ? 0 : HAS_PRINCIPAL) | (groupChannel == null ? 0 : HAS_CHANNEL)
                    | (filter == null ? 0 : HAS_FILTER)));
            if (principal != null) {
                putString(header, principal);
            }
            putString(header, names.get(i + 1));
            if (groupChannel != null) {
                putString(header, groupChannel);
            }
            if (filter != null) {
                putString(header, filter);
            }
        }
        return header.flip();
    }

    private static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("name longer than 65535 bytes");
        }
        return bytes;
    }

    private static void putString(ByteBuffer buffer, byte[] bytes) {
        buffer.putShort((short) bytes.length);
        buffer.put(bytes);
    }

    /** A forwarded event as received: the event and where to deliver it. */
    record Forwarded(Event event, boolean plain, List<GroupKey> groups) {
    }

    /** A message that breaks the format; the link is closed with a protocol error. */
    static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * Reassembles forwarded events from the fragments of binary messages, wherever the fragments are split. One per
     * link; not thread-safe (a link delivers its frames one at a time).
     */
    static final class Decoder {

        private final int maxEventBytes;
        private final ByteBuffer length = ByteBuffer.allocate(4);
        private ByteBuffer header;
        private String application;
        private String channel;
        private String topic;
        private int partition;
        private long offset;
        private boolean plain;
        private List<GroupKey> groups;
        private byte[] payload;
        private int filled;

        Decoder(int maxEventBytes) {
            this.maxEventBytes = maxEventBytes;
        }

        /**
         * Consumes one fragment.
         *
         * @param last whether it ends its message
         * @return the event once {@code last} completes it, else {@code null}
         */
        Forwarded feed(ByteBuffer fragment, boolean last) throws MalformedException {
            while (fragment.hasRemaining()) {
                if (length.hasRemaining()) {
                    copy(fragment, length);
                    if (!length.hasRemaining()) {
                        int size = length.getInt(0);
                        if (size < 10 || size > MAX_HEADER_BYTES) {
                            throw new MalformedException("header of " + size + " bytes");
                        }
                        header = ByteBuffer.allocate(size);
                    }
                } else if (header.hasRemaining()) {
                    copy(fragment, header);
                    if (!header.hasRemaining()) {
                        parseHeader(header.flip());
                    }
                } else {
                    int count = Math.min(fragment.remaining(), payload.length - filled);
                    if (count == 0) {
                        throw new MalformedException("more event bytes than the header announced");
                    }
                    fragment.get(payload, filled, count);
                    filled += count;
                }
            }
            if (!last) {
                return null;
            }
            if (payload == null || filled != payload.length) {
                reset();
                throw new MalformedException("message ended before the event did");
            }
            Event event = topic == null ? Event.fromUtf8(application, channel, payload)
                    : Event.fromUtf8(application, channel, payload, topic, partition, offset);
            Forwarded forwarded = new Forwarded(event, plain, groups);
            reset();
            return forwarded;
        }

        private void parseHeader(ByteBuffer buffer) throws MalformedException {
            try {
                int version = buffer.get() & 0xFF;
                if (version != VERSION && version != VERSION_WITHOUT_POSITION) {
                    throw new MalformedException("unknown version " + version);
                }
                int flags = buffer.get() & 0xFF;
                if ((flags & HAS_POSITION) != 0 && version == VERSION_WITHOUT_POSITION) {
                    throw new MalformedException("a position in a version " + version + " header");
                }
                int size = buffer.getInt();
                if (size < 0 || size > maxEventBytes) {
                    throw new MalformedException("event of " + size + " bytes");
                }
                plain = (flags & PLAIN) != 0;
                application = getString(buffer);
                channel = (flags & HAS_CHANNEL) != 0 ? getString(buffer) : null;
                topic = null;
                if ((flags & HAS_POSITION) != 0) {
                    topic = getString(buffer);
                    partition = buffer.getInt();
                    offset = buffer.getLong();
                    if (topic.isEmpty() || partition < 0 || offset < 0) {
                        throw new MalformedException("position " + topic + "/" + partition + "/" + offset);
                    }
                }
                int count = buffer.getShort() & 0xFFFF;
                List<GroupKey> keys = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int groupFlags = buffer.get() & 0xFF;
                    String principal = (groupFlags & HAS_PRINCIPAL) != 0 ? getString(buffer) : null;
                    String id = getString(buffer);
                    String groupChannel = (groupFlags & HAS_CHANNEL) != 0 ? getString(buffer) : null;
                    String filter = (groupFlags & HAS_FILTER) != 0 ? getString(buffer) : null;
                    keys.add(new GroupKey(principal, id, groupChannel, filter));
                }
                if (buffer.hasRemaining()) {
                    throw new MalformedException("header longer than its fields");
                }
                groups = List.copyOf(keys);
                payload = new byte[size];
                filled = 0;
            } catch (java.nio.BufferUnderflowException e) {
                throw new MalformedException("header shorter than its fields");
            }
        }

        private static String getString(ByteBuffer buffer) {
            int size = buffer.getShort() & 0xFFFF;
            byte[] bytes = new byte[size];
            buffer.get(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private static void copy(ByteBuffer from, ByteBuffer to) {
            int count = Math.min(from.remaining(), to.remaining());
            ByteBuffer slice = from.slice();
            slice.limit(count);
            to.put(slice);
            from.position(from.position() + count);
        }

        private void reset() {
            length.clear();
            header = null;
            payload = null;
            groups = null;
            application = null;
            channel = null;
            topic = null;
            filled = 0;
        }
    }
}
