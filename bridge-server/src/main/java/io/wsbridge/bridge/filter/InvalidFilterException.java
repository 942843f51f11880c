package io.wsbridge.bridge.filter;

/**
 * A subscriber's filter is not one the bridge accepts: not CloudEvents SQL, too long, or nested too deep. The
 * message says which, and where in the expression, and is safe to send back to the client (with status 400).
 */
public final class InvalidFilterException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidFilterException(String message) {
        super(message);
    }
}
