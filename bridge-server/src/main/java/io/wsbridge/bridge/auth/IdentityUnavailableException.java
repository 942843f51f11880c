package io.wsbridge.bridge.auth;

/**
 * The identity provider could not be asked and no cached answer exists: the bridge fails closed with 503. The
 * message is safe to show and log.
 */
public class IdentityUnavailableException extends Exception {

    private static final long serialVersionUID = 1L;

    public IdentityUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
