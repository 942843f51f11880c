package io.wsbridge.bridge.auth.keycloak;

/** A key management request that Keycloak answered but that cannot be done: no such user, no such key. */
public final class ApiKeyManagementException extends Exception {

    private static final long serialVersionUID = 1L;

    public ApiKeyManagementException(String message) {
        super(message);
    }
}
