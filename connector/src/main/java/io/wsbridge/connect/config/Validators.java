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

    /** An http(s) URL, or empty for none. */
    static final class OptionalHttpUrl implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            String url = value == null ? "" : value.toString().trim();
            if (url.isEmpty()) {
                return;
            }
            try {
                java.net.URI uri = new java.net.URI(url);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new java.net.URISyntaxException(url, "not an http(s) URL with a host");
                }
                if (uri.getPath() != null && uri.getPath().contains("/realms/")) {
                    throw new ConfigException(name, value, "give the server's base URL without /realms/...: the "
                            + "realm goes into keycloak.realm");
                }
            } catch (java.net.URISyntaxException e) {
                throw new ConfigException(name, value, "must be an http:// or https:// URL, e.g. http://keycloak:8080");
            }
        }

        @Override
        public String toString() {
            return "an http(s) URL, or empty";
        }
    }

    /** A name without spaces or slashes (realm, client id, audience), or empty. */
    static final class OptionalName implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            String text = value == null ? "" : value.toString().trim();
            if (!text.isEmpty() && !text.matches("[^\\s/]+")) {
                throw new ConfigException(name, value, "must not contain spaces or slashes");
            }
        }

        @Override
        public String toString() {
            return "a name without spaces or slashes, or empty";
        }
    }

    /** A Keycloak group path such as /applications. */
    static final class GroupPath implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            String path = value == null ? "" : value.toString().trim();
            if (!path.matches("(/[^/\\s]+)+")) {
                throw new ConfigException(name, value, "must be a group path such as /applications");
            }
        }

        @Override
        public String toString() {
            return "a group path such as /applications";
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
