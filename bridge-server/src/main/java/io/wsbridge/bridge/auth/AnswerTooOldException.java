package io.wsbridge.bridge.auth;

/**
 * The identity provider cannot answer, and the answer it gave last is older than the maximum staleness: it is no
 * longer used. An upgrade that depends on it is refused with 503; an open session that depends on it ends with 1008,
 * so a revoked user does not keep access through a long outage. The message is safe to show and log.
 */
public final class AnswerTooOldException extends IdentityUnavailableException {

    private static final long serialVersionUID = 1L;

    public AnswerTooOldException(String message, Throwable cause) {
        super(message, cause);
    }
}
