package io.wsbridge.bridge.auth;

import java.time.Instant;
import java.util.List;
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
 * @param refusal the fixed word that tags a refusal that is no fault of the client's in the metrics (e.g.
 *     {@link #ANSWERS_TOO_OLD}), or {@code null}: then the status tags it
 * @param retryAfterSeconds for a refusal that may pass later, when to try again ({@code Retry-After}); else 0
 * @param pinnedFilters for an allowed user whose access control pins filters (see {@link Membership}), the filters;
 *     the session reads only events that match one of them (and the filter it asks for). Empty: every event.
 */
public record AccessDecision(int status, String principal, boolean anonymous, Instant expiresAt, String reason,
        String refusal, int retryAfterSeconds, List<String> pinnedFilters) {

    public static final AccessDecision ANONYMOUS = new AccessDecision(200, "anonymous", true, null, null);

    /** The refusal word of a decision that needed an answer older than the maximum staleness. */
    public static final String ANSWERS_TOO_OLD = "identity_provider_answers_too_old";
    /** The refusal word of a decision that needed an answer the identity provider cannot give now. */
    public static final String UNAVAILABLE = "identity_provider_unavailable";

    public AccessDecision {
        pinnedFilters = pinnedFilters == null ? List.of() : List.copyOf(pinnedFilters);
    }

    /** A decision without pinned filters. */
    public AccessDecision(int status, String principal, boolean anonymous, Instant expiresAt, String reason,
            String refusal, int retryAfterSeconds) {
        this(status, principal, anonymous, expiresAt, reason, refusal, retryAfterSeconds, List.of());
    }

    /** A decision without refusal word, {@code Retry-After} or pinned filters. */
    public AccessDecision(int status, String principal, boolean anonymous, Instant expiresAt, String reason) {
        this(status, principal, anonymous, expiresAt, reason, null, 0);
    }

    public static AccessDecision allow(Identity identity) {
        return new AccessDecision(200, identity.username(), false, identity.expiresAt(), null);
    }

    /** Allowed as a member: restricted to the membership's pinned filters, if it has any. */
    public static AccessDecision allow(Identity identity, Membership membership) {
        return new AccessDecision(200, identity.username(), false, identity.expiresAt(), null, null, 0,
                membership.pinnedFilters());
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
        return unavailable(reason, 0);
    }

    /** As {@link #unavailable(String)}, with a {@code Retry-After}. */
    public static AccessDecision unavailable(String reason, int retryAfterSeconds) {
        return new AccessDecision(503, null, false, null, reason, UNAVAILABLE, retryAfterSeconds);
    }

    /** The identity provider cannot answer and the cached answer is older than the maximum staleness. */
    public static AccessDecision answersTooOld(String reason, int retryAfterSeconds) {
        return new AccessDecision(503, null, false, null, reason, ANSWERS_TOO_OLD, retryAfterSeconds);
    }

    /** A lookup was not made, for a limit on lookups (429 or 503). */
    public static AccessDecision lookupRefused(LookupRefusedException refused) {
        return new AccessDecision(refused.status(), null, false, null, refused.getMessage(), refused.metricReason(),
                refused.retryAfterSeconds());
    }

    public boolean allowed() {
        return status == 200;
    }

    /** Whether {@code other} admits the same principal as this decision (both anonymous, or the same name). */
    public boolean samePrincipal(AccessDecision other) {
        return anonymous == other.anonymous && Objects.equals(principal, other.principal);
    }

    /** Whether access control pins a filter: the session reads only what {@link #pinnedFilters()} lets through. */
    public boolean pinned() {
        return !pinnedFilters.isEmpty();
    }
}
