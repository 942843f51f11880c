package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.InternalServerErrorException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.ServiceUnavailableException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.UserRepresentation;

class KeycloakAdminTest {

    static final KeycloakSettings SETTINGS =
            KeycloakSettings.of("http://127.0.0.1:8080", "wsbridge", "wsbridge-bridge", "s3cret-value");

    static KeycloakAdmin.Failure classify(Throwable error) {
        return KeycloakAdmin.classify(SETTINGS, "look up user 'alice'", error);
    }

    static String translate(Throwable error) {
        return classify(error).message();
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
                        + " give it the realm-management roles view-users, query-users and query-groups (the bridge),"
                        + " or view-users, query-users and manage-users (the wsbridge keys command)");
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
    void onlyFailuresNoQuestionCanCauseAreAnOutage() {
        assertThat(classify(new ProcessingException(new NotAuthorizedException(Response.status(401).build()))).kind())
                .as("the service account's login").isEqualTo(KeycloakAdmin.Kind.OUTAGE);
        assertThat(classify(new ProcessingException(new ServiceUnavailableException())).kind())
                .as("the login answered 503").isEqualTo(KeycloakAdmin.Kind.OUTAGE);
        assertThat(classify(new InternalServerErrorException()).kind()).isEqualTo(KeycloakAdmin.Kind.OUTAGE);
        assertThat(classify(new ServiceUnavailableException()).kind()).isEqualTo(KeycloakAdmin.Kind.OUTAGE);
        assertThat(classify(new ProcessingException(new ConnectException("Connection refused"))).kind())
                .isEqualTo(KeycloakAdmin.Kind.OUTAGE);
        assertThat(classify(new ProcessingException(new SocketTimeoutException("Read timed out"))).kind())
                .isEqualTo(KeycloakAdmin.Kind.OUTAGE);
    }

    @Test
    void aClientErrorIsARefusalOfThatQuestion() {
        for (int status : new int[] {400, 404, 405, 409, 413, 414, 422, 431}) {
            KeycloakAdmin.Failure failure = classify(new WebApplicationException(status));
            assertThat(failure).isEqualTo(new KeycloakAdmin.Failure(KeycloakAdmin.Kind.REFUSED, status,
                    "Keycloak at http://127.0.0.1:8080 refused to look up user 'alice' (HTTP " + status + ")"));
        }
        assertThat(classify(new ForbiddenException()).kind()).isEqualTo(KeycloakAdmin.Kind.REFUSED);
    }

    @Test
    void aRejectedTokenIsWorthAFreshOne() {
        assertThat(classify(new NotAuthorizedException(Response.status(401).build()))).isEqualTo(
                new KeycloakAdmin.Failure(KeycloakAdmin.Kind.TOKEN_REJECTED, 401, "Keycloak at http://127.0.0.1:8080"
                        + " refused the access token of the service account of client 'wsbridge-bridge' to look up"
                        + " user 'alice' (HTTP 401), a fresh one too"));
    }

    @Test
    void busyAnswersAndClientFailuresFailTheCallAlone() {
        assertThat(classify(new WebApplicationException(429))).isEqualTo(new KeycloakAdmin.Failure(
                KeycloakAdmin.Kind.NOT_ANSWERED, 429,
                "Keycloak at http://127.0.0.1:8080 did not take the request to look up user 'alice' (HTTP 429)"));
        assertThat(classify(new WebApplicationException(408)).kind()).isEqualTo(KeycloakAdmin.Kind.NOT_ANSWERED);
        assertThat(classify(new IllegalArgumentException("Illegal character in path")).kind())
                .isEqualTo(KeycloakAdmin.Kind.NOT_ANSWERED);
    }

    // ---- the Admin client against a stub of Keycloak

    private static List<UserRepresentation> lookUp(KeycloakAdmin admin, String username) throws Exception {
        return admin.call("look up user '" + username + "'", realm -> realm.users().searchByUsername(username, true));
    }

    @Test
    void aRefusedLookupLeavesKeycloakReachableAndTheNextQuestionIsAsked() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings().withRetryBackoff(Duration.ofMinutes(1)))) {
            keycloak.answer(400, null);

            assertThatThrownBy(() -> lookUp(admin, "mallory"))
                    .isInstanceOfSatisfying(KeycloakRefusedException.class, e -> assertThat(e.status()).isEqualTo(400))
                    .hasMessage("Keycloak at " + keycloak.settings().url()
                            + " refused to look up user 'mallory' (HTTP 400)");
            assertThat(admin.reachable()).isTrue();

            keycloak.answer(200, "[]");
            assertThat(lookUp(admin, "alice")).isEmpty();
            assertThat(keycloak.calls()).as("no back-off after a refusal").isEqualTo(2);
        }
    }

    @Test
    void aServerErrorIsAnOutageWithItsBackOff() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings().withRetryBackoff(Duration.ofMinutes(1)))) {
            keycloak.answer(500, null);

            assertThatThrownBy(() -> lookUp(admin, "alice"))
                    .isInstanceOf(KeycloakUnavailableException.class)
                    .hasMessageEndingWith(" answered HTTP 500 to look up user 'alice'");
            assertThat(admin.reachable()).isFalse();

            keycloak.answer(200, "[]");
            assertThatThrownBy(() -> lookUp(admin, "bob")).isInstanceOf(KeycloakUnavailableException.class);
            assertThat(keycloak.calls()).as("not asked again during the back-off").isEqualTo(1);
        }
    }

    @Test
    void aRejectedServiceAccountTokenIsReplacedOnce() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings())) {
            assertThat(lookUp(admin, "alice")).isEmpty();
            keycloak.answerOnce(401);

            assertThat(lookUp(admin, "alice")).as("asked again with a fresh token").isEmpty();
            assertThat(keycloak.logins()).isEqualTo(2);
            assertThat(admin.reachable()).isTrue();
        }
    }

    @Test
    void aServiceAccountTokenRejectedTwiceIsAnOutage() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings())) {
            keycloak.answer(401, null);

            assertThatThrownBy(() -> lookUp(admin, "alice"))
                    .isInstanceOf(KeycloakUnavailableException.class)
                    .hasMessageEndingWith(" refused the access token of the service account of client"
                            + " 'wsbridge-bridge' to look up user 'alice' (HTTP 401), a fresh one too");
            assertThat(keycloak.logins()).isEqualTo(2);
            assertThat(admin.reachable()).isFalse();
        }
    }

    @Test
    void tooManyRequestsFailsTheCallAloneWithoutBackOff() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings().withRetryBackoff(Duration.ofMinutes(1)))) {
            keycloak.answerOnce(429);

            assertThatThrownBy(() -> lookUp(admin, "alice"))
                    .isInstanceOf(KeycloakUnavailableException.class)
                    .hasMessageEndingWith(" did not take the request to look up user 'alice' (HTTP 429)");
            assertThat(admin.reachable()).isTrue();
            assertThat(lookUp(admin, "alice")).isEmpty();
        }
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
