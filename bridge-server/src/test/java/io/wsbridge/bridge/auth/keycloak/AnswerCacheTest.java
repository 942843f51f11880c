package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.auth.IdentityUnavailableException;
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

    final FakeClock clock = new FakeClock();
    final AnswerCache<String, String> cache = new AnswerCache<>(TTL, 100, clock);
    final AtomicInteger loads = new AtomicInteger();
    ExecutorService executor;

    @AfterEach
    void stopExecutor() {
        if (executor != null) {
            executor.shutdownNow();
        }
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
        assertThat(cache.get("q", answer("yes"))).isEqualTo("yes");
        clock.advance(TTL.minusMillis(1));

        assertThat(cache.get("q", answer("no"))).isEqualTo("yes");
        assertThat(loads).hasValue(1);
    }

    @Test
    void anExpiredAnswerIsAskedAgain() throws Exception {
        cache.get("q", answer("yes"));
        clock.advance(TTL);

        assertThat(cache.get("q", answer("no"))).isEqualTo("no");
        assertThat(loads).hasValue(2);
    }

    @Test
    void eachQuestionHasItsOwnAnswer() throws Exception {
        cache.get("a", answer("A"));

        assertThat(cache.get("b", answer("B"))).isEqualTo("B");
        assertThat(cache.get("a", answer("B"))).isEqualTo("A");
    }

    @Test
    void anExpiredAnswerKeepsServingWhileKeycloakCannotAnswer() throws Exception {
        cache.get("q", answer("yes"));
        clock.advance(TTL.multipliedBy(100));

        assertThat(cache.get("q", down())).isEqualTo("yes");
        assertThat(cache.get("q", down())).isEqualTo("yes");
        assertThat(loads).as("asked every time: the back-off is the admin's").hasValue(3);
    }

    @Test
    void aStaleAnswerIsRefreshedWhenKeycloakAnswersAgain() throws Exception {
        cache.get("q", answer("yes"));
        clock.advance(TTL);
        cache.get("q", down());

        assertThat(cache.get("q", answer("no"))).isEqualTo("no");
        assertThat(cache.get("q", down())).as("fresh again").isEqualTo("no");
    }

    @Test
    void aQuestionNeverAnsweredFailsClosedWhileKeycloakCannotAnswer() {
        assertThatThrownBy(() -> cache.get("q", down()))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused")
                .hasCauseInstanceOf(KeycloakUnavailableException.class);
        assertThat(cache.size()).isZero();
    }

    @Test
    void aFailureIsNotCached() throws Exception {
        assertThatThrownBy(() -> cache.get("q", down())).isInstanceOf(IdentityUnavailableException.class);

        assertThat(cache.get("q", answer("yes"))).isEqualTo("yes");
    }

    @Test
    void programmingErrorsOfTheLoaderPassThrough() {
        assertThatThrownBy(() -> cache.get("q", () -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(IllegalStateException.class).hasMessage("bug");
    }

    @Test
    void theLeastRecentlyUsedAnswersAreForgottenBeyondTheMaximum() throws Exception {
        AnswerCache<Integer, String> small = new AnswerCache<>(TTL, 2, clock);
        small.get(1, answer("one"));
        small.get(2, answer("two"));
        small.get(1, answer("one again"));
        small.get(3, answer("three"));

        assertThat(small.size()).isEqualTo(2);
        assertThat(small.get(1, answer("reloaded"))).isEqualTo("one");
        assertThat(small.get(2, answer("reloaded"))).isEqualTo("reloaded");
    }

    @Test
    void clearForgetsEverything() throws Exception {
        cache.get("q", answer("yes"));
        cache.clear();

        assertThat(cache.get("q", answer("no"))).isEqualTo("no");
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
        Future<String> first = executor.submit(() -> cache.get("q", slow));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        Future<String> second = executor.submit(() -> cache.get("q", slow));
        Future<String> third = executor.submit(() -> cache.get("q", slow));
        await().atMost(Duration.ofSeconds(5)).until(() -> threads.size() == 3
                && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));

        release.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(third.get(5, TimeUnit.SECONDS)).isEqualTo("yes");
        assertThat(loads).hasValue(1);
    }
}
