package io.wsbridge.connect.config;

import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Named validators whose {@code toString()} reads well in the generated configuration reference. Each is a
 * description plus a check that returns what is wrong with a value (or {@code null}); the check of a list applies to
 * every entry.
 */
final class Validators {

    private Validators() {
    }

    /** A validator of one value: {@code problem} gets the trimmed value ("" for none) and says what is wrong. */
    static ConfigDef.Validator named(String description, Function<String, String> problem) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                String found = problem.apply(value == null ? "" : value.toString().trim());
                if (found != null) {
                    throw new ConfigException(name, value, found);
                }
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /** A validator of a list: {@code problem} gets each entry. */
    static ConfigDef.Validator eachOf(String description, Function<String, String> problem) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value instanceof List<?> entries) {
                    for (Object entry : entries) {
                        String found = problem.apply(entry == null ? "" : entry.toString());
                        if (found != null) {
                            throw new ConfigException(name, value, found);
                        }
                    }
                }
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /** One of a fixed set of words, compared case-insensitively. */
    static ConfigDef.Validator oneOf(List<String> allowed) {
        String words = String.join(", ", allowed);
        return named("one of " + words,
                value -> allowed.contains(value.toLowerCase(Locale.ROOT)) ? null : "must be one of " + words);
    }

    static ConfigDef.Validator overflowPolicy() {
        return oneOf(List.of(OverflowPolicy.configValues().split(", ")));
    }

    static ConfigDef.Validator nonCloudEventPolicy() {
        return oneOf(NonCloudEventPolicy.configValues());
    }

    /** A Java regular expression with a named group {@code application}. */
    static ConfigDef.Validator topicPattern() {
        return named("a Java regular expression with a named group (?<application>...)",
                ApplicationResolver::validatePattern);
    }

    /** Origins as browsers send them: scheme://host[:port], no path. */
    static ConfigDef.Validator origins() {
        return eachOf("comma-separated origins (scheme://host[:port])",
                origin -> origin.matches("https?://[^/\\s]+") ? null : "'" + origin
                        + "' is not an origin: write scheme://host[:port], e.g. https://app.example.com");
    }

    /** Application names: non-empty, no slashes. */
    static ConfigDef.Validator applicationNames() {
        return eachOf("comma-separated application names",
                application -> application.isBlank() || application.contains("/")
                        ? "application names must be non-empty and must not contain '/': '" + application + "'"
                        : null);
    }

    /** An http(s) base URL without /realms/..., or empty for none. */
    static ConfigDef.Validator optionalHttpUrl() {
        return named("an http(s) URL, or empty", url -> {
            if (url.isEmpty()) {
                return null;
            }
            try {
                URI uri = new URI(url);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    return "must be an http:// or https:// URL, e.g. http://keycloak:8080";
                }
                return uri.getPath() != null && uri.getPath().contains("/realms/")
                        ? "give the server's base URL without /realms/...: the realm goes into keycloak.realm"
                        : null;
            } catch (URISyntaxException e) {
                return "must be an http:// or https:// URL, e.g. http://keycloak:8080";
            }
        });
    }

    /** A name without spaces or slashes (realm, client id, audience), or empty. */
    static ConfigDef.Validator optionalName() {
        return named("a name without spaces or slashes, or empty",
                text -> text.isEmpty() || text.matches("[^\\s/]+") ? null : "must not contain spaces or slashes");
    }

    /** Kafka brokers as host:port[,host:port...], or empty. */
    static ConfigDef.Validator optionalBrokers() {
        return named("host:port[,host:port...], or empty", text -> text.isEmpty()
                || text.matches("\\s*[^\\s,:]+:\\d{1,5}\\s*(,\\s*[^\\s,:]+:\\d{1,5}\\s*)*") ? null
                : "must be brokers as host:port, separated by commas");
    }

    /** A Keycloak group path such as /applications. */
    static ConfigDef.Validator groupPath() {
        return named("a group path such as /applications",
                path -> path.matches("(/[^/\\s]+)+") ? null : "must be a group path such as /applications");
    }

    /** An absolute file path, or empty for none. */
    static ConfigDef.Validator optionalAbsolutePath() {
        return named("an absolute path, or empty", path -> path.isEmpty() || Path.of(path).isAbsolute() ? null
                : "must be an absolute path (workers resolve relative paths against their own working directory)");
    }
}
