package io.wsbridge.bridge.session;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What happens when a subscriber's bounded outbound queue is full and another event arrives. */
public enum OverflowPolicy {

    /** Close the subscriber with {@link io.wsbridge.bridge.session.CloseCodes#SLOW_CONSUMER} (1013, try again later). */
    CLOSE("close"),

    /** Drop the oldest queued event, count it, and keep the subscriber connected. */
    DROP_OLDEST("drop-oldest");

    private final String configValue;

    OverflowPolicy(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    /** Parses a configuration value ({@code close}, {@code drop-oldest}), case-insensitively. */
    public static OverflowPolicy parse(String value) {
        String wanted = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (OverflowPolicy policy : values()) {
            if (policy.configValue.equals(wanted)) {
                return policy;
            }
        }
        throw new IllegalArgumentException("unknown overflow policy '" + value + "': use one of " + configValues());
    }

    public static String configValues() {
        return Arrays.stream(values()).map(OverflowPolicy::configValue).collect(Collectors.joining(", "));
    }
}
