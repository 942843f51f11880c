package io.wsbridge.bridge.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * Who a subscriber is, once its credentials are verified.
 *
 * @param userId the identity provider's id of the user (Keycloak user id = token {@code sub})
 * @param username the user's login name (token {@code preferred_username}), for logs
 * @param expiresAt when the credential stops being valid ({@code exp} of a token); {@code null} if it does not expire
 *     by itself (API keys, which are re-checked periodically instead)
 */
public record Identity(String userId, String username, Instant expiresAt) {

    public Identity {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(username, "username");
    }
}
