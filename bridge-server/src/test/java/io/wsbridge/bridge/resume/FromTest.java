package io.wsbridge.bridge.resume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FromTest {

    @Test
    void keywordsTimesAndCursorsAreRead() throws Exception {
        assertThat(From.parse("latest", "app")).isEqualTo(From.LATEST);
        assertThat(From.parse("latest", "app").replays()).isFalse();
        assertThat(From.parse("earliest", "app")).isEqualTo(From.EARLIEST);
        assertThat(From.parse("2026-12-02T15:04:05Z", "app"))
                .isEqualTo(new From.At(Instant.parse("2026-12-02T15:04:05Z")));
        assertThat(From.parse("2026-12-02T16:04:05.250+01:00", "app"))
                .isEqualTo(new From.At(Instant.parse("2026-12-02T15:04:05.250Z")));
        Cursor cursor = Cursor.of("app", Map.of(new PartitionId("events-app", 1), 5L));
        assertThat(From.parse(cursor.encode(), "app")).isEqualTo(new From.After(cursor));
    }

    @Test
    void badValuesAreRefusedSayingWhichKindTheyAreNot() {
        assertThatThrownBy(() -> From.parse("2026-13-02T15:04:05Z", "app")).isInstanceOf(CursorException.class)
                .hasMessage("from: not a valid RFC 3339 time with an offset (such as 2026-12-02T15:04:05Z or "
                        + "2026-12-02T16:04:05.250+01:00)");
        assertThatThrownBy(() -> From.parse("2026-12-02T15:04:05", "app"))
                .hasMessageStartingWith("from: not a valid RFC 3339 time");
        assertThatThrownBy(() -> From.parse("AQAAAAAAAAAA", "app")).hasMessageStartingWith("from: ");
        String other = Cursor.of("other", Map.of(new PartitionId("events-other", 0), 1L)).encode();
        assertThatThrownBy(() -> From.parse(other, "app"))
                .hasMessage("from: the cursor belongs to another application than 'app'");
        assertThatThrownBy(() -> From.parse("AQ_broken", "app")).hasMessageStartingWith("from: malformed cursor: ");
        for (String value : new String[] {"yesterday", "", "Latest", "a b", "12"}) {
            assertThatThrownBy(() -> From.parse(value, "app"))
                    .hasMessage("from must be earliest, latest, an RFC 3339 time (such as 2026-12-02T15:04:05Z) or "
                            + "the wsbridgecursor of an event");
        }
    }
}
