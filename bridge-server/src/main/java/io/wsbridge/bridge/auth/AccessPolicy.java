package io.wsbridge.bridge.auth;

import io.wsbridge.bridge.util.DaemonThreads;

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

    /**
     * Checks once how the identity provider is set up and logs what is unsafe (users who may edit their own API keys,
     * tokens accepted for any audience). It may ask the provider over the network: call it on a thread of its own.
     *
     * @param bridge which bridge checks, for the log: {@code bridge on 0.0.0.0:8085}
     */
    default void checkSetup(String bridge) {
    }

    /** Runs {@link #checkSetup} once on a thread of its own: it may wait for the network. */
    default void checkSetupInBackground(String address) {
        DaemonThreads.named("wsbridge-" + address + "-setup-check").newThread(() -> checkSetup("bridge on " + address))
                .start();
    }

    @Override
    default void close() {
    }
}
