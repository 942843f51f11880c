package io.wsbridge.bridge.auth;

/**
 * Decides whether credentials may read an application. Called on upgrade, and again periodically for open
 * sessions, so an implementation caches what it learns from its identity provider.
 */
public interface AccessPolicy extends AutoCloseable {

    AccessDecision check(Credentials credentials, String application);

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

    @Override
    default void close() {
    }
}
