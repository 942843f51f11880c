package io.wsbridge.bridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * An access token and when it expires, read from the {@code exp} claim of its JWT payload without verifying it: the
 * bridge verifies tokens; the client only needs to know when to fetch a new one. {@code toString()} hides the token.
 *
 * @param value the token
 * @param expiresAt its {@code exp}, or {@code null} if it is not a JWT or has no {@code exp}
 */
record AccessToken(String value, Instant expiresAt) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static AccessToken of(String value) {
        return new AccessToken(value, expiry(value));
    }

    /** The {@code exp} of a JWT, or {@code null}. */
    static Instant expiry(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            return null;
        }
        try {
            JsonNode exp = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
                    .path("exp");
            return exp.isNumber() ? Instant.ofEpochSecond(exp.asLong()) : null;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "AccessToken[***, expiresAt=" + expiresAt + "]";
    }
}
