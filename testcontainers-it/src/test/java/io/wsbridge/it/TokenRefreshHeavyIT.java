package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.it.harness.JvmDiagnostics;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TokenRefreshStorm} with ten thousand sessions ({@code -Dit.heavy.refresh.sessions}), in the Maven profile
 * {@code heavy} only ({@code mvn -B -Pheavy verify}): minting a fresh token per session takes Keycloak minutes. Needs
 * {@code ulimit -n} above the number of sessions for the test JVM and the worker.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
class TokenRefreshHeavyIT {

    private static final int SESSIONS = Integer.getInteger("it.heavy.refresh.sessions", 10_000);

    @Test
    void tenThousandSessionsRefreshAtOnceAndNoneIsDropped(Stack stack, KeycloakServer keycloak) throws Exception {
        assertThat(JvmDiagnostics.openFilesLimit(stack.worker().pid())).as("the worker's open-file limit (ulimit -n)")
                .isGreaterThan(SESSIONS + 2_000L);
        assertThat(JvmDiagnostics.openFilesLimit(ProcessHandle.current().pid()))
                .as("this JVM's open-file limit (ulimit -n)").isGreaterThan(SESSIONS + 1_000L);
        new TokenRefreshStorm(stack, keycloak, SESSIONS, Duration.ofSeconds(240), Duration.ofSeconds(300)).run();
    }
}
