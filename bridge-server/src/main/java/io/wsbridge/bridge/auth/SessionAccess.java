package io.wsbridge.bridge.auth;

import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.util.DaemonThreads;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access over a session's lifetime: it ends sessions whose credentials expire (1008), answers token refreshes, and
 * checks every open session again periodically, so that a revoked membership, key or public flag ends it. Checks
 * that may ask the identity provider run on a small executor of its own, never on the caller's or the scheduler's
 * thread. While the identity provider cannot answer (503), sessions stay open.
 */
public final class SessionAccess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionAccess.class);
    /** Access checks waiting for the executor at most; beyond that a session is checked in the next round. */
    private static final int MAX_PENDING = 10_000;
    /** The close reason of a refresh with a token for another user or service account than the session's. */
    public static final String REFRESH_FOR_ANOTHER_PRINCIPAL =
            "token refresh refused: the token is for another user than the session's; connect again to change users";

    private final Supplier<AccessPolicy> policy;
    private final Supplier<? extends Iterable<? extends AccessSession>> sessions;
    private ScheduledExecutorService scheduler;
    private ExecutorService authorizer;
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
     * Starts the executor for access checks and re-authorizes every {@code interval} on {@code scheduler}, which
     * also times the expiries; the scheduler stays its owner's.
     */
    public synchronized void start(ScheduledExecutorService timer, Duration interval, String threadName) {
        this.scheduler = timer;
        this.authorizer = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_PENDING),
                DaemonThreads.named(threadName));
        long millis = interval.toMillis();
        reauthorization = timer.scheduleWithFixedDelay(this::reauthorizeAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** A session opened: it is closed when its credentials expire. */
    public void opened(AccessSession session) {
        scheduleExpiry(session);
    }

    /**
     * Checks the refreshed credentials, then swaps them in, or closes the session with 1008 if they are refused or
     * are another principal's. A session stays its principal's for its whole life, so that it never moves into
     * another principal's consumer groups (nor into the anonymous ones, or out of them): to change who it is, a client
     * connects again.
     */
    public void refresh(AccessSession session, Credentials credentials) {
        submit(() -> {
            AccessDecision decision = policy.get().check(credentials, session.application());
            if (!decision.allowed()) {
                log.info("Refused token refresh of {}: {}", session, decision.reason());
                session.close(CloseCodes.POLICY_VIOLATION, "token refresh refused: " + decision.reason());
                return;
            }
            if (!decision.samePrincipal(session.access())) {
                log.info("Refused token refresh of {} as {}: the session is {}'s", session, decision.principal(),
                        session.access().principal());
                session.close(CloseCodes.POLICY_VIOLATION, REFRESH_FOR_ANOTHER_PRINCIPAL);
                return;
            }
            session.refreshed(credentials, decision);
            scheduleExpiry(session);
            log.debug("Refreshed the token of {}; it expires at {}", session, decision.expiresAt());
        }, session);
    }

    private void scheduleExpiry(AccessSession session) {
        Instant expiresAt = session.expiresAt();
        ScheduledExecutorService timer = scheduler;
        if (expiresAt == null || timer == null) {
            return;
        }
        long delay = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
        try {
            timer.schedule(() -> expireIfDue(session), delay + 1, TimeUnit.MILLISECONDS);
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

    private void reauthorizeAll() {
        AccessPolicy current = policy.get();
        for (AccessSession session : sessions.get()) {
            submit(() -> {
                if (!session.isOpen()) {
                    return;
                }
                AccessDecision decision = current.check(session.credentials(), session.application());
                if (decision.status() == 401 || decision.status() == 404) {
                    log.info("Closing {}: access ended ({})", session, decision.reason());
                    session.close(CloseCodes.POLICY_VIOLATION,
                            decision.status() == 401 ? "credentials no longer valid" : "access revoked");
                }
            }, session);
        }
    }

    private void submit(Runnable task, AccessSession session) {
        ExecutorService executor = authorizer;
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
            log.warn("Too many pending access checks; {} is checked in the next round", session);
        }
    }

    /** Stops re-authorizing and drops pending checks; the scheduler is left to its owner. */
    @Override
    public synchronized void close() {
        if (reauthorization != null) {
            reauthorization.cancel(false);
        }
        if (authorizer != null) {
            authorizer.shutdownNow();
        }
    }
}
