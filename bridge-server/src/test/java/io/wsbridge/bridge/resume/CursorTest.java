package io.wsbridge.bridge.resume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.bus.Event;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CursorTest {

    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    @Test
    void aCursorSurvivesItsStringFormAndTheStringIsUrlSafe() throws Exception {
        Random random = new Random(12);
        for (int round = 0; round < 500; round++) {
            Map<PartitionId, Long> positions = new TreeMap<>();
            int entries = random.nextInt(20);
            for (int i = 0; i < entries; i++) {
                String topic = "events-" + (char) ('a' + random.nextInt(4)) + (round % 2 == 0 ? "" : "-ü");
                long offset = random.nextBoolean() ? random.nextInt(1000) : random.nextLong() & Long.MAX_VALUE;
                positions.put(new PartitionId(topic, random.nextInt(round % 3 == 0 ? 4 : Integer.MAX_VALUE)), offset);
            }
            String encoded = Cursor.of("app", positions).encode();

            assertThat(encoded).matches("[A-Za-z0-9_-]+");
            assertThat(Cursor.decode(encoded, "app").positions()).isEqualTo(positions);
        }
    }

    @Test
    void theLiveStreamEncodesExactlyWhatACursorOfTheSamePositionsDoes() throws Exception {
        LiveStream stream = new LiveStream("app", new SharedPositions());
        stream.started("events-app", 0, 10);
        stream.started("events-app", 2, 0);
        stream.advance(Event.fromUtf8("app", null, new byte[] {'{', '}'}, "events-app", 1, 7));
        stream.advance(Event.fromUtf8("app", null, new byte[] {'{', '}'}, "other", 0, 3));

        Map<PartitionId, Long> expected = Map.of(new PartitionId("events-app", 0), 10L,
                new PartitionId("events-app", 1), 8L, new PartitionId("events-app", 2), 0L,
                new PartitionId("other", 0), 4L);
        assertThat(stream.encoded()).isEqualTo(Cursor.of("app", expected).encode());
        assertThat(Cursor.decode(stream.encoded(), "app").positions()).isEqualTo(expected);
    }

    @Test
    void theReadmesExampleIsARealCursor() throws Exception {
        assertThat(Cursor.decode("AUyadcwBDWV2ZW50cy1teS1hcHADAdIBAdABAc8B", "my-app").positions()).isEqualTo(Map.of(
                new PartitionId("events-my-app", 0), 210L, new PartitionId("events-my-app", 1), 208L,
                new PartitionId("events-my-app", 2), 207L));
    }

    @Test
    void aCursorOfAnotherApplicationIsRefusedSayingSo() {
        String encoded = Cursor.of("app", Map.of(new PartitionId("events-app", 0), 1L)).encode();

        assertThatThrownBy(() -> Cursor.decode(encoded, "other"))
                .isInstanceOf(CursorException.class)
                .hasMessage("the cursor belongs to another application than 'other'");
    }

    @Test
    void malformedCursorsAreRefusedSayingWhy() {
        String valid = Cursor.of("app", Map.of(new PartitionId("t", 0), 1L)).encode();
        byte[] bytes = Base64.getUrlDecoder().decode(valid);
        int hash = Cursor.applicationHash("app");

        assertThatThrownBy(() -> Cursor.decode("not*base64", "app")).hasMessage("malformed cursor: not base64url");
        assertThatThrownBy(() -> Cursor.decode(valid.substring(0, valid.length() - 3), "app"))
                .hasMessage("malformed cursor: it ends too early");
        byte[] version = bytes.clone();
        version[0] = 9;
        assertThatThrownBy(() -> Cursor.decode(URL.encodeToString(version), "app"))
                .hasMessage("malformed cursor: unknown version 9");
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 2);
        assertThatThrownBy(() -> Cursor.decode(URL.encodeToString(longer), "app"))
                .hasMessage("malformed cursor: 2 bytes after its end");
        // two topics, the second before the first
        ByteBuffer unordered = ByteBuffer.allocate(64).put((byte) 1).putInt(hash).put((byte) 2)
                .put((byte) 1).put((byte) 'b').put((byte) 0).put((byte) 1).put((byte) 'a').put((byte) 0);
        assertThatThrownBy(() -> Cursor.decode(URL.encodeToString(java.util.Arrays.copyOf(unordered.array(),
                unordered.position())), "app")).hasMessage("malformed cursor: topics out of order");
        ByteBuffer step = ByteBuffer.allocate(64).put((byte) 1).putInt(hash).put((byte) 1)
                .put((byte) 1).put((byte) 'a').put((byte) 2).put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0);
        assertThatThrownBy(() -> Cursor.decode(URL.encodeToString(java.util.Arrays.copyOf(step.array(),
                step.position())), "app")).hasMessage("malformed cursor: partitions out of order");
        assertThatThrownBy(() -> Cursor.decode("A".repeat(Cursor.MAX_ENCODED_LENGTH + 1), "app"))
                .hasMessage("malformed cursor: longer than " + Cursor.MAX_ENCODED_LENGTH + " characters");
        byte[] badName = new byte[] {1, (byte) (hash >>> 24), (byte) (hash >>> 16), (byte) (hash >>> 8), (byte) hash,
            1, 1, (byte) 0xC3, 0};
        assertThatThrownBy(() -> Cursor.decode(URL.encodeToString(badName), "app"))
                .hasMessage("malformed cursor: a topic name that is not UTF-8");
        assertThat(new String(bytes, 5, bytes.length - 5, StandardCharsets.ISO_8859_1)).contains("t");
    }

    @Test
    void anyTruncationOrBitFlipIsRefusedOrDecodesWithoutThrowingAnythingElse() {
        String valid = Cursor.of("app", Map.of(new PartitionId("events-app", 0), 123_456L,
                new PartitionId("events-app", 5), 9L, new PartitionId("z", 1), 0L)).encode();
        byte[] bytes = Base64.getUrlDecoder().decode(valid);
        Random random = new Random(3);
        for (int i = 0; i < 5_000; i++) {
            byte[] mutated = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
            if (mutated.length > 0 && random.nextBoolean()) {
                mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
            }
            try {
                Cursor.decode(URL.encodeToString(mutated), "app");
            } catch (CursorException e) {
                assertThat(e.getMessage()).matches("malformed cursor: .*|the cursor belongs to another .*");
            }
        }
    }
}
