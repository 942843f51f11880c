package io.wsbridge.bridge.route;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the subscribers connected to one bridge want, per application: the events for plain subscribers (all, or only
 * some channels) and, per consumer group, how many members are connected here. A bridge announces its interest to the
 * peers that consume events, which then forward what matches.
 *
 * @param applications the interest per application; applications without subscribers are absent
 */
public record Interest(Map<String, Application> applications) {

    public static final Interest NONE = new Interest(Map.of());

    public Interest {
        applications = Map.copyOf(applications);
    }

    /**
     * The interest in one application.
     *
     * @param allChannels whether a plain subscriber takes every event of the application
     * @param channels the channels plain subscribers filter on (irrelevant when {@code allChannels})
     * @param groups the number of members connected here, per group
     */
    public record Application(boolean allChannels, Set<String> channels, Map<GroupKey, Integer> groups) {

        public Application {
            channels = allChannels ? Set.of() : Set.copyOf(channels);
            groups = Map.copyOf(groups);
            groups.forEach((key, members) -> {
                if (members < 1) {
                    throw new IllegalArgumentException("group " + key + " has " + members + " members");
                }
            });
        }

        /** Whether plain subscribers want any events of the application. */
        public boolean plain() {
            return allChannels || !channels.isEmpty();
        }

        /** Whether plain subscribers want an event on {@code channel} (may be {@code null}). */
        public boolean acceptsPlain(String channel) {
            return allChannels || channel != null && channels.contains(channel);
        }

        public boolean isEmpty() {
            return !plain() && groups.isEmpty();
        }
    }

    public Application application(String name) {
        return applications.get(Objects.requireNonNull(name));
    }
}
