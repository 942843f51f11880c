package io.wsbridge.bridge.auth;

import java.net.InetAddress;
import java.util.Objects;

/**
 * On whose behalf an access check may ask the identity provider, for the limits on lookups that miss the cache: a
 * client's upgrade (limited per client address and overall) or the bridge's own check of an open session (not
 * limited: at most one re-authorization round and two token refreshes run at a time, so a flood of upgrades cannot end
 * sessions by starving their checks).
 *
 * @param address the client's address, or {@code null} for a session check
 */
public record LookupOrigin(InetAddress address) {

    /** A check of an open session, made by the bridge itself. */
    public static final LookupOrigin SESSION = new LookupOrigin(null);

    /** An upgrade from the client at {@code address}. */
    public static LookupOrigin client(InetAddress address) {
        return new LookupOrigin(Objects.requireNonNull(address, "address"));
    }

    /** Whether this is a client's upgrade, subject to the limits. */
    public boolean limited() {
        return address != null;
    }
}
