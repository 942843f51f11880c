package io.wsbridge.it;

import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TokenRefreshStorm} in the normal suite: {@code -Dit.refresh.sessions} sessions (1,500) refresh their real
 * Keycloak tokens at once while a tenth of them lose their membership; no refresh is dropped, every revoked session is
 * closed with 1008, no other.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
class TokenRefreshUnderLoadIT {

    private static final int SESSIONS = Integer.getInteger("it.refresh.sessions", 1_500);

    @Test
    void everyRefreshIsAppliedAndEveryRevokedSessionClosedWhileAllRefreshAtOnce(Stack stack, KeycloakServer keycloak)
            throws Exception {
        new TokenRefreshStorm(stack, keycloak, SESSIONS, Duration.ofSeconds(60), Duration.ofSeconds(120)).run();
    }
}
