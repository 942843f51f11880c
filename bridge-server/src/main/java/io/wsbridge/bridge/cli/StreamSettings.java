package io.wsbridge.bridge.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code wsbridge stream} connects to and how it authenticates, from its options and the environment.
 *
 * @param base the bridge's base URL ({@code ws://} or {@code wss://}, without a trailing slash)
 * @param application the application to stream
 * @param channel the channel (CloudEvent subject) to filter on, or {@code null}
 * @param groupId the consumer group to share the stream with, or {@code null}
 * @param filter a CloudEvents SQL expression the events must match, or {@code null}
 * @param from where the stream starts ({@code earliest}, {@code latest}, an RFC 3339 time or a cursor), or
 *     {@code null} for the bridge's default (now)
 * @param count how many events to print before exiting, or 0 for no limit
 * @param credentials what to present on upgrade
 */
record StreamSettings(URI base, String application, String channel, String groupId, String filter, String from,
        long count, Credentials credentials) {

    static final String DEFAULT_URL = "ws://localhost:8085";
    static final String USAGE = "stream APPLICATION [--url URL] [--channel C] [--group-id G] [--filter EXPR] "
            + "[--from earliest|latest|TIME|CURSOR] [--count N]";

    /** The credentials of a stream; {@code toString()} never shows a secret. */
    sealed interface Credentials {

        /** The value of the {@code Authorization} header, or {@code null} for none. */
        String authorization(String currentToken);

        /** Nothing: the application must be public. */
        record Anonymous() implements Credentials {
            @Override
            public String authorization(String currentToken) {
                return null;
            }
        }

        /** A fixed OIDC access token. */
        record Token(String token) implements Credentials {
            @Override
            public String authorization(String currentToken) {
                return "Bearer " + token;
            }

            @Override
            public String toString() {
                return "Token[***]";
            }
        }

        /** A username and API key, sent as Basic credentials. */
        record ApiKey(String username, String key) implements Credentials {
            @Override
            public String authorization(String currentToken) {
                return "Basic " + Base64.getEncoder().encodeToString((username + ":" + key)
                        .getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public String toString() {
                return "ApiKey[username=" + username + ", key=***]";
            }
        }

        /** A shell command that prints a fresh access token whenever it runs. */
        record TokenCommand(String command) implements Credentials {
            @Override
            public String authorization(String currentToken) {
                return "Bearer " + Objects.requireNonNull(currentToken, "currentToken");
            }
        }
    }

    /** The URL of the first upgrade: {@link #uri(String)} from {@link #from()}. */
    URI uri() {
        return uri(from);
    }

    /**
     * The URL of an upgrade: {@code <base>/<application>[/<channel>][?group_id=<group>][&filter=<expression>]
     * [&from=<from>]}, percent-encoded; {@code from} may be {@code null}.
     */
    URI uri(String from) {
        StringBuilder uri = new StringBuilder(base.toString()).append('/').append(encode(application));
        if (channel != null) {
            uri.append('/').append(encode(channel));
        }
        char separator = '?';
        if (groupId != null) {
            uri.append(separator).append("group_id=").append(encode(groupId));
            separator = '&';
        }
        if (filter != null) {
            uri.append(separator).append("filter=").append(encode(filter));
            separator = '&';
        }
        if (from != null) {
            uri.append(separator).append("from=").append(encode(from));
        }
        return URI.create(uri.toString());
    }

    /** The secrets a message must never show. */
    List<String> secrets() {
        if (credentials instanceof Credentials.Token token) {
            return List.of(token.token());
        }
        if (credentials instanceof Credentials.ApiKey key) {
            return List.of(key.key(), credentials.authorization(null).substring("Basic ".length()));
        }
        return List.of();
    }

    /** Reads the settings of {@code wsbridge stream APPLICATION}; options override their environment variables. */
    static StreamSettings of(CommandLine line, Map<String, String> env) throws UsageException {
        line.expectOptions(CommandLine.STREAM_OPTIONS);
        var operands = line.operands();
        if (operands.size() != 1) {
            throw new UsageException((operands.isEmpty() ? "missing application" : "too many arguments")
                    + ": usage: " + USAGE);
        }
        String application = operands.get(0);
        if (application.isBlank() || application.indexOf('/') >= 0) {
            throw new UsageException("APPLICATION must be an application name, without '/'");
        }
        String url = line.option("url");
        if (url == null) {
            url = env.getOrDefault("WSBRIDGE_URL", "");
        }
        URI base = base(url.isBlank() ? DEFAULT_URL : url);
        return new StreamSettings(base, application, line.option("channel"), line.option("group-id"),
                line.option("filter"), from(line.option("from")), count(line.option("count")), credentials(line, env));
    }

    private static URI base(String url) throws UsageException {
        String problem = "--url must be a ws:// or wss:// URL with a host and no query, such as " + DEFAULT_URL
                + ", got " + url;
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException(problem);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        scheme = switch (scheme) {
            case "ws", "http" -> "ws";
            case "wss", "https" -> "wss";
            default -> throw new UsageException(problem);
        };
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            throw new UsageException(problem);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return URI.create(scheme + "://" + uri.getRawAuthority() + path);
    }

    private static String from(String value) throws UsageException {
        if (value != null && value.isBlank()) {
            throw new UsageException("--from must be earliest, latest, an RFC 3339 time or the wsbridgecursor of an"
                    + " event");
        }
        return value; // the bridge checks the rest and says what is wrong with it
    }

    private static long count(String value) throws UsageException {
        if (value == null) {
            return 0;
        }
        try {
            long count = Long.parseLong(value);
            if (count > 0) {
                return count;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new UsageException("--count must be a whole number of events, 1 or more, got '" + value + "'");
    }

    /**
     * Credentials on the command line win over those in the environment, except that {@code --username} may take its
     * key from {@code WSBRIDGE_API_KEY} (which keeps it off the command line). Only one kind may be given. No message
     * repeats a secret.
     */
    private static Credentials credentials(CommandLine line, Map<String, String> env) throws UsageException {
        String token = line.option("token");
        String command = line.option("token-command");
        String username = line.option("username");
        String key = line.option("api-key");
        if (token != null || command != null || username != null || key != null) {
            if ((token != null ? 1 : 0) + (command != null ? 1 : 0) + (username != null || key != null ? 1 : 0) > 1) {
                throw new UsageException("give one of --token, --token-command, or --username with --api-key");
            }
            if (token != null) {
                return new Credentials.Token(token);
            }
            if (command != null) {
                return new Credentials.TokenCommand(command);
            }
            if (username == null) {
                throw new UsageException("--api-key needs --username");
            }
            key = key != null ? key : blankToNull(env.get("WSBRIDGE_API_KEY"));
            if (key == null) {
                throw new UsageException("--username needs --api-key or WSBRIDGE_API_KEY");
            }
            return new Credentials.ApiKey(username, key);
        }
        token = blankToNull(env.get("WSBRIDGE_TOKEN"));
        username = blankToNull(env.get("WSBRIDGE_USERNAME"));
        key = blankToNull(env.get("WSBRIDGE_API_KEY"));
        if (token != null && (username != null || key != null)) {
            throw new UsageException("both WSBRIDGE_TOKEN and WSBRIDGE_USERNAME/WSBRIDGE_API_KEY are set: unset one,"
                    + " or give credentials as options");
        }
        if (token != null) {
            return new Credentials.Token(token);
        }
        if (username == null && key == null) {
            return new Credentials.Anonymous();
        }
        if (username == null || key == null) {
            throw new UsageException(username == null ? "WSBRIDGE_API_KEY is set without WSBRIDGE_USERNAME"
                    : "WSBRIDGE_USERNAME is set without WSBRIDGE_API_KEY");
        }
        return new Credentials.ApiKey(username, key);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
