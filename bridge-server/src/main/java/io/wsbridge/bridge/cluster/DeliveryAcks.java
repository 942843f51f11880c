package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.route.Subscription;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The linking side's acknowledgements on one connection of a {@link PeerLink}: how many of the messages the peer
 * forwarded are done with here, so that the peer can forget the events it handed to members of groups on this bridge
 * (it deals the others again if the link drops first, or if the group's last member here leaves).
 *
 * <p>Each event a local group member took is recorded with the message it came in and how many events the member had
 * taken with it ({@link Subscription#handed()}); it is done with once the member has written that many
 * ({@link Subscription#settled()}). The acknowledgement names the messages before the first event not done with. A
 * member that closed never writes the rest: its events wait until the peer has learnt that it left (the interest
 * without it went out), and the peer deals them again; if it handed them over to other members of its group here
 * ({@link Subscription#handover()}), they wait until those wrote them. A member still catching up from history when
 * it took an event counts from when it is live.
 *
 * <p>{@link #taker()} and {@link #delivered()} are called on the link's reading thread, {@link #tick} on the cluster
 * thread.
 */
final class DeliveryAcks {

    /** An event taken by {@code member} in message {@code seq}: done with once it wrote {@code index} events. */
    private record Taken(long seq, Subscription member, long index) {
    }

    /** How many members in a row may have handed over what they had not written before acknowledgements wait. */
    private static final int MAX_HANDOVERS = 16;
    /** Stands for "not known yet": the member was catching up, its live events wait in its catch-up. */
    private static final long CATCHING_UP = -1;

    private final ArrayDeque<Taken> pending = new ArrayDeque<>();
    /** Members that closed and whose leaving the peer has been told of. Guarded by {@code this}. */
    private final Set<Subscription> left = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Consumer<Subscription> taker = this::took;
    /** Messages delivered so far. Guarded by {@code this}. */
    private long delivered;
    /** What was last acknowledged; on the cluster thread. */
    private long acknowledged;

    /** What to tell the router: it hands each group member that takes an event of the message being delivered. */
    Consumer<Subscription> taker() {
        return taker;
    }

    private synchronized void took(Subscription member) {
        pending.addLast(new Taken(delivered + 1, member, member.catchingUp() ? CATCHING_UP : member.handed()));
    }

    /** A forwarded message was delivered to the local subscribers (every offer of it made). */
    synchronized void delivered() {
        delivered++;
    }

    /**
     * The interest of this bridge went out, computed after {@code inRouter} were its local group members: a member
     * that closed and was not among them has left in the peer's eyes, and what it did not write is done with here.
     */
    synchronized void interestSent(Set<Subscription> inRouter) {
        for (Taken taken : pending) {
            if (taken.member().gone() && !inRouter.contains(taken.member())) {
                left.add(taken.member());
            }
        }
    }

    /**
     * Whether what a member that left had not written is done with: the members here it handed it over to have
     * written it, or left too, their peer told, and handed it over in turn (a member with nothing handed over: what
     * it had not written is the peer's to deal again, which it does when told that the member left). Under
     * {@code this}.
     */
    private boolean handedOver(Subscription member, int depth) {
        List<Subscription.Handover> handover = member.handover();
        if (handover == null || depth > MAX_HANDOVERS) {
            return false; // still leaving, or a chain longer than members leave in one tick
        }
        for (Subscription.Handover to : handover) {
            Subscription taker = to.member();
            boolean written = !taker.catchingUp() && taker.settled() >= to.handed();
            if (!written && !(taker.gone() && left.contains(taker) && handedOver(taker, depth + 1))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Advances what is acknowledged.
     *
     * @return the count of messages to acknowledge now, or -1 if nothing new is done with
     */
    long tick() {
        long done;
        synchronized (this) {
            while (!pending.isEmpty()) {
                Taken head = pending.peekFirst();
                Subscription member = head.member();
                if (head.index() == CATCHING_UP && !member.gone()) {
                    if (member.catchingUp()) {
                        break;
                    }
                    head = new Taken(head.seq(), member, member.handed()); // everything it holds now, to be safe
                    pending.pollFirst();
                    pending.addFirst(head);
                }
                boolean written = head.index() != CATCHING_UP && member.settled() >= head.index();
                if (!written && !(left.contains(member) && handedOver(member, 0))) {
                    break;
                }
                pending.pollFirst();
            }
            if (pending.isEmpty()) {
                left.clear();
            }
            done = pending.isEmpty() ? delivered : pending.peekFirst().seq() - 1;
        }
        if (done <= acknowledged) {
            return -1;
        }
        acknowledged = done;
        return done;
    }
}
