package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One element of a bridge's interest, as peers exchange it: plain subscribers of an application (all channels, or one
 * channel) or one consumer group of it. The interest is a set of entries, each with a member count (1 for plain
 * entries), so that it can be sent in bounded chunks and kept up to date with differences: subscribers of the same
 * entry are counted, never listed one by one.
 *
 * @param application the application
 * @param channel the channel of a plain entry, or {@code null} for all channels (and for a group: its key has one)
 * @param group the group, or {@code null} for plain subscribers
 */
record InterestEntry(String application, String channel, GroupKey group) {

    InterestEntry {
        Objects.requireNonNull(application, "application");
        if (group != null && channel != null) {
            throw new IllegalArgumentException("a group entry has its channel in its group key");
        }
    }

    static InterestEntry all(String application) {
        return new InterestEntry(application, null, null);
    }

    static InterestEntry channel(String application, String channel) {
        return new InterestEntry(application, Objects.requireNonNull(channel, "channel"), null);
    }

    static InterestEntry group(String application, GroupKey group) {
        return new InterestEntry(application, null, Objects.requireNonNull(group, "group"));
    }

    boolean plain() {
        return group == null;
    }

    /** The entries of {@code interest}, with their member counts. */
    static Map<InterestEntry, Integer> of(Interest interest) {
        Map<InterestEntry, Integer> entries = new HashMap<>();
        interest.applications().forEach((application, wanted) -> {
            if (wanted.allChannels()) {
                entries.put(all(application), 1);
            }
            wanted.channels().forEach(channel -> entries.put(channel(application, channel), 1));
            wanted.groups().forEach((key, members) -> entries.put(group(application, key), members));
        });
        return entries;
    }

    /**
     * The interest in each application of {@code entries}; applications without any entry are absent.
     *
     * @param entries the entries of some applications, all of each
     */
    static Map<String, Interest.Application> applications(Map<InterestEntry, Integer> entries) {
        Map<String, Boolean> all = new HashMap<>();
        Map<String, Set<String>> channels = new HashMap<>();
        Map<String, Map<GroupKey, Integer>> groups = new HashMap<>();
        entries.forEach((entry, members) -> {
            String application = entry.application();
            all.putIfAbsent(application, false);
            channels.computeIfAbsent(application, a -> new HashSet<>());
            groups.computeIfAbsent(application, a -> new HashMap<>());
            if (entry.group() != null) {
                groups.get(application).put(entry.group(), members);
            } else if (entry.channel() == null) {
                all.put(application, true);
            } else {
                channels.get(application).add(entry.channel());
            }
        });
        Map<String, Interest.Application> applications = new HashMap<>();
        all.forEach((application, allChannels) -> applications.put(application,
                new Interest.Application(allChannels, channels.get(application), groups.get(application))));
        return applications;
    }
}
