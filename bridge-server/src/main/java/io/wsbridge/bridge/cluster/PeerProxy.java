package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import io.wsbridge.bridge.route.Subscription;

/**
 * Stands in, in a consuming bridge's router, for subscribers connected to a peer: one plain proxy per application
 * with plain subscribers there (filtering on their channels), and one member proxy per group member there, in the
 * group of the same key (principal, group id, channel, filter), so that the group's round-robin spreads the stream
 * over all members of the cluster and no other principal's group. A member proxy of a group with a filter has the
 * compiled filter, so the group's round-robin here hands the group only matching events, as it does for local
 * members. Offering an event queues it on the link to that peer.
 */
final class PeerProxy implements Subscription {

    /** Where a proxy's events go: the outbound queue of its peer link. */
    interface Forwarder {

        /** @return {@code false} if the link is gone and the event was not taken */
        boolean forward(Event event, boolean plain, GroupKey group);

        /** The member proxy formed its group again: the peer's member catches up from {@code place}. */
        default void placed(String application, GroupKey group, Cursor place) {
        }
    }

    private final Forwarder forwarder;
    private final String application;
    private final GroupKey group;
    private final Filter filter;
    private volatile Interest.Application plainFilter;

    private PeerProxy(Forwarder forwarder, String application, GroupKey group, Filter filter,
            Interest.Application plainFilter) {
        this.forwarder = forwarder;
        this.application = application;
        this.group = group;
        this.filter = filter;
        this.plainFilter = plainFilter;
    }

    static PeerProxy plain(Forwarder forwarder, String application, Interest.Application interest) {
        return new PeerProxy(forwarder, application, null, null, interest);
    }

    /** @param filter the compiled filter of the group's key, or {@code null} if it has none */
    static PeerProxy member(Forwarder forwarder, String application, GroupKey group, Filter filter) {
        return new PeerProxy(forwarder, application, group, filter, null);
    }

    @Override
    public Filter filter() {
        return filter;
    }

    /** The peer's plain subscribers changed their channels; applies from the next event. */
    void plainFilter(Interest.Application interest) {
        this.plainFilter = interest;
    }

    @Override
    public GroupKey group() {
        return group;
    }

    @Override
    public String application() {
        return application;
    }

    @Override
    public String channel() {
        return group == null ? null : group.channel();
    }

    @Override
    public boolean accepts(Event event) {
        return group == null ? plainFilter.acceptsPlain(event.channel()) : group.accepts(event.channel());
    }

    @Override
    public boolean offer(Event event) {
        return forwarder.forward(event, group == null, group);
    }

    @Override
    public void placed(Cursor place) {
        if (group != null) {
            forwarder.placed(application, group, place);
        }
    }

    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public String toString() {
        return "PeerProxy[" + forwarder + " -> " + application + (group == null ? " plain" : " " + group) + "]";
    }
}
