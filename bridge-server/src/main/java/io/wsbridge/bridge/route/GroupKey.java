package io.wsbridge.bridge.route;

import java.util.Objects;

/**
 * Identifies a consumer group within an application: subscribers share a stream when they have the same group id and
 * the same channel filter.
 *
 * @param groupId the {@code group_id} of the members
 * @param channel the channel they filter on, or {@code null} for every event of the application
 */
public record GroupKey(String groupId, String channel) {

    public GroupKey {
        Objects.requireNonNull(groupId, "groupId");
    }

    /** Whether an event on {@code eventChannel} is for this group. */
    public boolean accepts(String eventChannel) {
        return channel == null || channel.equals(eventChannel);
    }
}
