package io.wsbridge.bridge;

/** A fatal bridge failure, such as a port that cannot be bound; the message says what to change. */
public class BridgeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BridgeException(String message, Throwable cause) {
        super(message, cause);
    }

    public BridgeException(String message) {
        super(message);
    }
}
