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

    @Override
    default void close() {
    }
}
