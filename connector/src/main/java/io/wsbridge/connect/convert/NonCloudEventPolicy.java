package io.wsbridge.connect.convert;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What to do with a record that is not a CloudEvent: neither a {@code ce_specversion} header (binary mode)
 * nor a structured content type.
 */
public enum NonCloudEventPolicy {

    /** Wrap the record into a CloudEvent 1.0 whose id is the record's {@code topic/partition/offset}. */
    WRAP,

    /** Reject the record with a {@link org.apache.kafka.connect.errors.DataException}, so it becomes errant. */
    REPORT;

    private static final List<String> CONFIG_VALUES =
            Arrays.stream(values()).map(NonCloudEventPolicy::configValue).collect(Collectors.toUnmodifiableList());

    /** The value that selects this policy in the connector configuration: {@code wrap} or {@code report}. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The accepted configuration values, in declaration order, e.g. for a {@code ConfigDef} validator. */
    public static List<String> configValues() {
        return CONFIG_VALUES;
    }

    /**
     * Parses a configuration value, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException if the value names no policy; the message lists the accepted values
     */
    public static NonCloudEventPolicy parse(String value) {
        if (value != null) {
            String wanted = value.trim();
            for (NonCloudEventPolicy policy : values()) {
                if (policy.configValue().equalsIgnoreCase(wanted)) {
                    return policy;
                }
            }
        }
        throw new IllegalArgumentException("Unknown policy for records that are not CloudEvents: "
                + (value == null ? "null" : "'" + value + "'") + "; use one of " + String.join(", ", CONFIG_VALUES));
    }
}
