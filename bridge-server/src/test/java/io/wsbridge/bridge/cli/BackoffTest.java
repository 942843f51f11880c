package io.wsbridge.bridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

    static List<Long> delays(Backoff backoff, int count) {
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            delays.add(backoff.next().toMillis());
        }
        return delays;
    }

    @Test
    void doublesFromHalfASecondUpToThirtySeconds() {
        Backoff backoff = new Backoff(Backoff.INITIAL, Backoff.MAX, () -> 0.5);

        assertThat(delays(backoff, 9)).containsExactly(500L, 1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L,
                30_000L, 30_000L);
    }

    @Test
    void jitterStaysWithinTwentyPercentAndUnderTheMaximum() {
        assertThat(delays(new Backoff(Backoff.INITIAL, Backoff.MAX, () -> 0.0), 2)).containsExactly(400L, 800L);
        assertThat(delays(new Backoff(Backoff.INITIAL, Backoff.MAX, () -> 0.999), 8))
                .startsWith(600L, 1_200L).endsWith(30_000L);
    }

    @Test
    void resetStartsAgainFromTheInitialDelay() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.5);
        delays(backoff, 5);

        backoff.reset();

        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(100));
    }
}
