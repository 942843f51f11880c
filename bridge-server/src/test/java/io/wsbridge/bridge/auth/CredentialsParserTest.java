package io.wsbridge.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CredentialsParserTest {

    static String basic(String userAndKey) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndKey.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void nothingIsAnonymous() throws Exception {
        assertThat(CredentialsParser.parse(List.of(), Map.of())).isEqualTo(Credentials.ANONYMOUS);
    }

    @Test
    void bearerHeaderAndTokenParameterAreTokens() throws Exception {
        assertThat(CredentialsParser.parse(List.of("Bearer abc.def.ghi"), Map.of()))
                .isEqualTo(new Credentials.Bearer("abc.def.ghi"));
        assertThat(CredentialsParser.parse(List.of(), Map.of("token", List.of("abc.def.ghi"))))
                .isEqualTo(new Credentials.Bearer("abc.def.ghi"));
    }

    @Test
    void basicHeaderAndQueryAreApiKeys() throws Exception {
        assertThat(CredentialsParser.parse(List.of(basic("alice:k3y:with:colons")), Map.of()))
                .isEqualTo(new Credentials.ApiKey("alice", "k3y:with:colons"));
        assertThat(CredentialsParser.parse(List.of(),
                Map.of("username", List.of("alice"), "api_key", List.of("k3y"))))
                .isEqualTo(new Credentials.ApiKey("alice", "k3y"));
    }

    @Test
    void twoFormsAreABadRequest() {
        assertThatThrownBy(() -> CredentialsParser.parse(List.of("Bearer t"), Map.of("token", List.of("t"))))
                .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessage("more than one credential (Authorization header, token parameter): send exactly one");
        assertThatThrownBy(() -> CredentialsParser.parse(List.of(),
                Map.of("token", List.of("t"), "username", List.of("u"), "api_key", List.of("k"))))
                .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void usernameWithoutKeyIsABadRequest() {
        assertThatThrownBy(() -> CredentialsParser.parse(List.of(), Map.of("username", List.of("u"))))
                .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessage("the username and api_key parameters go together: send both");
    }

    @Test
    void malformedHeadersAreUnauthorizedWithoutEchoingSecrets() {
        assertThatThrownBy(() -> CredentialsParser.parse(List.of("Basic !!!secret!!!"), Map.of()))
                .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(401))
                .hasMessage("the Basic authorization is not valid base64");
        assertThatThrownBy(() -> CredentialsParser.parse(List.of(basic("no-colon-secret")), Map.of()))
                .hasMessage("the Basic authorization must be base64(username:api-key)")
                .hasMessageNotContaining("no-colon-secret");
        assertThatThrownBy(() -> CredentialsParser.parse(List.of("Digest secret"), Map.of()))
                .hasMessage("unsupported authorization scheme 'digest': use Bearer or Basic");
        assertThatThrownBy(() -> CredentialsParser.parse(List.of("Bearer "), Map.of()))
                .hasMessage("the Bearer authorization has no token");
    }

    @Test
    void usernamesThatCannotNameAUserAreUnauthorizedBeforeAnyLookup() throws Exception {
        String longest = "u".repeat(255);
        String tooLong = "u".repeat(256);
        assertThat(CredentialsParser.parse(List.of(basic(longest + ":k3y")), Map.of()))
                .isEqualTo(new Credentials.ApiKey(longest, "k3y"));

        for (String username : List.of(tooLong, "x".repeat(300))) {
            assertThatThrownBy(() -> CredentialsParser.parse(List.of(basic(username + ":k3y")), Map.of()))
                    .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessage("the username is longer than 255 characters");
            assertThatThrownBy(() -> CredentialsParser.parse(List.of(),
                    Map.of("username", List.of(username), "api_key", List.of("k3y"))))
                    .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessage("the username is longer than 255 characters");
        }
        for (String username : List.of("ali\nce", "alice\u0000", "\u007fbob", "bob\u0085")) {
            assertThatThrownBy(() -> CredentialsParser.parse(List.of(basic(username + ":k3y")), Map.of()))
                    .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessage("the username contains a control character");
            assertThatThrownBy(() -> CredentialsParser.parse(List.of(),
                    Map.of("username", List.of(username), "api_key", List.of("k3y"))))
                    .isInstanceOfSatisfying(CredentialsException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessage("the username contains a control character");
        }
    }

    @Test
    void credentialsNeverPrintTheirSecret() {
        assertThat(new Credentials.Bearer("s3cret").toString()).doesNotContain("s3cret");
        assertThat(new Credentials.ApiKey("alice", "s3cret").toString()).doesNotContain("s3cret").contains("alice");
    }
}
