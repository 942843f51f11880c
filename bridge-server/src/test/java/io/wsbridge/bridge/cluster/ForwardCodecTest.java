package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardCodecTest {

    static final String FRAME = "{\"specversion\":\"1.0\",\"id\":\"1\",\"data\":\"grüße\"}";

    /** The two fragments a peer link sends: the header, then the event's own bytes. */
    static List<ByteBuffer> message(Event event, boolean plain, List<GroupKey> groups) {
        return List.of(ForwardCodec.header(event, plain, groups), event.body());
    }

    static ByteBuffer concat(List<ByteBuffer> fragments) {
        int size = fragments.stream().mapToInt(ByteBuffer::remaining).sum();
        ByteBuffer all = ByteBuffer.allocate(size);
        fragments.forEach(fragment -> all.put(fragment.duplicate()));
        return all.flip();
    }

    @Test
    void headerAndEventBytesDecodeToTheSameEventAndRecipients() throws Exception {
        Event event = new Event("app", "door", FRAME);
        List<GroupKey> groups = List.of(GroupKey.anonymous("billing", null), GroupKey.anonymous("alarms", "door"),
                new GroupKey("alice", "billing", null), new GroupKey("jürgen", "alarms", "door"),
                new GroupKey("alice", "alarms", null, "type = 'alarm' AND device IN ('d1', 'd2')"),
                new GroupKey(null, "g", "door", "EXISTS device"));
        ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(1024);
        List<ByteBuffer> fragments = message(event, true, groups);

        assertThat(decoder.feed(fragments.get(0), false)).isNull();
        ForwardCodec.Forwarded forwarded = decoder.feed(fragments.get(1), true);

        assertThat(forwarded.plain()).isTrue();
        assertThat(forwarded.groups()).isEqualTo(groups);
        assertThat(forwarded.event().application()).isEqualTo("app");
        assertThat(forwarded.event().channel()).isEqualTo("door");
        assertThat(forwarded.event().text()).isEqualTo(FRAME);
    }

    @Test
    void aStampedEventTravelsWithItsPositionAndWithoutTheSendersCursor() throws Exception {
        Event event = Event.fromUtf8("app", "door", FRAME.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "events-app", 2, 1_234_567_890_123L).withCursor("AQsenders");
        ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(1024);

        ForwardCodec.Forwarded forwarded = decoder.feed(concat(message(event, true, List.of())), true);

        assertThat(forwarded.event().text()).isEqualTo(FRAME);
        assertThat(forwarded.event().topic()).isEqualTo("events-app");
        assertThat(forwarded.event().partition()).isEqualTo(2);
        assertThat(forwarded.event().offset()).isEqualTo(1_234_567_890_123L);
        assertThat(ForwardCodec.header(event, true, List.of()).get(4)).as("version").isEqualTo((byte) 2);
        assertThat(ForwardCodec.header(new Event("app", null, FRAME), true, List.of()).get(4))
                .as("version without a position, which bridges before positions read").isEqualTo((byte) 1);
    }

    @Test
    void theEventBytesAreSentAsTheyAreNotReEncoded() {
        Event event = new Event("app", null, FRAME);

        List<ByteBuffer> fragments = message(event, false, List.of(GroupKey.anonymous("g", null)));

        assertThat(fragments.get(1)).isEqualTo(event.body());
        assertThat(fragments.get(0).remaining()).as("a small header").isLessThan(32);
    }

    @Test
    void fragmentsSplitAnywhereStillDecode() throws Exception {
        Event event = new Event("app", null, FRAME);
        List<GroupKey> groups = List.of(GroupKey.anonymous("g", "c"), new GroupKey("alice", "g", "c"));
        ByteBuffer whole = concat(message(event, false, groups));
        for (int chunk = 1; chunk <= 7; chunk++) {
            ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(1024);
            ByteBuffer input = whole.duplicate();
            ForwardCodec.Forwarded forwarded = null;
            while (input.hasRemaining()) {
                int size = Math.min(chunk, input.remaining());
                ByteBuffer fragment = input.slice().limit(size);
                input.position(input.position() + size);
                forwarded = decoder.feed(fragment, !input.hasRemaining());
            }
            assertThat(forwarded.event().text()).isEqualTo(FRAME);
            assertThat(forwarded.plain()).isFalse();
            assertThat(forwarded.groups()).isEqualTo(groups);
        }
    }

    @Test
    void anAnonymousGroupIsWrittenAsBeforePrincipalsAndAUsersGroupNamesItsPrincipal() {
        Event event = new Event("a", null, "x");

        ByteBuffer anonymous = ForwardCodec.header(event, false, List.of(GroupKey.anonymous("g", null)));
        ByteBuffer alices = ForwardCodec.header(event, false, List.of(new GroupKey("al", "g", null)));

        // version 1, no flags, then: the event's size, the application, one group
        byte[] common = {0, 0, 0, 1, 0, 1, 'a', 0, 1};
        assertThat(bytes(anonymous)).isEqualTo(join(new byte[] {0, 0, 0, 15, 1, 0}, common,
                new byte[] {0, 0, 1, 'g'}));
        assertThat(bytes(alices)).isEqualTo(join(new byte[] {0, 0, 0, 19, 1, 0}, common,
                new byte[] {4, 0, 2, 'a', 'l', 0, 1, 'g'}));
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    static byte[] join(byte[]... parts) {
        ByteBuffer all = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(part -> part.length).sum());
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }

    @Test
    void oneDecoderReadsMessageAfterMessage() throws Exception {
        ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(1024);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Event event = new Event("app", null, "e" + i);
            texts.add(decoder.feed(concat(message(event, true, List.of())), true).event().text());
        }
        assertThat(texts).containsExactly("e0", "e1", "e2");
    }

    @Test
    void brokenMessagesAreRefused() {
        Event event = new Event("app", null, FRAME);
        ByteBuffer whole = concat(message(event, true, List.of()));

        assertThatThrownBy(() -> new ForwardCodec.Decoder(1024).feed(whole.duplicate().limit(whole.limit() - 1), true))
                .isInstanceOf(ForwardCodec.MalformedException.class)
                .hasMessage("message ended before the event did");
        assertThatThrownBy(() -> new ForwardCodec.Decoder(10).feed(whole.duplicate(), true))
                .hasMessage("event of " + event.size() + " bytes");
        ByteBuffer longer = concat(List.of(whole.duplicate(), ByteBuffer.wrap(new byte[] {1})));
        assertThatThrownBy(() -> new ForwardCodec.Decoder(1024).feed(longer, true))
                .hasMessage("more event bytes than the header announced");
        assertThatThrownBy(() -> new ForwardCodec.Decoder(1024).feed(ByteBuffer.wrap(new byte[] {0, 0, 0, 1}), true))
                .hasMessage("header of 1 bytes");
    }
}
