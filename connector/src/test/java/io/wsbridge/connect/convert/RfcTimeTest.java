package io.wsbridge.connect.convert;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RfcTime} against {@code OffsetDateTime}, which the SDK parses and prints time with. */
class RfcTimeTest {

    @Test
    void printsTheUsualFormsAsOffsetDateTimeDoes() {
        assertThat(normalize("2024-05-01T12:00:00Z")).isEqualTo("2024-05-01T12:00:00Z");
        assertThat(normalize("2024-05-01T12:00:00.000Z")).isEqualTo("2024-05-01T12:00:00Z");
        assertThat(normalize("2024-05-01t12:00:00.120z")).isEqualTo("2024-05-01T12:00:00.12Z");
        assertThat(normalize("2024-05-01T12:00:00.123456789+05:30")).isEqualTo("2024-05-01T12:00:00.123456789+05:30");
        assertThat(normalize("2024-05-01T12:00:00-00:00")).isEqualTo("2024-05-01T12:00:00Z");
        assertThat(normalize("2024-02-29T23:59:59.5-08:00")).isEqualTo("2024-02-29T23:59:59.5-08:00");
    }

    @Test
    void leavesWhatItDoesNotKnowToTheSdk() {
        for (String time : new String[] {"2024-05-01T12:00Z", "2024-05-01T12:00:00+05:30:10", "+12024-05-01T00:00:00Z",
                "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:00:00", "2024-05-01T12:00:00.Z",
                "2024-05-01T12:00:00.1234567891Z", "2024-05-01T12:00:00+18:30", "yesterday", ""}) {
            assertThat(RfcTime.normalize(bytes(time))).as(time).isNull();
        }
    }

    @Test
    void agreesWithOffsetDateTimeOnGeneratedTimes() {
        Random random = new Random(4711);
        int normalized = 0;
        for (int i = 0; i < 200_000; i++) {
            String time = generate(random);
            byte[] fast = RfcTime.normalize(bytes(time));
            String reference;
            try {
                reference = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(OffsetDateTime.parse(time));
            } catch (DateTimeParseException e) {
                assertThat(fast).as("%s does not parse, so it must not be normalized", time).isNull();
                continue;
            }
            if (fast != null) {
                normalized++;
                assertThat(new String(fast, StandardCharsets.US_ASCII)).as(time).isEqualTo(reference);
            }
        }
        assertThat(normalized).as("times normalized here, not left to the SDK").isGreaterThan(50_000);
    }

    /** Mostly well-formed, with numbers near and beyond every limit and some characters out of place. */
    private static String generate(Random random) {
        StringBuilder t = new StringBuilder();
        t.append(String.format("%04d", random.nextInt(10) == 0 ? random.nextInt(10_000) : 1896 + random.nextInt(210)));
        t.append(random.nextInt(50) == 0 ? '/' : '-').append(two(random, 14)).append('-').append(two(random, 32));
        t.append("TtT ".charAt(random.nextInt(random.nextInt(30) == 0 ? 4 : 3)));
        t.append(two(random, 25)).append(':').append(two(random, 61)).append(':').append(two(random, 61));
        if (random.nextBoolean()) {
            t.append('.');
            int digits = random.nextInt(11);
            for (int i = 0; i < digits; i++) {
                t.append(random.nextInt(3) == 0 ? '0' : (char) ('0' + random.nextInt(10)));
            }
        }
        switch (random.nextInt(6)) {
            case 0 -> t.append('Z');
            case 1 -> t.append('z');
            case 2 -> t.append("+00:00");
            case 3 -> t.append(random.nextBoolean() ? '+' : '-').append(two(random, 20)).append(':')
                    .append(two(random, 61));
            case 4 -> t.append(random.nextBoolean() ? "-00:00" : "+01:00:30");
            default -> {
            }
        }
        return t.toString();
    }

    private static String two(Random random, int bound) {
        return String.format("%02d", random.nextInt(bound));
    }

    private static String normalize(String time) {
        byte[] normalized = RfcTime.normalize(bytes(time));
        return normalized == null ? null : new String(normalized, StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
