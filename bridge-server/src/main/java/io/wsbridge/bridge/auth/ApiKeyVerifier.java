package io.wsbridge.bridge.auth;

/** Verifies {@code username:api-key} credentials against the hashes stored with the user. */
public interface ApiKeyVerifier extends AutoCloseable {

    /**
     * @throws InvalidCredentialsException no such user, or the key matches none of the user's keys (401)
     * @throws IdentityUnavailableException the identity provider cannot be asked and nothing is cached (503)
     */
    Identity verify(String username, String apiKey) throws InvalidCredentialsException, IdentityUnavailableException;

    /**
     * As {@link #verify(String, String)} on behalf of {@code origin}, whose lookups may be limited.
     *
     * @throws LookupRefusedException a lookup was needed and a limit refused it
     */
    default Identity verify(String username, String apiKey, LookupOrigin origin)
            throws InvalidCredentialsException, IdentityUnavailableException {
        return verify(username, apiKey);
    }

    @Override
    default void close() {
    }
}
