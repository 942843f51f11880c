package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.InternalServerErrorException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeycloakAdminTest {

    static final KeycloakSettings SETTINGS =
            KeycloakSettings.of("http://127.0.0.1:8080", "wsbridge", "wsbridge-bridge", "s3cret-value");

    static String translate(Throwable error) {
        return KeycloakAdmin.translate(SETTINGS, "look up user 'alice'", error).getMessage();
    }

    @Test
    void aRefusedTokenRequestPointsAtTheClientCredentials() {
        assertThat(translate(new ProcessingException(new NotAuthorizedException(Response.status(401).build()))))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 refused the client credentials of client"
                        + " 'wsbridge-bridge' in realm 'wsbridge' (HTTP 401): check the client id and secret, and"
                        + " that the client has a service account");
    }

    @Test
    void aTokenRequestThatFindsNoRealmSaysSo() {
        assertThat(translate(new ProcessingException(new NotFoundException())))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 has no realm 'wsbridge' (HTTP 404)");
    }

    @Test
    void aForbiddenCallNamesTheMissingRoles() {
        assertThat(translate(new ForbiddenException()))
                .isEqualTo("the service account of client 'wsbridge-bridge' may not look up user 'alice' (HTTP 403):"
                        + " give it the realm-management roles view-users, query-users, query-groups and"
                        + " manage-users");
    }

    @Test
    void aServerErrorIsReportedWithItsStatus() {
        assertThat(translate(new InternalServerErrorException()))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 answered HTTP 500 to look up user 'alice'");
    }

    @Test
    void connectionFailuresSayKeycloakCannotBeReached() {
        assertThat(translate(new ProcessingException(new ConnectException("Connection refused"))))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 cannot be reached: Connection refused");
        assertThat(translate(new ProcessingException(new UnknownHostException("kc.invalid"))))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 cannot be reached: kc.invalid");
    }

    @Test
    void timeoutsNameTheTimeout() {
        assertThat(translate(new ProcessingException(new SocketTimeoutException("Read timed out"))))
                .isEqualTo("Keycloak at http://127.0.0.1:8080 did not answer within 5 s");
    }

    @Test
    void anythingElseKeepsItsMessage() {
        assertThat(translate(new IllegalStateException("user 'alice' was deleted meanwhile")))
                .isEqualTo("the Keycloak request to look up user 'alice' failed: user 'alice' was deleted meanwhile");
    }

    @Test
    void durationsReadAsSecondsOrMilliseconds() {
        assertThat(KeycloakAdmin.human(Duration.ofSeconds(3))).isEqualTo("3 s");
        assertThat(KeycloakAdmin.human(Duration.ofMillis(1500))).isEqualTo("1500 ms");
    }

    @Test
    void anUnreachableKeycloakFailsFastThenBacksOffAndTheContextLoaderIsRestored() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        KeycloakSettings settings = KeycloakSettings.of("http://127.0.0.1:" + port, "wsbridge", "wsbridge-bridge",
                "s3cret-value").withRetryBackoff(Duration.ofMinutes(1));
        ClassLoader mine = new ClassLoader(getClass().getClassLoader()) {
        };
        Thread.currentThread().setContextClassLoader(mine);
        try (KeycloakAdmin admin = new KeycloakAdmin(settings)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> admin.call("read group /applications/x", realm -> realm.getGroupByPath("/x")))
                    .isInstanceOf(KeycloakUnavailableException.class)
                    .hasMessageStartingWith("Keycloak at http://127.0.0.1:" + port + " cannot be reached: ")
                    .hasMessageNotContaining("s3cret-value");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(mine);

            long again = System.nanoTime();
            assertThatThrownBy(() -> admin.call("read group /applications/y", realm -> realm.getGroupByPath("/y")))
                    .isInstanceOf(KeycloakUnavailableException.class)
                    .hasMessageStartingWith("Keycloak at http://127.0.0.1:" + port + " cannot be reached: ");
            assertThat(Duration.ofNanos(System.nanoTime() - again)).isLessThan(Duration.ofMillis(100));
        } finally {
            Thread.currentThread().setContextClassLoader(getClass().getClassLoader());
        }
    }

    @Test
    void aClosedAdminRefusesCalls() {
        KeycloakAdmin admin = new KeycloakAdmin(SETTINGS);
        admin.close();

        assertThatThrownBy(() -> admin.call("read group /applications/x", realm -> realm.getGroupByPath("/x")))
                .isInstanceOf(KeycloakUnavailableException.class)
                .hasMessage("the Keycloak Admin client is closed");
    }
}
