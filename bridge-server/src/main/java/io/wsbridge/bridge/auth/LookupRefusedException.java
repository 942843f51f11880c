package io.wsbridge.bridge.auth;

/**
 * A lookup that missed the cache was not made, because of a limit on lookups: the identity provider was not asked.
 * The client is refused with {@link #status()} and {@code Retry-After}; the message is safe to show.
 */
public final class LookupRefusedException extends IdentityUnavailableException {

    private static final long serialVersionUID = 1L;

    /** The reason word of lookups refused for the rate of one client address (429). */
    public static final String TOO_MANY_FROM_ADDRESS = "too_many_lookups_from_address";
    /** The reason word of lookups refused because the bridge makes as many as it may at once (503). */
    public static final String TOO_MANY = "too_many_lookups";

    private final int status;
    private final String metricReason;
    private final int retryAfterSeconds;

    public LookupRefusedException(int status, String metricReason, String message, int retryAfterSeconds) {
        super(message, null);
        this.status = status;
        this.metricReason = metricReason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 429 (the client's address asked too often) or 503 (the bridge is busy with lookups). */
    public int status() {
        return status;
    }

    /** The fixed word that tags the refusal in the metrics. */
    public String metricReason() {
        return metricReason;
    }

    /** When the client may try again, at least 1. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
