package io.wsbridge.bridge.route;

import java.util.Objects;

/**
 * Identifies a consumer group within an application: subscribers share a stream when they are the same principal and
 * have the same group id, the same channel and the same filter: a group with a filter is another group than the same
 * group id without one, or with another filter. A group belongs to its principal, so nobody else who may read
 * the application (an anonymous client of a public one, another user) can join it and take its events away; anonymous
 * clients share groups among themselves. Built once when a subscriber joins, never per event.
 *
 * @param principal the user or service account the access policy admitted the members as, or {@code null} for
 *     anonymous members (a name, never a credential, and kept out of metric labels)
 * @param groupId the {@code group_id} of the members
 * @param channel the channel they filter on, or {@code null} for every event of the application
 * @param filter the expression of the members' filter, or
 *     {@code null} if they have none
 */
public record GroupKey(String principal, String groupId, String channel, String filter) {

    public GroupKey {
        Objects.requireNonNull(groupId, "groupId");
    }

    /** A group without a filter. */
    public GroupKey(String principal, String groupId, String channel) {
        this(principal, groupId, channel, null);
    }

    /** A group of anonymous members. */
    public static GroupKey anonymous(String groupId, String channel) {
        return new GroupKey(null, groupId, channel);
    }

    /**
     * The group of {@code application} as one string, the same on every bridge: how a consuming bridge in cluster mode
     * names a group place it hands over.
     */
    public String placeId(String application) {
        StringBuilder id = new StringBuilder();
        for (String part : new String[] {application, principal, groupId, channel, filter}) {
            // each part's length first: no part can be mistaken for another, whatever characters they hold
            id.append(part == null ? -1 : part.length()).append(':').append(part == null ? "" : part).append('|');
        }
        return id.toString();
    }

    public boolean anonymous() {
        return principal == null;
    }

    /** Whether an event on {@code eventChannel} is for this group. */
    public boolean accepts(String eventChannel) {
        return channel == null || channel.equals(eventChannel);
    }
}
