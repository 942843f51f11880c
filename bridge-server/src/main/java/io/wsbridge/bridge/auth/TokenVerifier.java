package io.wsbridge.bridge.auth;

/** Verifies OIDC access tokens locally: signature against the issuer's keys, issuer, expiry, audience. */
public interface TokenVerifier extends AutoCloseable {

    /**
     * @throws InvalidCredentialsException the token is not valid (401)
     * @throws IdentityUnavailableException the signing keys cannot be fetched and none is cached for the token (503)
     */
    Identity verify(String token) throws InvalidCredentialsException, IdentityUnavailableException;

    @Override
    default void close() {
    }
}
