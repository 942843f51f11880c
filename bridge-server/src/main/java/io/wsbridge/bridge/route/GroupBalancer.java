package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.Filter;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shares a stream round-robin between the members of one consumer group: each event goes to exactly one member
 * while any member is connected. Membership changes take effect with the next event.
 *
 * <p>In cluster mode the members include proxies of members connected to other bridges ({@link Subscription#remote()}),
 * so an event consumed here is spread over the group's members cluster-wide. An event a peer forwarded for the group
 * is handed to one of the <em>local</em> members only ({@link #deliverLocally}), with a round-robin of its own.
 */
public final class GroupBalancer {

    private static final Subscription[] NONE = new Subscription[0];

    private final AtomicLong next = new AtomicLong();
    private final AtomicLong nextLocal = new AtomicLong();
    private volatile Subscription[] members = NONE;
    private volatile Subscription[] localMembers = NONE;
    /** The members' filter (all members share it: it is part of their group's key), or {@code null}. */
    private volatile Filter filter;

    public synchronized void join(Subscription member) {
        if (members.length == 0) {
            filter = member.filter();
        }
        members = grow(members, member);
        if (!member.remote()) {
            localMembers = grow(localMembers, member);
        }
    }

    /** @return {@code true} if the group has no members left */
    public synchronized boolean leave(Subscription member) {
        members = shrink(members, member);
        if (!member.remote()) {
            localMembers = shrink(localMembers, member);
        }
        return members.length == 0;
    }

    /** The filter every member has, or {@code null}. */
    public Filter filter() {
        return filter;
    }

    public int size() {
        return members.length;
    }

    /** Members connected to this bridge. */
    public int localSize() {
        return localMembers.length;
    }

    /** The members connected to this bridge, as they are now. */
    Subscription[] localMembers() {
        return localMembers;
    }

    /**
     * Hands the event to the next member in turn; a member that turns out to be gone is skipped, so the event
     * reaches exactly one live member if there is one.
     *
     * @return {@code true} if a member took the event
     */
    public boolean deliver(Event event) {
        return deliver(members, next, event) != null;
    }

    /** As {@link #deliver}; @return the member that took it, or {@code null} */
    public Subscription deliverTo(Event event) {
        return deliver(members, next, event);
    }

    /**
     * As {@link #deliver}, among the members connected to this bridge only: for events a peer forwarded.
     *
     * @return the member that took it, or {@code null}
     */
    public Subscription deliverLocally(Event event) {
        return deliver(localMembers, nextLocal, event);
    }

    private static Subscription deliver(Subscription[] current, AtomicLong next, Event event) {
        int count = current.length;
        if (count == 0) {
            return null;
        }
        long start = next.getAndIncrement();
        for (int attempt = 0; attempt < count; attempt++) {
            Subscription member = current[(int) Math.floorMod(start + attempt, (long) count)];
            if (member.offer(event)) {
                if (attempt > 0) {
                    next.addAndGet(attempt);
                }
                return member;
            }
        }
        return null;
    }

    private static Subscription[] grow(Subscription[] current, Subscription member) {
        Subscription[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = member;
        return grown;
    }

    private static Subscription[] shrink(Subscription[] current, Subscription member) {
        int index = Arrays.asList(current).indexOf(member);
        if (index < 0) {
            return current;
        }
        Subscription[] shrunk = new Subscription[current.length - 1];
        System.arraycopy(current, 0, shrunk, 0, index);
        System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
        return shrunk;
    }
}
