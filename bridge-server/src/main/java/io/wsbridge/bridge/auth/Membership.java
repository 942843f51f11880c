package io.wsbridge.bridge.auth;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a user's membership lets them read of one application: nothing, all of it, or only the events that match one
 * of the filters access control pins (CloudEvents SQL expressions; a session reads what any of them lets through,
 * restricted further by whatever filter it asks for).
 *
 * @param member whether the user may read the application at all
 * @param pinnedFilters the expressions the user is restricted to, distinct and sorted (so that the same groups always
 *     give the same list, whatever order the identity provider lists them in); empty for every event (and for no
 *     membership)
 */
public record Membership(boolean member, List<String> pinnedFilters) {

    /** Not a member. */
    public static final Membership NONE = new Membership(false, List.of());
    /** A member who reads every event. */
    public static final Membership FULL = new Membership(true, List.of());

    public Membership {
        pinnedFilters = List.copyOf(new TreeSet<>(pinnedFilters));
        if (!member && !pinnedFilters.isEmpty()) {
            throw new IllegalArgumentException("a pinned filter needs a membership");
        }
    }

    /** A member restricted to the events that match {@code filter}. */
    public static Membership pinned(String filter) {
        return new Membership(true, List.of(filter));
    }

    /**
     * The membership of a user who belongs to several groups of an application, each with or without a pin: a
     * membership without a pin wins (it reads everything); otherwise the user reads what any of the pins lets
     * through. No groups: no membership.
     *
     * @param pins the pin of each of the user's memberships, {@code null} for one without a pin
     */
    public static Membership union(Collection<String> pins) {
        if (pins.isEmpty()) {
            return NONE;
        }
        if (pins.stream().anyMatch(Objects::isNull)) {
            return FULL;
        }
        return new Membership(true, List.copyOf(pins));
    }

    /** Whether the user reads only what a pinned filter lets through. */
    public boolean pinned() {
        return !pinnedFilters.isEmpty();
    }
}
