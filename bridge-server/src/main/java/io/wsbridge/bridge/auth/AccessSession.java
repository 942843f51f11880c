package io.wsbridge.bridge.auth;

import java.time.Instant;

/**
 * A session whose access is checked for as long as it lasts, whatever carries it (a WebSocket subscriber, a stream
 * of another kind): {@link SessionAccess} ends it when its credentials expire or lose access, and swaps in refreshed
 * credentials.
 */
public interface AccessSession {

    /** The application the session reads. */
    String application();

    Credentials credentials();

    /**
     * The decision that admitted the session, or its latest refresh: its principal never changes, since a refresh for
     * another principal ends the session instead.
     */
    AccessDecision access();

    /** When the session's credentials expire, or {@code null}. */
    default Instant expiresAt() {
        return access().expiresAt();
    }

    boolean isOpen();

    /** Replaces the session's credentials after a successful refresh for the same principal. */
    void refreshed(Credentials credentials, AccessDecision access);

    /** Ends the session with a close code (see {@code CloseCodes}) and a reason the client may read. */
    void close(int code, String reason);
}
