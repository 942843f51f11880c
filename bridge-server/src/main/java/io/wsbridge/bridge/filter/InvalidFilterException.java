package io.wsbridge.bridge.filter;

/**
 * A filter is not one the bridge accepts: not CloudEvents SQL, too long, or nested too deep. The message says which,
 * and where in the expression. A subscriber's own filter's message is safe to send back to the client (with status
 * 400); one that access control pinned ({@link #pinned()}) is an administrator's mistake, and its message may quote
 * the pinned expression, which the client is not told.
 */
public final class InvalidFilterException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean pinned;

    public InvalidFilterException(String message) {
        this(message, false);
    }

    /** @param pinned whether a filter access control pinned is at fault, rather than the subscriber's own */
    public InvalidFilterException(String message, boolean pinned) {
        super(message);
        this.pinned = pinned;
    }

    /** Whether a filter access control pinned is at fault, rather than the subscriber's own. */
    public boolean pinned() {
        return pinned;
    }
}
