package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutageGateTest {

    final FakeClock clock = new FakeClock();
    final OutageGate gate = new OutageGate(Duration.ofSeconds(2), clock);
    final KeycloakUnavailableException refused =
            new KeycloakUnavailableException("Keycloak at http://kc cannot be reached: Connection refused", null);

    @Test
    void keycloakIsAskedWhileItAnswers() {
        gate.succeeded();

        assertThatCode(gate::check).doesNotThrowAnyException();
    }

    @Test
    void afterAFailureKeycloakIsNotAskedAgainDuringTheBackOff() {
        gate.failed(refused);
        clock.advance(Duration.ofMillis(1999));

        assertThatThrownBy(gate::check)
                .isInstanceOf(KeycloakUnavailableException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused")
                .hasCause(refused);
    }

    @Test
    void afterTheBackOffKeycloakIsAskedAgain() {
        gate.failed(refused);
        clock.advance(Duration.ofSeconds(2));

        assertThatCode(gate::check).doesNotThrowAnyException();
    }

    @Test
    void anotherFailureStartsAnotherBackOff() {
        gate.failed(refused);
        clock.advance(Duration.ofSeconds(2));
        gate.failed(refused);
        clock.advance(Duration.ofSeconds(1));

        assertThatThrownBy(gate::check).isInstanceOf(KeycloakUnavailableException.class);
    }

    @Test
    void anAnswerEndsTheOutage() {
        gate.failed(refused);
        gate.succeeded();

        assertThatCode(gate::check).doesNotThrowAnyException();
    }

    @Test
    void keycloakCountsAsAnsweringUntilAFailureAndAgainAfterAnAnswer() {
        assertThat(gate.answering()).isTrue();
        gate.failed(refused);
        clock.advance(Duration.ofSeconds(10));
        assertThat(gate.answering()).as("the back-off is over, but nothing answered yet").isFalse();
        gate.succeeded();
        assertThat(gate.answering()).isTrue();
    }

    @Test
    void noBackOffMeansAlwaysAsk() {
        OutageGate eager = new OutageGate(Duration.ZERO, clock);
        eager.failed(refused);

        assertThatCode(eager::check).doesNotThrowAnyException();
    }
}
