package io.wsbridge.bridge.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * The answer to "may these credentials read this application?", with the HTTP status of a refused upgrade.
 * A refusal's reason is safe to log and to show: it never holds a secret.
 *
 * @param status 200 if allowed, else the status of the refused upgrade
 * @param principal who was allowed: {@code anonymous}, or the name of the user or service account (never a
 *     credential); what a session's consumer groups belong to, and what logs show
 * @param anonymous whether it was allowed without credentials; a user who happens to be called {@code anonymous} is
 *     not anonymous
 * @param expiresAt when the credential expires and the session must end, or {@code null}
 * @param reason why it was refused, or {@code null}
 */
public record AccessDecision(int status, String principal, boolean anonymous, Instant expiresAt, String reason) {

    public static final AccessDecision ANONYMOUS = new AccessDecision(200, "anonymous", true, null, null);

    public static AccessDecision allow(Identity identity) {
        return new AccessDecision(200, identity.username(), false, identity.expiresAt(), null);
    }

    /** Bad, expired or unverifiable credentials. */
    public static AccessDecision unauthorized(String reason) {
        return new AccessDecision(401, null, false, null, reason);
    }

    /** Not allowed to read, or no such application: the two are indistinguishable on purpose. */
    public static AccessDecision notFound() {
        return new AccessDecision(404, null, false, null, "no such application");
    }

    /** The identity provider cannot answer and nothing is cached: fail closed. */
    public static AccessDecision unavailable(String reason) {
        return new AccessDecision(503, null, false, null, reason);
    }

    public boolean allowed() {
        return status == 200;
    }

    /** Whether {@code other} admits the same principal as this decision (both anonymous, or the same name). */
    public boolean samePrincipal(AccessDecision other) {
        return anonymous == other.anonymous && Objects.equals(principal, other.principal);
    }
}
