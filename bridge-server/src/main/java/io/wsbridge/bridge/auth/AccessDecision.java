package io.wsbridge.bridge.auth;

/**
 * The answer to "may these credentials read this application?", with the HTTP status of a refused upgrade.
 * A refusal's reason is safe to log and to show: it never holds a secret.
 */
public record AccessDecision(int status, String principal, String reason) {

    public static AccessDecision allow(String principal) {
        return new AccessDecision(200, principal, null);
    }

    /** Bad, expired or unverifiable credentials. */
    public static AccessDecision unauthorized(String reason) {
        return new AccessDecision(401, null, reason);
    }

    /** Not allowed to read, or no such application: the two are indistinguishable on purpose. */
    public static AccessDecision notFound() {
        return new AccessDecision(404, null, "no such application");
    }

    /** The identity provider cannot answer and nothing is cached: fail closed. */
    public static AccessDecision unavailable(String reason) {
        return new AccessDecision(503, null, reason);
    }

    public boolean allowed() {
        return status == 200;
    }
}
