package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.IdentityUnavailableException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Keycloak's answers (positive and negative alike) kept for a short time to live, and kept beyond it while Keycloak
 * cannot answer: an expired answer is refreshed when Keycloak answers again, and served as it is until then. A
 * question never answered before fails closed with {@link IdentityUnavailableException}.
 *
 * <p>Concurrent misses of one key share one request. The least recently used answers are forgotten beyond a maximum
 * size. (The back-off that keeps an outage from costing one timeout per question is {@link KeycloakAdmin}'s.)
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
    private final LongSupplier nanoClock;
    private final Map<K, Entry<V>> entries;
    private final Map<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

    /** @param nanoClock {@link System#nanoTime()} but for tests */
    AnswerCache(Duration ttl, int maxEntries, LongSupplier nanoClock) {
        this.ttlNanos = ttl.toNanos();
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /**
     * The cached answer if it is fresh; else a new one from {@code loader}; else, if Keycloak cannot answer, the
     * cached answer however old.
     *
     * @throws IdentityUnavailableException Keycloak cannot answer and no answer is cached
     */
    V get(K key, Loader<V> loader) throws IdentityUnavailableException {
        Entry<V> cached;
        synchronized (entries) {
            cached = entries.get(key);
        }
        if (cached != null && nanoClock.getAsLong() - cached.loadedAt() < ttlNanos) {
            return cached.value();
        }
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return await(running, key);
        }
        try {
            V value = loader.load();
            synchronized (entries) {
                entries.put(key, new Entry<>(value, nanoClock.getAsLong()));
            }
            mine.complete(value);
            return value;
        } catch (KeycloakUnavailableException e) {
            mine.completeExceptionally(e);
            return staleOrFail(cached, e);
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /** Forgets everything. */
    void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private V await(CompletableFuture<V> running, K key) throws IdentityUnavailableException {
        try {
            return running.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof KeycloakUnavailableException unavailable) {
                Entry<V> cached;
                synchronized (entries) {
                    cached = entries.get(key);
                }
                return staleOrFail(cached, unavailable);
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    private V staleOrFail(Entry<V> cached, KeycloakUnavailableException cause) throws IdentityUnavailableException {
        if (cached != null) {
            return cached.value();
        }
        throw new IdentityUnavailableException(cause.getMessage(), cause);
    }
}
