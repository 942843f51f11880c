package io.wsbridge.connect.convert;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Scans for the bytes that end a run of plain ones, eight at a time, for the checks and the writer that run on every
 * event: a long of eight bytes is tested with a few arithmetic operations, and only a long that may hold such a byte is
 * looked at byte by byte. The word tests may flag a long that holds none (the byte loop then passes over it), never the
 * other way round. Allocates nothing.
 */
final class ByteScan {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long SPACES = 0x2020202020202020L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;

    private ByteScan() {
    }

    /** The index of the first byte from {@code from} below {@code to} that is not ASCII, or {@code to}. */
    static int ascii(byte[] bytes, int from, int to) {
        int i = from;
        while (i + Long.BYTES <= to && ((long) LONGS.get(bytes, i) & HIGHS) == 0) {
            i += Long.BYTES;
        }
        while (i < to && bytes[i] >= 0) {
            i++;
        }
        return i;
    }

    /**
     * The index of the first byte from {@code from} below {@code to} that a JSON string cannot hold as it is: a quote,
     * a backslash or a control character (below 0x20); with {@code stopAtNonAscii} also any byte of 0x80 and above.
     * Returns {@code to} if there is none.
     */
    static int plainString(byte[] bytes, int from, int to, boolean stopAtNonAscii) {
        int i = from;
        long nonAscii = stopAtNonAscii ? HIGHS : 0L;
        while (i + Long.BYTES <= to) {
            long word = (long) LONGS.get(bytes, i);
            if ((special(word) | word & nonAscii) != 0) {
                break;
            }
            i += Long.BYTES;
        }
        while (i < to) {
            byte b = bytes[i];
            if (b == '"' || b == '\\' || b >= 0 && b < 0x20 || b < 0 && stopAtNonAscii) {
                return i;
            }
            i++;
        }
        return i;
    }

    /**
     * Non-zero if one of the eight bytes may be a quote, a backslash or below 0x20; zero if none is. Each part is the
     * usual "has a byte less than n" test (exact in telling whether any byte is), on the word itself for 0x20 and on the
     * word xor-ed with the quote and the backslash for "has a zero byte".
     */
    private static long special(long word) {
        long quote = word ^ QUOTES;
        long backslash = word ^ BACKSLASHES;
        return ((word - SPACES) & ~word | (quote - ONES) & ~quote | (backslash - ONES) & ~backslash) & HIGHS;
    }
}
