package io.wsbridge.bridge.auth.keycloak;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers that Keycloak just failed, so it is not asked again for a short back-off: during an outage each
 * question fails at once (and a cached answer is served) instead of each waiting for its own timeout. Logs once when
 * an outage starts and once when it ends.
 */
final class OutageGate {

    private static final Logger LOG = LoggerFactory.getLogger(OutageGate.class);

    private final long backoffNanos;
    private final LongSupplier nanoClock;
    private KeycloakUnavailableException lastFailure;
    private long retryNotBefore;

    /** @param nanoClock {@link System#nanoTime()} but for tests */
    OutageGate(Duration backoff, LongSupplier nanoClock) {
        this.backoffNanos = backoff.toNanos();
        this.nanoClock = nanoClock;
    }

    /** @throws KeycloakUnavailableException Keycloak failed less than the back-off ago; the message is that failure's */
    void check() throws KeycloakUnavailableException {
        KeycloakUnavailableException last;
        synchronized (this) {
            if (lastFailure == null || nanoClock.getAsLong() - retryNotBefore >= 0) {
                return;
            }
            last = lastFailure;
        }
        throw new KeycloakUnavailableException(last.getMessage(), last);
    }

    /** Whether Keycloak answered the last time it was asked (true before the first question): readiness. */
    synchronized boolean answering() {
        return lastFailure == null;
    }

    void failed(KeycloakUnavailableException failure) {
        boolean first;
        synchronized (this) {
            first = lastFailure == null;
            lastFailure = failure;
            retryNotBefore = nanoClock.getAsLong() + backoffNanos;
        }
        if (first) {
            LOG.warn("{}; cached answers keep serving, questions without one fail closed until Keycloak answers again",
                    failure.getMessage());
        }
    }

    void succeeded() {
        boolean recovered;
        synchronized (this) {
            recovered = lastFailure != null;
            lastFailure = null;
        }
        if (recovered) {
            LOG.info("Keycloak answers again");
        }
    }
}
