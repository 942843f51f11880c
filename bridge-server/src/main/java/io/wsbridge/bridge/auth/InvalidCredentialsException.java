package io.wsbridge.bridge.auth;

/**
 * Credentials were checked and are not valid (bad signature, expired, wrong issuer, unknown key, ...): 401. The
 * message says why and is safe to show and log: it never contains the token or the key.
 */
public final class InvalidCredentialsException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidCredentialsException(String message) {
        super(message);
    }

    public InvalidCredentialsException(String message, Throwable cause) {
        super(message, cause);
    }
}
