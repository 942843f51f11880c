package io.wsbridge.bridge.auth;

import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.util.DaemonThreads;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access over a session's lifetime: it ends sessions whose credentials expire (1008), answers token refreshes, and
 * checks every open session again periodically, so that a revoked membership, key or public flag ends it. While the
 * identity provider cannot answer (503), sessions stay open on its cached answers, but not longer than the answers'
 * maximum staleness: a session whose check needs an answer older than that ends with 1008
 * ({@link #ANSWERS_TOO_OLD}), so a revoked user does not keep access through a long outage. A session whose pinned
 * filters changed ({@link AccessDecision#pinnedFilters()}: narrowed, widened or lifted) ends with 1012
 * ({@link #PINNED_FILTER_CHANGED}): a session's filter is part of how it is routed and grouped, so it is not swapped
 * under it; the client connects again and gets the filter it has now. These checks are the bridge's own: the limits
 * on clients' lookups do not hold them.
 *
 * <p>Nothing is dropped under load. A session has at most one refresh waiting (a newer token replaces a waiting one:
 * the newest wins), so the refresh queue is bounded by the number of sessions. A re-authorization round is one task
 * that walks every open session in turn, on a thread of its own so that refreshes never wait behind it; a round that
 * is still running when the next is due makes the next one wait, it is not queued twice. Checks that may ask the
 * identity provider never run on the caller's or the scheduler's thread.
 *
 * <p>Over 300 lines because every rule of a session's access over time (expiry, refresh, re-authorization, a changed
 * pin, an outage) and the threads that apply them are kept in one place, where their order can be read.
 */
public final class SessionAccess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionAccess.class);
    /** The close reason of a refresh with a token for another user or service account than the session's. */
    public static final String REFRESH_FOR_ANOTHER_PRINCIPAL =
            "token refresh refused: the token is for another user than the session's; connect again to change users";

    /** The close reason of a session whose pinned filter changed: connecting again gives it the new one. */
    public static final String PINNED_FILTER_CHANGED =
            "access changed: the filter your access is restricted to changed; connect again";

    /** The close reason of a session whose access could only be answered by an answer older than allowed. */
    public static final String ANSWERS_TOO_OLD =
            "access could not be checked again: the identity provider has been unreachable too long";

    private final Supplier<AccessPolicy> policy;
    private final Supplier<? extends Iterable<? extends AccessSession>> sessions;
    /** The sessions with a refresh waiting or being checked, and the newest credentials not checked yet. */
    private final Map<AccessSession, Waiting> pendingRefresh = new ConcurrentHashMap<>();
    /** The expiry timer of each session, replaced by a refresh. */
    private final Map<AccessSession, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();
    private final AtomicBoolean roundRunning = new AtomicBoolean();
    private final LongAdder refreshesChecked = new LongAdder();
    private final LongAdder sessionsReauthorized = new LongAdder();
    private ScheduledExecutorService scheduler;
    private ExecutorService refresher;
    private ExecutorService reauthorizer;
    private ScheduledFuture<?> reauthorization;

    /**
     * @param policy the access policy in force (it may be replaced by a reconfiguration)
     * @param sessions the open sessions, for re-authorization
     */
    public SessionAccess(Supplier<AccessPolicy> policy, Supplier<? extends Iterable<? extends AccessSession>> sessions) {
        this.policy = policy;
        this.sessions = sessions;
    }

    /**
     * Starts the threads for access checks and re-authorizes every {@code interval} on {@code timer}, which also
     * times the expiries; the timer stays its owner's.
     */
    public synchronized void start(ScheduledExecutorService timer, Duration interval, String threadName) {
        this.scheduler = timer;
        this.refresher = Executors.newFixedThreadPool(2, DaemonThreads.named(threadName));
        this.reauthorizer = Executors.newSingleThreadExecutor(DaemonThreads.named(threadName + "-rounds"));
        long millis = interval.toMillis();
        reauthorization = timer.scheduleWithFixedDelay(this::startRound, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** A session opened: it is closed when its credentials expire. */
    public void opened(AccessSession session) {
        scheduleExpiry(session);
    }

    /** A session ended: its timer and any waiting refresh are forgotten. */
    public void closed(AccessSession session) {
        pendingRefresh.remove(session);
        ScheduledFuture<?> expiry = expiries.remove(session);
        if (expiry != null) {
            expiry.cancel(false);
        }
    }

    /**
     * Checks the refreshed credentials, then swaps them in, or closes the session with 1008 if they are refused or
     * are another principal's. A session stays its principal's for its whole life, so that it never moves into
     * another principal's consumer groups (nor into the anonymous ones, or out of them): to change who it is, a client
     * connects again. Refreshes of one session are checked one at a time, in order; one that arrives while an earlier
     * one waits takes its place.
     */
    public void refresh(AccessSession session, Credentials credentials) {
        AtomicBoolean first = new AtomicBoolean();
        pendingRefresh.compute(session, (key, waiting) -> {
            if (waiting == null) {
                first.set(true);
                return new Waiting(credentials);
            }
            waiting.newest = credentials;
            return waiting;
        });
        if (first.get()) {
            execute(refresher, () -> checkRefreshes(session), session);
        }
    }

    /** Checks the session's waiting refreshes until none is left; only one runs per session at a time. */
    private void checkRefreshes(AccessSession session) {
        while (true) {
            Credentials[] next = new Credentials[1];
            pendingRefresh.computeIfPresent(session, (key, waiting) -> {
                if (waiting.newest == null) {
                    return null;
                }
                next[0] = waiting.newest;
                waiting.newest = null;
                return waiting;
            });
            if (next[0] == null) {
                return;
            }
            if (session.isOpen()) {
                checkRefresh(session, next[0]);
            }
        }
    }

    private void checkRefresh(AccessSession session, Credentials credentials) {
        refreshesChecked.increment();
        AccessDecision decision = policy.get().check(credentials, session.application());
        if (!decision.allowed()) {
            log.info("Refused token refresh of {}: {}", session, decision.reason());
            session.close(CloseCodes.POLICY_VIOLATION, decision.status() == 503
                    // the detail names the identity provider's address: it stays in the log
                    ? "token refresh refused: identity provider unavailable"
                    : "token refresh refused: " + decision.reason());
            return;
        }
        if (!decision.samePrincipal(session.access())) {
            log.info("Refused token refresh of {} as {}: the session is {}'s", session, decision.principal(),
                    session.access().principal());
            session.close(CloseCodes.POLICY_VIOLATION, REFRESH_FOR_ANOTHER_PRINCIPAL);
            return;
        }
        if (pinChanged(session, decision)) {
            return;
        }
        session.refreshed(credentials, decision);
        scheduleExpiry(session);
        log.debug("Refreshed the token of {}; it expires at {}", session, decision.expiresAt());
    }

    /** Ends the session if {@code decision} pins other filters than the session was admitted with. */
    private static boolean pinChanged(AccessSession session, AccessDecision decision) {
        if (decision.pinnedFilters().equals(session.access().pinnedFilters())) {
            return false;
        }
        log.info("Closing {}: the filters its access is restricted to changed from {} to {}", session,
                session.access().pinnedFilters(), decision.pinnedFilters());
        session.close(CloseCodes.ACCESS_CHANGED, PINNED_FILTER_CHANGED);
        return true;
    }

    private void scheduleExpiry(AccessSession session) {
        Instant expiresAt = session.expiresAt();
        ScheduledExecutorService timer = scheduler;
        if (expiresAt == null || timer == null) {
            return;
        }
        long delay = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
        try {
            ScheduledFuture<?> previous = expiries.put(session,
                    timer.schedule(() -> expireIfDue(session), delay + 1, TimeUnit.MILLISECONDS));
            if (previous != null) {
                previous.cancel(false);
            }
        } catch (RejectedExecutionException e) {
            log.debug("Server stopping; expiry of {} not scheduled", session);
        }
    }

    private void expireIfDue(AccessSession session) {
        Instant expiresAt = session.expiresAt();
        if (session.isOpen() && expiresAt != null && !Instant.now().isBefore(expiresAt)) {
            log.info("Closing {}: its token expired", session);
            session.close(CloseCodes.POLICY_VIOLATION, "token expired");
        }
    }

    private void startRound() {
        if (!roundRunning.compareAndSet(false, true)) {
            log.info("The previous re-authorization round is still running; this one starts when it ends");
            return;
        }
        try {
            reauthorizer.execute(() -> {
                try {
                    reauthorizeAll();
                } finally {
                    roundRunning.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            roundRunning.set(false);
            log.debug("Server stopping; no re-authorization round");
        }
    }

    /** Checks every open session once; the policy's caches make most checks cheap. */
    void reauthorizeAll() {
        AccessPolicy current = policy.get();
        for (AccessSession session : sessions.get()) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            if (!session.isOpen()) {
                continue;
            }
            try {
                sessionsReauthorized.increment();
                AccessDecision decision = current.check(session.credentials(), session.application());
                if (decision.status() == 401 || decision.status() == 404) {
                    log.info("Closing {}: access ended ({})", session, decision.reason());
                    session.close(CloseCodes.POLICY_VIOLATION,
                            decision.status() == 401 ? "credentials no longer valid" : "access revoked");
                } else if (AccessDecision.ANSWERS_TOO_OLD.equals(decision.refusal())) {
                    log.info("Closing {}: its access cannot be checked again ({})", session, decision.reason());
                    session.close(CloseCodes.POLICY_VIOLATION, ANSWERS_TOO_OLD);
                } else if (decision.allowed()) {
                    pinChanged(session, decision);
                }
            } catch (RuntimeException e) {
                log.warn("Access check for {} failed", session, e);
                session.close(CloseCodes.INTERNAL_ERROR, "internal error");
            }
        }
    }

    private void execute(ExecutorService executor, Runnable task, AccessSession session) {
        if (executor == null) {
            throw new IllegalStateException("session access is not started");
        }
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("Access check for {} failed", session, e);
                    session.close(CloseCodes.INTERNAL_ERROR, "internal error");
                }
            });
        } catch (RejectedExecutionException e) {
            // only once stopped: the queue is unbounded, and holds at most one refresh per session
            log.debug("Server stopping; refresh of {} not checked", session);
        }
    }

    /** Refreshes checked so far (a refresh replaced while waiting is not checked). */
    public long refreshesChecked() {
        return refreshesChecked.sum();
    }

    /** Sessions checked by re-authorization rounds so far. */
    public long sessionsReauthorized() {
        return sessionsReauthorized.sum();
    }

    /** Stops re-authorizing and drops pending checks; the timer is left to its owner. */
    @Override
    public synchronized void close() {
        if (reauthorization != null) {
            reauthorization.cancel(false);
        }
        if (refresher != null) {
            refresher.shutdownNow();
        }
        if (reauthorizer != null) {
            reauthorizer.shutdownNow();
        }
        pendingRefresh.clear();
        expiries.clear();
    }

    /** A session's refresh in progress: the newest credentials that still wait, or {@code null}. */
    private static final class Waiting {
        Credentials newest;

        Waiting(Credentials newest) {
            this.newest = newest;
        }
    }
}
