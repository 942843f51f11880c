package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.LookupRefusedException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LookupLimiterTest {

    final FakeClock clock = new FakeClock();
    /** Two running at once; per address 2 per second, 4 at once. */
    final LookupLimiter limiter = new LookupLimiter(new KeycloakSettings.Lookups(2, 2, 4), clock);

    static LookupOrigin client(int lastByte) {
        try {
            return LookupOrigin.client(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastByte}));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static int refusedWith(LookupLimiter limiter, LookupOrigin origin) {
        try {
            limiter.acquire(origin).close();
            return 0;
        } catch (LookupRefusedException e) {
            return e.status();
        }
    }

    @Test
    void anAddressHasItsBurstThenItsRate() throws Exception {
        for (int i = 0; i < 4; i++) {
            limiter.acquire(client(2)).close();
        }
        assertThatThrownBy(() -> limiter.acquire(client(2)))
                .isInstanceOfSatisfying(LookupRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.retryAfterSeconds()).isEqualTo(1);
                })
                .hasMessage("too many lookups from your address: try again later");

        clock.advance(Duration.ofMillis(500));
        assertThat(refusedWith(limiter, client(2))).as("half a second later: one more").isZero();
        assertThat(refusedWith(limiter, client(2))).isEqualTo(429);
        assertThat(refusedWith(limiter, client(3))).as("another address").isZero();

        clock.advance(Duration.ofMinutes(1));
        for (int i = 0; i < 4; i++) {
            assertThat(refusedWith(limiter, client(2))).as("a quiet minute refills the burst, no more").isZero();
        }
        assertThat(refusedWith(limiter, client(2))).isEqualTo(429);
    }

    @Test
    void theRetryAfterIsWhenTheAddressHasATokenAgain() {
        LookupLimiter slow = new LookupLimiter(new KeycloakSettings.Lookups(2, 0.1, 1), clock);
        assertThat(refusedWith(slow, client(2))).isZero();

        assertThatThrownBy(() -> slow.acquire(client(2))).isInstanceOfSatisfying(LookupRefusedException.class,
                e -> assertThat(e.retryAfterSeconds()).isEqualTo(10));
    }

    @Test
    void lookupsRunningAtOnceAreBoundedAndAClosedPermitFreesItsSlotOnce() throws Exception {
        LookupLimiter.Permit first = limiter.acquire(client(2));
        LookupLimiter.Permit second = limiter.acquire(client(3));

        assertThatThrownBy(() -> limiter.acquire(client(4)))
                .isInstanceOfSatisfying(LookupRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.metricReason()).isEqualTo("too_many_lookups");
                    assertThat(e.retryAfterSeconds()).isEqualTo(1);
                })
                .hasMessage("too many lookups at once: try again later");
        assertThat(limiter.running()).isEqualTo(2);

        first.close();
        first.close();
        assertThat(limiter.running()).isEqualTo(1);
        LookupLimiter.Permit third = limiter.acquire(client(4));
        assertThat(refusedWith(limiter, client(5))).isEqualTo(503);
        second.close();
        third.close();
        assertThat(limiter.running()).isZero();
    }

    @Test
    void sessionChecksAreNotLimited() throws Exception {
        LookupLimiter one = new LookupLimiter(new KeycloakSettings.Lookups(1, 1, 1), clock);
        LookupLimiter.Permit held = one.acquire(client(2));
        for (int i = 0; i < 100; i++) {
            one.acquire(LookupOrigin.SESSION);
        }
        assertThat(one.running()).isEqualTo(1);
        held.close();
    }
}
