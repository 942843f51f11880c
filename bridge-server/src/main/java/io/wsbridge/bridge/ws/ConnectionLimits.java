package io.wsbridge.bridge.ws;

import java.net.InetAddress;
import java.nio.channels.SelectableChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectorManager;

/**
 * Counts the open WebSocket connections of one server, in all and per client address, so that an upgrade over a
 * limit is refused before any work. An upgrade takes a slot when it is negotiated; the slot is given back when the
 * upgrade is refused after all, or when its TCP connection ends, whatever ends it (close handshake, reset, idle
 * timeout, server stop): Jetty's selector reports the end of every accepted channel to this listener. An address
 * whose count drops to zero is forgotten.
 */
final class ConnectionLimits implements SelectorManager.AcceptListener {

    /** What {@link #acquire} decided. */
    enum Verdict {
        ADMITTED,
        TOO_MANY_CONNECTIONS,
        TOO_MANY_FROM_ADDRESS
    }

    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    /** The client address of each channel (the network connection) holding a slot. */
    private final Map<Object, InetAddress> slots = new ConcurrentHashMap<>();

    /**
     * Takes a slot for the connection of {@code endPoint}, from {@code address}, unless that would make more than
     * {@code maxTotal} connections, or more than {@code maxPerAddress} from the address. A connection holds one slot
     * at most.
     */
    Verdict acquire(EndPoint endPoint, InetAddress address, int maxTotal, int maxPerAddress) {
        EndPoint network = network(endPoint);
        Object channel = network.getTransport();
        if (slots.containsKey(channel)) {
            return Verdict.ADMITTED;
        }
        int current;
        do {
            current = open.get();
            if (current >= maxTotal) {
                return Verdict.TOO_MANY_CONNECTIONS;
            }
        } while (!open.compareAndSet(current, current + 1));
        boolean[] taken = {false};
        perAddress.compute(address, (key, count) -> {
            int n = count == null ? 0 : count;
            if (n >= maxPerAddress) {
                return count;
            }
            taken[0] = true;
            return n + 1;
        });
        if (!taken[0]) {
            open.decrementAndGet();
            return Verdict.TOO_MANY_FROM_ADDRESS;
        }
        slots.put(channel, address);
        if (!network.isOpen()) {
            // it may have ended before the slot was recorded, and with it its onClosed
            release(channel);
        }
        return Verdict.ADMITTED;
    }

    /** Gives back the slot of {@code endPoint}'s connection, if it holds one (its upgrade was refused after all). */
    void release(EndPoint endPoint) {
        release(network(endPoint).getTransport());
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        release((Object) channel);
    }

    /** Open connections holding a slot. */
    int open() {
        return open.get();
    }

    /** Open connections holding a slot from {@code address}. */
    int openFrom(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    /** Addresses with at least one open connection. */
    int addresses() {
        return perAddress.size();
    }

    private void release(Object channel) {
        InetAddress address = slots.remove(channel);
        if (address == null) {
            return;
        }
        perAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
        open.decrementAndGet();
    }

    /** The network end point under TLS's decrypting one. */
    private static EndPoint network(EndPoint endPoint) {
        EndPoint current = endPoint;
        while (current instanceof EndPoint.Wrapper wrapper) {
            current = wrapper.unwrap();
        }
        return current;
    }
}
