package io.wsbridge.bridge.cli;

/** The token command failed or printed no usable token. The message never contains what the command printed. */
final class TokenCommandException extends Exception {

    private static final long serialVersionUID = 1L;

    TokenCommandException(String message) {
        super(message);
    }

    TokenCommandException(String message, Throwable cause) {
        super(message, cause);
    }
}
