package io.wsbridge.bridge.auth;

/**
 * Credentials that cannot even be read: an HTTP status for the upgrade response and a message that is safe to
 * show (it never contains the secret).
 */
public final class CredentialsException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    public CredentialsException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
