package io.wsbridge.bridge.ws;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The bytes that clients' unfinished messages (sent in fragments, the last one still to come) hold over all the
 * connections of a server: each connection's own limit ({@code maxMessageBytes}) times thousands of connections
 * would be more memory than a worker has, so they share this budget.
 */
public final class MessageBudget {

    private final LongSupplier limit;
    private final AtomicLong used = new AtomicLong();

    /** @param limit the budget in bytes, read at each request so that a reconfiguration applies at once */
    public MessageBudget(LongSupplier limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} from the budget, or nothing if that would exceed it. */
    boolean tryTake(long bytes) {
        long max = limit.getAsLong();
        long current;
        do {
            current = used.get();
            if (current + bytes > max) {
                return false;
            }
        } while (!used.compareAndSet(current, current + bytes));
        return true;
    }

    void giveBack(long bytes) {
        used.addAndGet(-bytes);
    }

    /** The budget in bytes. */
    public long limit() {
        return limit.getAsLong();
    }

    /** Bytes held by unfinished messages now. */
    public long used() {
        return used.get();
    }
}
