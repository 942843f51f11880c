package io.wsbridge.connect.config;

import io.wsbridge.bridge.OverflowPolicy;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Named validators whose {@code toString()} reads well in the generated configuration reference. */
final class Validators {

    private Validators() {
    }

    /** One of a fixed set of words, compared case-insensitively. */
    static ConfigDef.Validator oneOf(List<String> allowed) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                String text = value == null ? "" : value.toString().trim().toLowerCase(Locale.ROOT);
                if (!allowed.contains(text)) {
                    throw new ConfigException(name, value, "must be one of " + String.join(", ", allowed));
                }
            }

            @Override
            public String toString() {
                return "one of " + String.join(", ", allowed);
            }
        };
    }

    static ConfigDef.Validator overflowPolicy() {
        return oneOf(List.of(OverflowPolicy.configValues().split(", ")));
    }

    static ConfigDef.Validator nonCloudEventPolicy() {
        return oneOf(NonCloudEventPolicy.configValues());
    }

    /** A Java regular expression with a named group {@code application}. */
    static final class TopicPattern implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            String problem = ApplicationResolver.validatePattern(value == null ? null : value.toString());
            if (problem != null) {
                throw new ConfigException(name, value, problem);
            }
        }

        @Override
        public String toString() {
            return "a Java regular expression with a named group (?<application>...)";
        }
    }

    /** Origins as browsers send them: scheme://host[:port], no path. */
    static final class Origins implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            if (!(value instanceof List<?> origins)) {
                return;
            }
            for (Object entry : origins) {
                String origin = entry == null ? "" : entry.toString();
                if (!origin.matches("https?://[^/\\s]+")) {
                    throw new ConfigException(name, value, "'" + origin
                            + "' is not an origin: write scheme://host[:port], e.g. https://app.example.com");
                }
            }
        }

        @Override
        public String toString() {
            return "comma-separated origins (scheme://host[:port])";
        }
    }

    /** An absolute file path, or empty for none. */
    static final class OptionalAbsolutePath implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            String path = value == null ? "" : value.toString().trim();
            if (!path.isEmpty() && !java.nio.file.Path.of(path).isAbsolute()) {
                throw new ConfigException(name, value, "must be an absolute path (workers resolve relative paths "
                        + "against their own working directory)");
            }
        }

        @Override
        public String toString() {
            return "an absolute path, or empty";
        }
    }

    /** Application names: non-empty, no slashes. */
    static final class ApplicationNames implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            if (!(value instanceof List<?> names)) {
                return;
            }
            for (Object entry : names) {
                String application = entry == null ? "" : entry.toString();
                if (application.isBlank() || application.contains("/")) {
                    throw new ConfigException(name, value,
                            "application names must be non-empty and must not contain '/': '" + application + "'");
                }
            }
        }

        @Override
        public String toString() {
            return "comma-separated application names";
        }
    }
}
