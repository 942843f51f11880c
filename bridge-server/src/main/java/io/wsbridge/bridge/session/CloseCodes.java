package io.wsbridge.bridge.session;

/** The close codes the bridge sends, as documented in the README's protocol section. */
public final class CloseCodes {

    /** The server is shutting down (connector deleted or worker stopping), or the client stopped answering pings. */
    public static final int GOING_AWAY = 1001;

    /** The client sent a message that is not valid JSON of a known kind. */
    public static final int PROTOCOL_ERROR = 1002;

    /** The client sent a binary message; only text messages are accepted. */
    public static final int UNSUPPORTED_DATA = 1003;

    /** The client sent a text message that is not valid UTF-8. */
    public static final int BAD_PAYLOAD = 1007;

    /**
     * Access ended: the token expired, a refresh was refused, access was revoked, or it could not be checked again
     * because the identity provider has been unreachable for longer than the cached answers may serve; or the client
     * did not finish a fragmented message in time.
     */
    public static final int POLICY_VIOLATION = 1008;

    /**
     * The filter access control pins on the session's user changed (a group's {@code filter} attribute, a membership of
     * a group with one): the session ends so that the client connects again and gets the filter it has now. It is
     * the registered code "service restart", which clients treat as "reconnect".
     */
    public static final int ACCESS_CHANGED = 1012;

    /** The client sent a message larger than the configured limit. */
    public static final int MESSAGE_TOO_BIG = 1009;

    /** An internal failure on the server side. */
    public static final int INTERNAL_ERROR = 1011;

    /** The subscriber read too slowly: its queue overflowed under the {@code close} overflow policy. */
    public static final int SLOW_CONSUMER = 1013;

    /**
     * Try again later, as {@link #SLOW_CONSUMER}: the unfinished messages of all clients would hold more bytes than
     * their shared budget.
     */
    public static final int SERVER_BUSY = 1013;

    private CloseCodes() {
    }
}
