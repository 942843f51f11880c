package io.wsbridge.connect.convert;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ByteScan}'s word-at-a-time scans against a byte-by-byte reading of the same rules. */
class ByteScanTest {

    /** Bytes around each rule's edges, so that every kind lands at every place in a word. */
    private static final byte[] KINDS = {'a', 'x', ' ', '!', '"', '#', '[', '\\', ']', 0x1F, 0x00, 0x0A, 0x7F,
        (byte) 0x80, (byte) 0xA2, (byte) 0xC3, (byte) 0xDC, (byte) 0xFF, 0x21, 0x23, 0x5B, 0x5D};

    @Test
    void findsTheSameFirstStopAsAByteByByteScan() {
        Random random = new Random(7);
        int stopsInsideWords = 0;
        for (int round = 0; round < 50_000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                // mostly plain, so that runs span whole words before a stop
                bytes[i] = random.nextInt(6) == 0 ? KINDS[random.nextInt(KINDS.length)] : (byte) ('a' + i % 26);
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
            int to = from + random.nextInt(bytes.length - from + 1);
            assertThat(ByteScan.ascii(bytes, from, to)).isEqualTo(reference(bytes, from, to, Rule.ASCII));
            assertThat(ByteScan.plainString(bytes, from, to, false))
                    .isEqualTo(reference(bytes, from, to, Rule.STRING));
            int stop = ByteScan.plainString(bytes, from, to, true);
            assertThat(stop).isEqualTo(reference(bytes, from, to, Rule.ASCII_STRING));
            if (stop - from >= Long.BYTES && stop < to) {
                stopsInsideWords++;
            }
        }
        assertThat(stopsInsideWords).as("cases where a whole word was skipped before the stop").isGreaterThan(1_000);
    }

    @Test
    void stopsAtEachKindOfByteWhereverItIsInAWord() {
        for (byte kind : KINDS) {
            for (int at = 0; at < 24; at++) {
                byte[] bytes = "abcdefghijklmnopqrstuvwx".getBytes(StandardCharsets.US_ASCII);
                bytes[at] = kind;
                assertThat(ByteScan.ascii(bytes, 0, bytes.length)).as("%02x at %d", kind, at)
                        .isEqualTo(reference(bytes, 0, bytes.length, Rule.ASCII));
                assertThat(ByteScan.plainString(bytes, 0, bytes.length, false)).as("%02x at %d", kind, at)
                        .isEqualTo(reference(bytes, 0, bytes.length, Rule.STRING));
                assertThat(ByteScan.plainString(bytes, 0, bytes.length, true)).as("%02x at %d", kind, at)
                        .isEqualTo(reference(bytes, 0, bytes.length, Rule.ASCII_STRING));
            }
        }
    }

    private enum Rule { ASCII, STRING, ASCII_STRING }

    private static int reference(byte[] bytes, int from, int to, Rule rule) {
        for (int i = from; i < to; i++) {
            int b = bytes[i] & 0xFF;
            boolean nonAscii = b >= 0x80;
            boolean special = b == '"' || b == '\\' || b < 0x20;
            if (rule == Rule.ASCII && nonAscii || rule != Rule.ASCII && special
                    || rule == Rule.ASCII_STRING && nonAscii) {
                return i;
            }
        }
        return to;
    }
}
