package io.wsbridge.bridge.cli;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Delays between reconnection attempts: exponential from {@code initial} up to {@code max}, each with ±20 % jitter so
 * that clients cut off together do not come back together.
 */
final class Backoff {

    static final Duration INITIAL = Duration.ofMillis(500);
    static final Duration MAX = Duration.ofSeconds(30);

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;
    private int attempts;

    /** @param random uniform in [0, 1), such as {@code Math::random} */
    Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** The delay before the next attempt; each call doubles the next one, up to the maximum. */
    Duration next() {
        long base = Math.min(max.toMillis(), initial.toMillis() << Math.min(attempts, 30));
        attempts++;
        long jittered = Math.round(base * (0.8 + 0.4 * random.getAsDouble()));
        return Duration.ofMillis(Math.min(max.toMillis(), jittered));
    }

    /** Starts again from the initial delay, after a connection succeeded. */
    void reset() {
        attempts = 0;
    }
}
