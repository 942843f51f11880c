package io.wsbridge.connect.convert;

import java.util.Arrays;

/**
 * Reads the usual RFC 3339 time stamp, {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|+hh:mm|-hh:mm)}, and writes it as
 * {@code OffsetDateTime} with {@code ISO_OFFSET_DATE_TIME} prints it (what the CloudEvents SDK puts in a frame):
 * upper-case {@code T}, the fraction without trailing zeros, {@code Z} for a zero offset. Anything else, also a
 * valid form it does not know (no seconds, an offset with seconds, a year beyond 9999), gives {@code null}: the SDK
 * path then parses it. {@code RfcTimeTest} compares the two on generated time stamps.
 */
final class RfcTime {

    private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    private RfcTime() {
    }

    /** @return the normalized ASCII bytes, or {@code null} if the value is not in the form handled here */
    static byte[] normalize(byte[] t) {
        int n = t.length;
        if (n < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':') {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 2);
        int day = digits(t, 8, 2);
        int hour = digits(t, 11, 2);
        int minute = digits(t, 14, 2);
        int second = digits(t, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return null;
        }
        int i = 19;
        int fractionEnd = 19; // exclusive end of the fraction digits to keep
        if (t[i] == '.') {
            int start = ++i;
            while (i < n && t[i] >= '0' && t[i] <= '9') {
                if (t[i] != '0') {
                    fractionEnd = i + 1;
                }
                i++;
            }
            if (i == start || i - start > 9) {
                return null;
            }
        }
        boolean zulu;
        if (i == n - 1 && (t[i] == 'Z' || t[i] == 'z')) {
            zulu = true;
        } else if (i == n - 6 && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
            int offsetHours = digits(t, i + 1, 2);
            int offsetMinutes = digits(t, i + 4, 2);
            if (offsetHours < 0 || offsetMinutes < 0 || offsetMinutes > 59 || offsetHours > 18
                    || offsetHours == 18 && offsetMinutes > 0) {
                return null;
            }
            zulu = offsetHours == 0 && offsetMinutes == 0;
        } else {
            return null;
        }
        byte[] out = Arrays.copyOf(t, fractionEnd + (zulu ? 1 : 6));
        out[10] = 'T';
        if (zulu) {
            out[fractionEnd] = 'Z';
        } else {
            System.arraycopy(t, i, out, fractionEnd, 6);
        }
        return out;
    }

    private static int daysIn(int year, int month) {
        if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
            return 29;
        }
        return DAYS[month - 1];
    }

    /** The decimal number in {@code t[from, from + count)}, or -1 if any of them is no digit. */
    private static int digits(byte[] t, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            int d = t[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }
}
