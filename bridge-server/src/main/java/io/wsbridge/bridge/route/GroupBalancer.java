package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shares a stream round-robin between the members of one consumer group: each event goes to exactly one member
 * while any member is connected. Membership changes take effect with the next event.
 */
public final class GroupBalancer {

    private static final Subscription[] NONE = new Subscription[0];

    private final AtomicLong next = new AtomicLong();
    private volatile Subscription[] members = NONE;

    public synchronized void join(Subscription member) {
        Subscription[] current = members;
        Subscription[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = member;
        members = grown;
    }

    /** @return {@code true} if the group has no members left */
    public synchronized boolean leave(Subscription member) {
        Subscription[] current = members;
        int index = Arrays.asList(current).indexOf(member);
        if (index >= 0) {
            Subscription[] shrunk = new Subscription[current.length - 1];
            System.arraycopy(current, 0, shrunk, 0, index);
            System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
            members = shrunk;
        }
        return members.length == 0;
    }

    public int size() {
        return members.length;
    }

    /**
     * Hands the event to the next member in turn; a member that turns out to be gone is skipped, so the event
     * reaches exactly one live member if there is one.
     *
     * @return {@code true} if a member took the event
     */
    public boolean deliver(Event event) {
        Subscription[] current = members;
        int count = current.length;
        if (count == 0) {
            return false;
        }
        long start = next.getAndIncrement();
        for (int attempt = 0; attempt < count; attempt++) {
            Subscription member = current[(int) Math.floorMod(start + attempt, (long) count)];
            if (member.offer(event)) {
                if (attempt > 0) {
                    next.addAndGet(attempt);
                }
                return true;
            }
        }
        return false;
    }
}
