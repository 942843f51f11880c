package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.OverflowPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The bounded outbound queue of one peer link, with the subscribers' overflow policy. An event that the router offers
 * to several proxies of the same peer in a row (its plain proxy, then members of its groups) becomes one forwarded
 * message, as long as it is still the last one queued.
 */
final class ForwardQueue {

    /** What became of an offered event. */
    enum Outcome {
        /** Queued as a new message. */
        QUEUED,
        /** Added to the message of the same event at the tail. */
        MERGED,
        /** Queued after the oldest message was dropped ({@code drop-oldest}). */
        QUEUED_DROPPING_OLDEST,
        /** The queue was full under the {@code close} policy: it is closed and empty now. */
        OVERFLOWED,
        /** The queue was closed before; the event was not taken. */
        CLOSED
    }

    /** One forwarded message: an event and where the peer delivers it. */
    static final class Message {
        final Event event;
        boolean plain;
        final List<GroupKey> groups = new ArrayList<>(2);

        Message(Event event) {
            this.event = event;
        }

        void add(boolean toPlain, GroupKey group) {
            plain |= toPlain;
            if (group != null && !groups.contains(group)) {
                groups.add(group);
            }
        }
    }

    private final int capacity;
    private final OverflowPolicy policy;
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    private boolean closed;

    ForwardQueue(int capacity, OverflowPolicy policy) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.policy = policy;
    }

    /**
     * Queues the event for the peer's plain subscribers ({@code plain}) or for one member of {@code group}.
     */
    synchronized Outcome offer(Event event, boolean plain, GroupKey group) {
        if (closed) {
            return Outcome.CLOSED;
        }
        Message tail = queue.peekLast();
        if (tail != null && tail.event == event) {
            tail.add(plain, group);
            return Outcome.MERGED;
        }
        Outcome outcome = Outcome.QUEUED;
        if (queue.size() >= capacity) {
            if (policy == OverflowPolicy.DROP_OLDEST) {
                queue.pollFirst();
                outcome = Outcome.QUEUED_DROPPING_OLDEST;
            } else {
                closed = true;
                queue.clear();
                return Outcome.OVERFLOWED;
            }
        }
        Message message = new Message(event);
        message.add(plain, group);
        queue.addLast(message);
        return outcome;
    }

    /** Moves up to {@code into.length} messages, oldest first, into {@code into}; returns how many. */
    synchronized int drain(Message[] into) {
        int count = 0;
        while (count < into.length && !queue.isEmpty()) {
            into[count++] = queue.pollFirst();
        }
        return count;
    }

    /** Takes no more events and forgets the queued ones. */
    synchronized void close() {
        closed = true;
        queue.clear();
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized int size() {
        return queue.size();
    }
}
