package io.wsbridge.bridge.resume;

/** A {@code from} value that cannot be used; the message says why and is meant for the client (400). */
public final class CursorException extends Exception {

    private static final long serialVersionUID = 1L;

    public CursorException(String message) {
        super(message);
    }
}
