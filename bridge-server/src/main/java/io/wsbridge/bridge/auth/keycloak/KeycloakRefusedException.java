package io.wsbridge.bridge.auth.keycloak;

/**
 * Keycloak answered one Admin API call with a client error (4xx): it is up, and it refused this question (a
 * username or path it rejects, a lookup the service account may not make). An answer, not an outage: each caller
 * decides what a refusal means for its question, and never lets it grant access. The message is safe to show and
 * log.
 */
public final class KeycloakRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    public KeycloakRefusedException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status Keycloak answered with. */
    public int status() {
        return status;
    }
}
