package io.wsbridge.bridge.auth.keycloak;

/**
 * Keycloak could not give an answer: unreachable, too slow, refused the service account's credentials, or failed.
 * The message says which and what to check; it is safe to show and log (it never holds the client secret).
 */
public final class KeycloakUnavailableException extends Exception {

    private static final long serialVersionUID = 1L;

    public KeycloakUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
