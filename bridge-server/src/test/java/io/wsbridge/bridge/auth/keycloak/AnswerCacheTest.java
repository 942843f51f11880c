package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.auth.AnswerTooOldException;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.LookupRefusedException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AnswerCacheTest {

    static final Duration TTL = Duration.ofSeconds(30);
    static final Duration NEGATIVE_TTL = Duration.ofSeconds(10);
    static final Duration MAX_STALE = Duration.ofMinutes(5);
    static final KeycloakSettings SETTINGS = KeycloakSettings.of("http://kc", "wsbridge", "c", "s").withCacheTtl(TTL)
            .withNegativeCacheTtl(NEGATIVE_TTL).withMaxStale(MAX_STALE).withCacheMaxEntries(100)
            .withLookups(new KeycloakSettings.Lookups(1, 1, 2));
    static final LookupOrigin CLIENT = client(2);

    final FakeClock clock = new FakeClock();
    final LookupLimiter limiter = new LookupLimiter(SETTINGS.lookups(), clock);
    final AnswerCache<String, String> cache = cache(SETTINGS);
    final AtomicInteger loads = new AtomicInteger();
    ExecutorService executor;

    @AfterEach
    void stopExecutor() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    static LookupOrigin client(int lastByte) {
        try {
            return LookupOrigin.client(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastByte}));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "none" is the negative answer. */
    <K> AnswerCache<K, String> cache(KeycloakSettings settings) {
        return new AnswerCache<>(settings, "none"::equals, limiter, () -> { }, clock);
    }

    String get(String key, AnswerCache.Loader<String> loader) throws IdentityUnavailableException {
        return cache.get(key, LookupOrigin.SESSION, loader);
    }

    AnswerCache.Loader<String> answer(String value) {
        return () -> {
            loads.incrementAndGet();
            return value;
        };
    }

    AnswerCache.Loader<String> down() {
        return () -> {
            loads.incrementAndGet();
            throw new KeycloakUnavailableException("Keycloak at http://kc cannot be reached: Connection refused", null);
        };
    }

    @Test
    void aFreshAnswerIsServedWithoutAskingAgain() throws Exception {
        assertThat(get("q", answer("yes"))).isEqualTo("yes");
        clock.advance(TTL.minusMillis(1));

        assertThat(get("q", answer("no"))).isEqualTo("yes");
        assertThat(loads).hasValue(1);
    }

    @Test
    void anExpiredAnswerIsAskedAgain() throws Exception {
        get("q", answer("yes"));
        clock.advance(TTL);

        assertThat(get("q", answer("no"))).isEqualTo("no");
        assertThat(loads).hasValue(2);
    }

    @Test
    void eachQuestionHasItsOwnAnswer() throws Exception {
        get("a", answer("A"));

        assertThat(get("b", answer("B"))).isEqualTo("B");
        assertThat(get("a", answer("B"))).isEqualTo("A");
    }

    @Test
    void anExpiredAnswerKeepsServingWhileKeycloakCannotAnswer() throws Exception {
        get("q", answer("yes"));
        clock.advance(MAX_STALE);

        assertThat(get("q", down())).isEqualTo("yes");
        assertThat(get("q", down())).isEqualTo("yes");
        assertThat(loads).as("asked every time: the back-off is the admin's").hasValue(3);
    }

    @Test
    void aStaleAnswerIsRefreshedWhenKeycloakAnswersAgain() throws Exception {
        get("q", answer("yes"));
        clock.advance(TTL);
        get("q", down());

        assertThat(get("q", answer("no"))).isEqualTo("no");
        assertThat(get("q", down())).as("fresh again").isEqualTo("no");
    }

    @Test
    void aQuestionNeverAnsweredFailsClosedWhileKeycloakCannotAnswer() {
        assertThatThrownBy(() -> get("q", down()))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused")
                .hasCauseInstanceOf(KeycloakUnavailableException.class);
        assertThat(cache.size()).isZero();
    }

    @Test
    void aFailureIsNotCached() throws Exception {
        assertThatThrownBy(() -> get("q", down())).isInstanceOf(IdentityUnavailableException.class);

        assertThat(get("q", answer("yes"))).isEqualTo("yes");
    }

    @Test
    void programmingErrorsOfTheLoaderPassThrough() {
        assertThatThrownBy(() -> get("q", () -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(IllegalStateException.class).hasMessage("bug");
    }

    @Test
    void theLeastRecentlyUsedAnswersAreForgottenBeyondTheMaximum() throws Exception {
        AnswerCache<Integer, String> small = cache(SETTINGS.withCacheMaxEntries(2));
        small.get(1, LookupOrigin.SESSION, answer("one"));
        small.get(2, LookupOrigin.SESSION, answer("two"));
        small.get(1, LookupOrigin.SESSION, answer("one again"));
        small.get(3, LookupOrigin.SESSION, answer("three"));

        assertThat(small.size()).isEqualTo(2);
        assertThat(small.get(1, LookupOrigin.SESSION, answer("reloaded"))).isEqualTo("one");
        assertThat(small.get(2, LookupOrigin.SESSION, answer("reloaded"))).isEqualTo("reloaded");
    }

    @Test
    void clearForgetsEverything() throws Exception {
        get("q", answer("yes"));
        cache.clear();

        assertThat(get("q", answer("no"))).isEqualTo("no");
    }

    @Test
    void concurrentMissesOfOneQuestionShareOneRequest() throws Exception {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        executor = Executors.newFixedThreadPool(3, task -> {
            Thread thread = new Thread(task);
            threads.add(thread);
            return thread;
        });
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AnswerCache.Loader<String> slow = () -> {
            loads.incrementAndGet();
            loading.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return "yes";
        };
        Future<String> first = executor.submit(() -> get("q", slow));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        Future<String> second = executor.submit(() -> get("q", slow));
        Future<String> third = executor.submit(() -> get("q", slow));
        await().atMost(Duration.ofSeconds(5)).until(() -> threads.size() == 3
                && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));

        release.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(third.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(loads).hasValue(1);
    }

    @Test
    void aNegativeAnswerIsNotAskedAgainWithinItsShorterTimeToLive() throws Exception {
        assertThat(get("made-up", answer("none"))).isEqualTo("none");
        clock.advance(NEGATIVE_TTL.minusMillis(1));
        assertThat(get("made-up", answer("yes"))).isEqualTo("none");
        assertThat(loads).hasValue(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(get("made-up", answer("yes"))).isEqualTo("yes");
        clock.advance(NEGATIVE_TTL);
        assertThat(get("made-up", answer("none"))).as("a positive answer lives its own TTL").isEqualTo("yes");
        assertThat(loads).hasValue(2);
    }

    @Test
    void negativeAnswersNeverPushOutPositiveOnes() throws Exception {
        AnswerCache<String, String> small = cache(SETTINGS.withCacheMaxEntries(2));
        small.get("real", LookupOrigin.SESSION, answer("yes"));
        for (int i = 0; i < 10; i++) {
            small.get("made-up-" + i, LookupOrigin.SESSION, answer("none"));
        }

        assertThat(small.size()).as("two positive and two negative at most").isEqualTo(3);
        assertThat(small.get("real", LookupOrigin.SESSION, answer("reloaded"))).isEqualTo("yes");
        assertThat(small.get("made-up-0", LookupOrigin.SESSION, answer("reloaded"))).as("forgotten")
                .isEqualTo("reloaded");
    }

    @Test
    void anAnswerOlderThanTheMaximumStalenessIsNoLongerServed() throws Exception {
        get("q", answer("yes"));
        get("gone", answer("none"));
        clock.advance(MAX_STALE);
        assertThat(get("q", down())).isEqualTo("yes");
        assertThat(get("gone", down())).isEqualTo("none");

        clock.advance(Duration.ofSeconds(1));

        assertThatThrownBy(() -> get("q", down()))
                .isInstanceOf(AnswerTooOldException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused; the cached answer is 301.0 s"
                        + " old, older than the maximum staleness of 300 s")
                .hasCauseInstanceOf(KeycloakUnavailableException.class);
        assertThatThrownBy(() -> get("gone", down())).isInstanceOf(AnswerTooOldException.class);
        assertThat(get("q", answer("again"))).as("once Keycloak answers").isEqualTo("again");
    }

    @Test
    void aForgottenAnswerFailsAsTooOldOnceKeycloakHasBeenSilentForTheMaximumStaleness() throws Exception {
        AnswerCache<String, String> small = cache(SETTINGS.withCacheMaxEntries(1));
        small.get("session", LookupOrigin.SESSION, answer("yes"));
        small.get("other", LookupOrigin.SESSION, answer("yes")); // pushes the session's answer out
        clock.advance(MAX_STALE);

        assertThatThrownBy(() -> small.get("session", LookupOrigin.SESSION, down()))
                .isExactlyInstanceOf(IdentityUnavailableException.class);
        clock.advance(Duration.ofSeconds(1));
        assertThatThrownBy(() -> small.get("session", LookupOrigin.SESSION, down()))
                .isInstanceOf(AnswerTooOldException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused; no answer is cached, and"
                        + " Keycloak has not answered for 301.0 s, longer than the maximum staleness of 300 s");
    }

    @Test
    void aFreshAnswerIsServedToAClientOverItsRate() throws Exception {
        cache.get("q", CLIENT, answer("yes"));
        cache.get("r", CLIENT, answer("yes"));

        assertThat(cache.get("q", CLIENT, answer("no"))).isEqualTo("yes");
        assertThat(loads).hasValue(2);
    }

    @Test
    void aMissOfAClientOverItsRateIsRefusedWith429WithoutAskingKeycloak() throws Exception {
        cache.get("q", CLIENT, answer("none"));
        cache.get("r", CLIENT, answer("none"));

        assertThatThrownBy(() -> cache.get("s", CLIENT, answer("none")))
                .isInstanceOfSatisfying(LookupRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.metricReason()).isEqualTo("too_many_lookups_from_address");
                    assertThat(e.retryAfterSeconds()).isEqualTo(1);
                })
                .hasMessage("too many lookups from your address: try again later");
        assertThat(loads).hasValue(2);
        assertThat(cache.get("s", client(3), answer("none"))).as("another address").isEqualTo("none");
        assertThat(cache.get("t", LookupOrigin.SESSION, answer("none"))).as("a session check").isEqualTo("none");
        clock.advance(Duration.ofSeconds(1));
        assertThat(cache.get("u", CLIENT, answer("none"))).as("a second later").isEqualTo("none");
    }

    @Test
    void aMissBeyondTheLookupsRunningAtOnceIsRefusedWith503AndJoiningOneRunningNeedsNoSlot() throws Exception {
        executor = Executors.newFixedThreadPool(2);
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AnswerCache.Loader<String> slow = () -> {
            loads.incrementAndGet();
            loading.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return "yes";
        };
        Future<String> first = executor.submit(() -> cache.get("q", CLIENT, slow));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> cache.get("other", client(3), answer("yes")))
                .isInstanceOfSatisfying(LookupRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.metricReason()).isEqualTo("too_many_lookups");
                    assertThat(e.retryAfterSeconds()).isEqualTo(1);
                })
                .hasMessage("too many lookups at once: try again later");
        Future<String> joined = executor.submit(() -> cache.get("q", client(4), slow));
        assertThat(cache.get("session", LookupOrigin.SESSION, answer("yes"))).as("a session check").isEqualTo("yes");
        release.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(joined.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(cache.get("other", client(3), answer("yes"))).as("the slot is free again").isEqualTo("yes");
        assertThat(loads).hasValue(3);
    }
}
