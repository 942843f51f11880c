package io.wsbridge.bridge.auth;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the credentials of an upgrade request. Exactly one form may be used: {@code Authorization: Bearer},
 * {@code ?token=}, {@code Authorization: Basic} (username:api-key) or {@code ?username=&api_key=}. None means
 * anonymous; more than one is a 400. A username that cannot name a user ({@link #usernameProblem}) is a 401 before
 * anyone is asked.
 */
public final class CredentialsParser {

    /** Keycloak's own limit: a longer username names no user, and is not worth a question to Keycloak. */
    public static final int MAX_USERNAME_LENGTH = 255;

    private CredentialsParser() {
    }

    /**
     * Why {@code username} cannot name a user, or {@code null} if it can: longer than {@value #MAX_USERNAME_LENGTH}
     * characters, or holding a control character. The reason never quotes the username.
     */
    public static String usernameProblem(String username) {
        if (username.length() > MAX_USERNAME_LENGTH) {
            return "the username is longer than " + MAX_USERNAME_LENGTH + " characters";
        }
        if (username.chars().anyMatch(Character::isISOControl)) {
            return "the username contains a control character";
        }
        return null;
    }

    /**
     * @param authorization the values of the {@code Authorization} header (empty if absent)
     * @param query the decoded query parameters
     */
    public static Credentials parse(List<String> authorization, Map<String, List<String>> query)
            throws CredentialsException {
        List<String> forms = new ArrayList<>();
        Credentials found = Credentials.ANONYMOUS;

        if (authorization.size() > 1) {
            throw new CredentialsException(400, "more than one Authorization header: send exactly one credential");
        }
        if (authorization.size() == 1) {
            found = fromHeader(authorization.get(0));
            forms.add("Authorization header");
        }
        List<String> tokens = query.getOrDefault("token", List.of());
        if (!tokens.isEmpty()) {
            forms.add("token parameter");
            found = new Credentials.Bearer(single(tokens, "token"));
        }
        List<String> usernames = query.getOrDefault("username", List.of());
        List<String> keys = query.getOrDefault("api_key", List.of());
        if (!usernames.isEmpty() || !keys.isEmpty()) {
            if (usernames.isEmpty() || keys.isEmpty()) {
                throw new CredentialsException(400, "the username and api_key parameters go together: send both");
            }
            forms.add("username/api_key parameters");
            found = apiKey(single(usernames, "username"), single(keys, "api_key"));
        }
        if (forms.size() > 1) {
            throw new CredentialsException(400,
                    "more than one credential (" + String.join(", ", forms) + "): send exactly one");
        }
        return found;
    }

    private static String single(List<String> values, String name) throws CredentialsException {
        if (values.size() > 1) {
            throw new CredentialsException(400, "the " + name + " parameter is given more than once");
        }
        String value = values.get(0);
        if (value == null || value.isBlank()) {
            throw new CredentialsException(401, "the " + name + " parameter is empty");
        }
        return value;
    }

    private static Credentials fromHeader(String header) throws CredentialsException {
        String value = header.trim();
        int space = value.indexOf(' ');
        String scheme = (space < 0 ? value : value.substring(0, space)).toLowerCase(Locale.ROOT);
        String rest = space < 0 ? "" : value.substring(space + 1).trim();
        switch (scheme) {
            case "bearer":
                if (rest.isEmpty()) {
                    throw new CredentialsException(401, "the Bearer authorization has no token");
                }
                return new Credentials.Bearer(rest);
            case "basic":
                return fromBasic(rest);
            default:
                throw new CredentialsException(401,
                        "unsupported authorization scheme '" + safe(scheme) + "': use Bearer or Basic");
        }
    }

    private static Credentials fromBasic(String encoded) throws CredentialsException {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new CredentialsException(401, "the Basic authorization is not valid base64");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon == decoded.length() - 1) {
            throw new CredentialsException(401, "the Basic authorization must be base64(username:api-key)");
        }
        return apiKey(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    private static Credentials apiKey(String username, String key) throws CredentialsException {
        String problem = usernameProblem(username);
        if (problem != null) {
            throw new CredentialsException(401, problem);
        }
        return new Credentials.ApiKey(username, key);
    }

    /** A scheme name is not a secret, but keep what is echoed short and printable. */
    private static String safe(String scheme) {
        String printable = scheme.replaceAll("[^a-z0-9._-]", "?");
        return printable.length() > 20 ? printable.substring(0, 20) + "..." : printable;
    }
}
