package io.wsbridge.bridge.auth;

import java.time.Instant;

/**
 * The answer to "may these credentials read this application?", with the HTTP status of a refused upgrade.
 * A refusal's reason is safe to log and to show: it never holds a secret.
 *
 * @param status 200 if allowed, else the status of the refused upgrade
 * @param principal who was allowed, for logs ({@code anonymous} or a username)
 * @param expiresAt when the credential expires and the session must end, or {@code null}
 * @param reason why it was refused, or {@code null}
 */
public record AccessDecision(int status, String principal, Instant expiresAt, String reason) {

    public static final AccessDecision ANONYMOUS = new AccessDecision(200, "anonymous", null, null);

    public static AccessDecision allow(Identity identity) {
        return new AccessDecision(200, identity.username(), identity.expiresAt(), null);
    }

    /** Bad, expired or unverifiable credentials. */
    public static AccessDecision unauthorized(String reason) {
        return new AccessDecision(401, null, null, reason);
    }

    /** Not allowed to read, or no such application: the two are indistinguishable on purpose. */
    public static AccessDecision notFound() {
        return new AccessDecision(404, null, null, "no such application");
    }

    /** The identity provider cannot answer and nothing is cached: fail closed. */
    public static AccessDecision unavailable(String reason) {
        return new AccessDecision(503, null, null, reason);
    }

    public boolean allowed() {
        return status == 200;
    }
}
