package io.wsbridge.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.session.CloseCodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SessionAccess}'s rules under load, with sessions and a policy of the test's own (no sockets). */
class SessionAccessRulesTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /** A session that records what happens to it. */
    static final class FakeSession implements AccessSession {
        final String name;
        volatile Credentials credentials;
        volatile AccessDecision access;
        volatile int closeCode;
        volatile String closeReason;
        final List<String> refreshedWith = new ArrayList<>();

        FakeSession(String name, Credentials credentials) {
            this(name, credentials, null);
        }

        FakeSession(String name, Credentials credentials, Instant expiresAt) {
            this.name = name;
            this.credentials = credentials;
            this.access = AccessDecision.allow(new Identity("user", "user", expiresAt));
        }

        @Override
        public String application() {
            return "app";
        }

        @Override
        public Credentials credentials() {
            return credentials;
        }

        @Override
        public AccessDecision access() {
            return access;
        }

        @Override
        public boolean isOpen() {
            return closeCode == 0;
        }

        @Override
        public synchronized void refreshed(Credentials newCredentials, AccessDecision access) {
            credentials = newCredentials;
            this.access = access;
            refreshedWith.add(((Credentials.Bearer) newCredentials).token());
        }

        @Override
        public void close(int code, String reason) {
            closeCode = code;
            closeReason = reason;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * Allows every bearer token except "revoked", with the filter {@code pins} has for it pinned; counts its checks;
     * can be held up by a latch.
     */
    static final class CountingPolicy implements AccessPolicy {
        final AtomicInteger checks = new AtomicInteger();
        final Map<String, String> pins = new ConcurrentHashMap<>();
        final Set<String> checkedTokens = ConcurrentHashMap.newKeySet();
        volatile CountDownLatch hold = new CountDownLatch(0);

        @Override
        public AccessDecision check(Credentials credentials, String application) {
            try {
                hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            checks.incrementAndGet();
            String token = ((Credentials.Bearer) credentials).token();
            checkedTokens.add(token);
            return switch (token) {
                case "revoked" -> AccessDecision.notFound();
                case "unavailable" -> AccessDecision.unavailable("Keycloak at http://kc cannot be reached", 5);
                case "too-old" -> AccessDecision.answersTooOld("Keycloak at http://kc cannot be reached; the cached"
                        + " answer is 301 s old, older than the maximum staleness of 300 s", 5);
                default -> AccessDecision.allow(new Identity("user", "user", Instant.now().plusSeconds(3600)),
                        pins.containsKey(token) ? Membership.pinned(pins.get(token)) : Membership.FULL);
            };
        }

        @Override
        public String describe() {
            return "counting";
        }
    }

    final CountingPolicy policy = new CountingPolicy();
    final List<FakeSession> sessions = new ArrayList<>();
    final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    final SessionAccess access = new SessionAccess(() -> policy, () -> sessions);

    @AfterEach
    void stop() {
        access.close();
        timer.shutdownNow();
    }

    @Test
    void aRoundReauthorizesTenThousandSessionsWithoutDroppingOne() {
        IntStream.range(0, 10_000).forEach(i -> sessions.add(new FakeSession("s" + i,
                new Credentials.Bearer(i % 1000 == 0 ? "revoked" : "t" + i))));
        access.start(timer, Duration.ofHours(1), "test-auth");

        access.reauthorizeAll();

        assertThat(policy.checks).hasValue(10_000);
        assertThat(access.sessionsReauthorized()).isEqualTo(10_000);
        assertThat(sessions).filteredOn(s -> !s.isOpen()).hasSize(10)
                .allSatisfy(s -> assertThat(s.closeCode).isEqualTo(CloseCodes.POLICY_VIOLATION));
    }

    @Test
    void roundsRunOnTheirScheduleOnAThreadOfTheirOwn() {
        sessions.add(new FakeSession("s", new Credentials.Bearer("revoked")));
        access.start(timer, Duration.ofMillis(50), "test-auth");

        await().atMost(WAIT).until(() -> sessions.get(0).closeCode == CloseCodes.POLICY_VIOLATION);
    }

    @Test
    void refreshesThatArriveWhileOneWaitsCollapseIntoTheNewest() throws Exception {
        FakeSession session = new FakeSession("s", new Credentials.Bearer("t0"));
        sessions.add(session);
        access.start(timer, Duration.ofHours(1), "test-auth");
        policy.hold = new CountDownLatch(1);

        access.refresh(session, new Credentials.Bearer("t1"));
        await().atMost(WAIT).until(() -> access.refreshesChecked() == 1); // t1 is being checked, held up
        for (int i = 2; i <= 100; i++) {
            access.refresh(session, new Credentials.Bearer("t" + i));
        }
        policy.hold.countDown();

        await().atMost(WAIT).until(() -> "t100".equals(((Credentials.Bearer) session.credentials).token()));
        assertThat(access.refreshesChecked()).as("the one being checked, then only the newest").isLessThanOrEqualTo(2);
        assertThat(session.refreshedWith).last().isEqualTo("t100");
        assertThat(session.refreshedWith).isSubsetOf("t1", "t100");
    }

    @Test
    void everySessionsRefreshIsCheckedUnderAFlood() {
        IntStream.range(0, 10_000).forEach(i -> sessions.add(new FakeSession("s" + i, new Credentials.Bearer("t"))));
        access.start(timer, Duration.ofHours(1), "test-auth");

        sessions.forEach(s -> access.refresh(s, new Credentials.Bearer("fresh-" + s.name)));

        await().atMost(WAIT).until(() -> access.refreshesChecked() == 10_000);
        assertThat(sessions).allSatisfy(s -> assertThat(((Credentials.Bearer) s.credentials).token())
                .isEqualTo("fresh-" + s.name));
    }

    @Test
    void aSessionWhoseAnswersAreTooOldEndsWith1008WhileOneThatCannotBeAnsweredStays() {
        FakeSession tooOld = new FakeSession("too-old", new Credentials.Bearer("too-old"));
        FakeSession unavailable = new FakeSession("unavailable", new Credentials.Bearer("unavailable"));
        FakeSession fine = new FakeSession("fine", new Credentials.Bearer("t"));
        sessions.addAll(List.of(tooOld, unavailable, fine));
        access.start(timer, Duration.ofHours(1), "test-auth");

        access.reauthorizeAll();

        assertThat(tooOld.closeCode).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(tooOld.closeReason).isEqualTo(
                "access could not be checked again: the identity provider has been unreachable too long");
        assertThat(unavailable.isOpen()).isTrue();
        assertThat(fine.isOpen()).isTrue();
    }

    /** A session admitted with what the policy decides for its token now. */
    FakeSession admitted(String token) {
        FakeSession session = new FakeSession(token, new Credentials.Bearer(token));
        session.access = policy.check(session.credentials, "app");
        sessions.add(session);
        return session;
    }

    @Test
    void aSessionWhosePinnedFilterChangedEndsWith1012AndOnesWhosePinIsTheSameStay() {
        policy.pins.putAll(Map.of("narrowed", "site = 'north'", "same", "site = 'north'", "lifted", "site = 'north'"));
        FakeSession narrowed = admitted("narrowed");
        FakeSession same = admitted("same");
        FakeSession lifted = admitted("lifted");
        FakeSession newlyPinned = admitted("newly-pinned");
        FakeSession unpinned = admitted("unpinned");
        access.start(timer, Duration.ofHours(1), "test-auth");
        assertThat(narrowed.access.pinnedFilters()).containsExactly("site = 'north'");

        policy.pins.put("narrowed", "site = 'north' AND subject = 'alarm'");
        policy.pins.remove("lifted");
        policy.pins.put("newly-pinned", "site = 'south'");
        access.reauthorizeAll();

        for (FakeSession changed : List.of(narrowed, lifted, newlyPinned)) {
            assertThat(changed.closeCode).as(changed.name).isEqualTo(CloseCodes.ACCESS_CHANGED);
            assertThat(changed.closeReason).isEqualTo(SessionAccess.PINNED_FILTER_CHANGED)
                    .isEqualTo("access changed: the filter your access is restricted to changed; connect again");
        }
        assertThat(same.isOpen()).isTrue();
        assertThat(unpinned.isOpen()).isTrue();
        assertThat(CloseCodes.ACCESS_CHANGED).isEqualTo(1012);
    }

    @Test
    void aRefreshWhosePinnedFilterChangedEndsTheSessionWith1012AndOneWithTheSamePinIsSwappedIn() {
        policy.pins.putAll(Map.of("north", "site = 'north'", "north-again", "site = 'north'", "south", "site = 'south'"));
        FakeSession kept = admitted("north");
        FakeSession changed = admitted("north");
        access.start(timer, Duration.ofHours(1), "test-auth");

        access.refresh(kept, new Credentials.Bearer("north-again"));
        access.refresh(changed, new Credentials.Bearer("south"));

        await().atMost(WAIT).until(() -> changed.closeCode == CloseCodes.ACCESS_CHANGED);
        await().atMost(WAIT).until(() -> kept.refreshedWith.contains("north-again"));
        assertThat(kept.isOpen()).isTrue();
        assertThat(changed.refreshedWith).isEmpty();
    }

    @Test
    void aRefreshThatIsRefusedEndsTheSessionWith1008() {
        FakeSession session = new FakeSession("s", new Credentials.Bearer("t0"));
        access.start(timer, Duration.ofHours(1), "test-auth");

        access.refresh(session, new Credentials.Bearer("revoked"));

        await().atMost(WAIT).until(() -> session.closeCode == CloseCodes.POLICY_VIOLATION);
    }

    @Test
    void aSessionIsClosedWhenItsTokenExpiresAndARefreshMovesTheExpiry() {
        FakeSession expiring = new FakeSession("expiring", new Credentials.Bearer("t"), Instant.now().plusMillis(200));
        FakeSession refreshed = new FakeSession("refreshed", new Credentials.Bearer("t"),
                Instant.now().plusMillis(200));
        access.start(timer, Duration.ofHours(1), "test-auth");
        access.opened(expiring);
        access.opened(refreshed);

        access.refresh(refreshed, new Credentials.Bearer("later"));

        await().atMost(WAIT).until(() -> expiring.closeCode == CloseCodes.POLICY_VIOLATION);
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(refreshed::isOpen);
    }
}
