package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.AnswerTooOldException;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.LookupRefusedException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Keycloak's answers kept for a short time to live (shorter for negative ones: no such application, user or key), and
 * kept beyond it while Keycloak cannot answer, up to a maximum staleness: an expired answer is refreshed when Keycloak
 * answers again, served as it is until then, and no longer served once it is older than the maximum
 * ({@link AnswerTooOldException}). A question without a cached answer fails closed with
 * {@link IdentityUnavailableException}; once Keycloak has not answered any question of this cache for longer than the
 * maximum staleness, with {@link AnswerTooOldException}: an answer forgotten to make room (or never given, since the
 * cache is new) cannot be older than that, so a session whose answer was forgotten does not outlive the maximum.
 *
 * <p>A miss asks Keycloak only with a permit of the {@link LookupLimiter} (else {@link LookupRefusedException}, and
 * Keycloak is not asked); concurrent misses of one key share one request, without a permit of their own. Positive and
 * negative answers are bounded apart, the least recently used forgotten first, so that made-up names never push out
 * real answers. (The back-off that keeps an outage from costing one timeout per question is {@link KeycloakAdmin}'s.)
 */
final class AnswerCache<K, V> {

    /** Asks Keycloak. */
    @FunctionalInterface
    interface Loader<V> {
        V load() throws KeycloakUnavailableException;
    }

    private record Entry<V>(V value, long loadedAt) {
    }

    private final long ttlNanos;
    private final long negativeTtlNanos;
    private final long maxStaleNanos;
    private final Predicate<V> negative;
    private final LookupLimiter limiter;
    private final Runnable onLoad;
    private final LongSupplier nanoClock;
    private final Map<K, Entry<V>> positives;
    private final Map<K, Entry<V>> negatives;
    private final Map<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();
    /** When Keycloak last answered a question of this cache (when the cache was made, before). */
    private volatile long lastAnswerAt;

    /**
     * @param settings the time to live of positive and negative answers, the maximum staleness and size
     * @param negative which answers are negative
     * @param limiter the limits on misses
     * @param onLoad told of every question asked of Keycloak
     * @param nanoClock {@link System#nanoTime()} but for tests
     */
    AnswerCache(KeycloakSettings settings, Predicate<V> negative, LookupLimiter limiter, Runnable onLoad,
            LongSupplier nanoClock) {
        this.ttlNanos = settings.cacheTtl().toNanos();
        this.negativeTtlNanos = settings.negativeCacheTtl().toNanos();
        this.maxStaleNanos = settings.maxStale().toNanos();
        this.negative = negative;
        this.limiter = limiter;
        this.onLoad = onLoad;
        this.nanoClock = nanoClock;
        this.positives = bounded(settings.cacheMaxEntries());
        this.negatives = bounded(settings.cacheMaxEntries());
        this.lastAnswerAt = nanoClock.getAsLong();
    }

    private static <K, E> Map<K, E> bounded(int maxEntries) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, E> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /**
     * The cached answer if it is fresh; else a new one from {@code loader}; else, if Keycloak cannot answer, the
     * cached answer unless it is older than the maximum staleness.
     *
     * @throws LookupRefusedException the answer is not fresh and a limit refused to ask Keycloak for {@code origin}
     * @throws AnswerTooOldException Keycloak cannot answer and the cached answer is older than the maximum staleness
     * @throws IdentityUnavailableException Keycloak cannot answer and no answer is cached
     */
    V get(K key, LookupOrigin origin, Loader<V> loader) throws IdentityUnavailableException {
        Entry<V> cached = cached(key);
        if (cached != null && nanoClock.getAsLong() - cached.loadedAt() < ttl(cached.value())) {
            return cached.value();
        }
        CompletableFuture<V> running = inFlight.get(key);
        if (running != null) {
            return await(running, key);
        }
        LookupLimiter.Permit permit = limiter.acquire(origin);
        CompletableFuture<V> mine = new CompletableFuture<>();
        running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            permit.close();
            return await(running, key);
        }
        try (permit) {
            onLoad.run();
            V value = loader.load();
            long now = nanoClock.getAsLong();
            lastAnswerAt = now;
            store(key, new Entry<>(value, now));
            mine.complete(value);
            return value;
        } catch (KeycloakUnavailableException e) {
            mine.completeExceptionally(e);
            return staleOrFail(key, e);
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /** Forgets everything. */
    void clear() {
        synchronized (this) {
            positives.clear();
            negatives.clear();
        }
    }

    int size() {
        synchronized (this) {
            return positives.size() + negatives.size();
        }
    }

    private long ttl(V value) {
        return negative.test(value) ? negativeTtlNanos : ttlNanos;
    }

    private Entry<V> cached(K key) {
        synchronized (this) {
            Entry<V> entry = positives.get(key);
            return entry != null ? entry : negatives.get(key);
        }
    }

    private void store(K key, Entry<V> entry) {
        synchronized (this) {
            if (negative.test(entry.value())) {
                positives.remove(key);
                negatives.put(key, entry);
            } else {
                negatives.remove(key);
                positives.put(key, entry);
            }
        }
    }

    private V await(CompletableFuture<V> running, K key) throws IdentityUnavailableException {
        try {
            return running.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof KeycloakUnavailableException unavailable) {
                return staleOrFail(key, unavailable);
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    private V staleOrFail(K key, KeycloakUnavailableException cause) throws IdentityUnavailableException {
        Entry<V> cached = cached(key);
        if (cached == null) {
            long silence = nanoClock.getAsLong() - lastAnswerAt;
            if (silence > maxStaleNanos) {
                throw new AnswerTooOldException(cause.getMessage() + "; no answer is cached, and Keycloak has not"
                        + " answered for " + String.format(Locale.ROOT, "%.1f s", silence / 1e9) + ", longer than the"
                        + " maximum staleness of " + KeycloakAdmin.human(Duration.ofNanos(maxStaleNanos)), cause);
            }
            throw new IdentityUnavailableException(cause.getMessage(), cause);
        }
        long age = nanoClock.getAsLong() - cached.loadedAt();
        if (age > maxStaleNanos) {
            throw new AnswerTooOldException(cause.getMessage() + "; the cached answer is "
                    + String.format(Locale.ROOT, "%.1f s", age / 1e9) + " old, older than the maximum staleness of "
                    + KeycloakAdmin.human(Duration.ofNanos(maxStaleNanos)), cause);
        }
        return cached.value();
    }
}
