package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.LookupRefusedException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Bounds the Admin API lookups that clients cause by missing the cache: a token bucket per client address (over its
 * rate: 429) and a number of lookups running at once over all clients (none left: 503). Neither waits: the excess is
 * refused at once, with a {@code Retry-After}, and Keycloak is not asked. The bridge's own checks of open sessions
 * ({@link LookupOrigin#SESSION}) pass without a permit; they run on at most {@link #SESSION_CHECKS} threads.
 *
 * <p>The buckets of at most {@value #MAX_ADDRESSES} addresses are kept, the least recently seen forgotten first (an
 * address forgotten starts again with a full bucket; the bound over all clients still holds).
 */
final class LookupLimiter {

    /** A lookup allowed to run; closing it gives its slot back (once). */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    /** The bridge's own session checks that may run at once: one re-authorization round and two token refreshes. */
    static final int SESSION_CHECKS = 3;
    static final int MAX_ADDRESSES = 10_000;
    /** What a client refused because every lookup slot is taken is told to wait: lookups take milliseconds. */
    static final int BUSY_RETRY_AFTER_SECONDS = 1;
    private static final Permit UNLIMITED = () -> { };
    private static final double NANOS_PER_SECOND = 1e9;

    private final int maxConcurrent;
    private final Semaphore running;
    private final double perNano;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Map<InetAddress, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    /** @param nanoClock {@link System#nanoTime()} but for tests */
    LookupLimiter(KeycloakSettings.Lookups limits, LongSupplier nanoClock) {
        this.maxConcurrent = limits.maxConcurrent();
        this.running = new Semaphore(maxConcurrent);
        this.perNano = limits.perAddressPerSecond() / NANOS_PER_SECOND;
        this.burst = limits.perAddressBurst();
        this.nanoClock = nanoClock;
    }

    /**
     * A permit for one lookup on behalf of {@code origin}.
     *
     * @throws LookupRefusedException 429 if the origin's address is over its rate, 503 if the lookups running at once
     *     are at their bound
     */
    Permit acquire(LookupOrigin origin) throws LookupRefusedException {
        if (!origin.limited()) {
            return UNLIMITED;
        }
        long waitNanos = take(origin.address());
        if (waitNanos > 0) {
            throw new LookupRefusedException(429, LookupRefusedException.TOO_MANY_FROM_ADDRESS,
                    "too many lookups from your address: try again later", seconds(waitNanos));
        }
        if (!running.tryAcquire()) {
            throw new LookupRefusedException(503, LookupRefusedException.TOO_MANY,
                    "too many lookups at once: try again later", BUSY_RETRY_AFTER_SECONDS);
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                running.release();
            }
        };
    }

    /** Lookups of clients running now. */
    int running() {
        return maxConcurrent - running.availablePermits();
    }

    /** Takes a token of the address's bucket: 0 if there was one, else how long until there is. */
    private long take(InetAddress address) {
        long now = nanoClock.getAsLong();
        synchronized (buckets) {
            Bucket bucket = buckets.get(address);
            if (bucket == null) {
                bucket = new Bucket(burst, now);
                buckets.put(address, bucket);
            }
            double tokens = Math.min(burst, bucket.tokens + (now - bucket.refilledAt) * perNano);
            bucket.refilledAt = now;
            if (tokens >= 1) {
                bucket.tokens = tokens - 1;
                return 0;
            }
            bucket.tokens = tokens;
            return Math.max(1, (long) Math.ceil((1 - tokens) / perNano));
        }
    }

    private static int seconds(long nanos) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) Math.ceil(nanos / NANOS_PER_SECOND)));
    }

    private static final class Bucket {
        double tokens;
        long refilledAt;

        Bucket(double tokens, long refilledAt) {
            this.tokens = tokens;
            this.refilledAt = refilledAt;
        }
    }
}
