package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.PartitionId;
import java.util.List;
import java.util.Map;

/** What the router needs of a subscriber: where it listens, and a non-blocking way to hand it an event. */
public interface Subscription {

    String application();

    /** The channel (CloudEvent subject) it filters on, or {@code null} for every event of the application. */
    String channel();

    /**
     * The consumer group it shares the stream with (its principal, group id and channel), or {@code null} for a plain
     * subscriber. The same object for as long as the subscription lasts: the router looks groups up by it on join and
     * leave.
     */
    GroupKey group();

    /**
     * Queues the event for sending without blocking.
     *
     * @return {@code false} if the subscription is gone and the event was not taken (a group then tries another
     *     member); {@code true} once it owns the event, even if its overflow policy drops it later
     */
    boolean offer(Event event);

    /**
     * The filter events must match besides the channel, or {@code null}: the router evaluates it once per event for
     * all subscriptions that share it. A member of a group has the filter its {@link GroupKey} names.
     */
    default Filter filter() {
        return null;
    }

    default boolean accepts(Event event) {
        String channel = channel();
        return channel == null || channel.equals(event.channel());
    }

    /**
     * Whether this stands in for subscribers on another bridge of the cluster (a proxy that forwards to a peer)
     * rather than a subscriber connected here. Events a peer forwarded are delivered to local subscriptions only, and
     * only local subscriptions make up the interest a bridge announces to its peers.
     */
    default boolean remote() {
        return false;
    }

    /**
     * Cluster mode: this subscription formed its group again within the group retention time, on a bridge that
     * publishes some of the application's partitions; {@code place} is where the group stood in them when its last
     * member left.
     */
    default void placed(Cursor place) {
    }

    /**
     * Events it took so far; with {@link #settled()}, how far it got writing them. A subscription that does not count
     * (a proxy) is always settled.
     */
    default long handed() {
        return 0;
    }

    /**
     * Events it is done with so far, in the order it took them: written to its connection, or dropped by its overflow
     * policy. At least what {@link #handed()} was once everything taken until then is done with; what it had not
     * written when it closed ({@link #gone()}) never is.
     */
    default long settled() {
        return Long.MAX_VALUE;
    }

    /**
     * Adds to {@code lowest} (partition to offset, the earliest of each) the events it took and has not written yet:
     * what a consuming bridge must not let Kafka forget (commit) while a group member may still lose them.
     */
    default void lowestUnsettled(Map<PartitionId, Long> lowest) {
    }

    /** Whether it has closed: what it had taken and not written is lost with its connection. */
    default boolean gone() {
        return false;
    }

    /**
     * A group member that left handed what it had not written over to the group's other members here: each took it
     * as one of its first {@code handed} events. Until {@code handed} are settled by each, the events are not done
     * with: a linking bridge does not acknowledge them to the peer that forwarded them.
     */
    record Handover(Subscription member, long handed) {
    }

    /**
     * The members it handed what it had not written over to once it left ({@link Handover}); {@code null} while that
     * is under way (it is leaving), empty if it handed over nothing.
     */
    default List<Handover> handover() {
        return List.of();
    }

    /**
     * Whether it still catches up from history: live events wait in its catch-up and are not {@link #handed()} yet.
     */
    default boolean catchingUp() {
        return false;
    }
}
