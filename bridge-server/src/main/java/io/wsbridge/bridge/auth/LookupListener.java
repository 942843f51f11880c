package io.wsbridge.bridge.auth;

/** Told of every lookup that reaches the identity provider (a cache miss), for the metrics. */
@FunctionalInterface
public interface LookupListener {

    /** Counts nothing. */
    LookupListener NONE = kind -> { };

    /**
     * One question was asked of the identity provider.
     *
     * @param kind what was asked: {@code application}, {@code membership} or {@code api_key}
     */
    void lookedUp(String kind);
}
