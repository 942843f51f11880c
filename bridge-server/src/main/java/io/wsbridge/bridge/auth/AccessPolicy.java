package io.wsbridge.bridge.auth;

/**
 * Decides whether credentials may read an application. Called on upgrade, and again periodically for open
 * sessions, so an implementation caches what it learns from its identity provider.
 */
public interface AccessPolicy extends AutoCloseable {

    /** A check of an open session's access, by the bridge itself: not held by the limits on lookups. */
    AccessDecision check(Credentials credentials, String application);

    /**
     * A check on behalf of {@code origin}: a client's upgrade is held by the limits on lookups that miss the cache
     * (refused with 429 or 503 and a {@code Retry-After}). Policies that never ask anyone ignore the origin.
     */
    default AccessDecision check(Credentials credentials, String application, LookupOrigin origin) {
        return check(credentials, application);
    }

    /** Whether the identity provider can be reached, for the readiness probe. */
    default boolean ready() {
        return true;
    }

    /** A line for the startup log that says which mode this is. */
    String describe();

    @Override
    default void close() {
    }
}
