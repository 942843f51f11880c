package io.wsbridge.bridge.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class JwtSettingsTest {

    private static final String ISSUER = "http://127.0.0.1:8180/realms/wsbridge";

    @Test
    void issuerAloneGivesKeycloakDefaults() {
        JwtSettings settings = JwtSettings.forIssuer(ISSUER);

        assertThat(settings.issuer()).isEqualTo(ISSUER);
        assertThat(settings.jwksUri())
                .isEqualTo(URI.create("http://127.0.0.1:8180/realms/wsbridge/protocol/openid-connect/certs"));
        assertThat(settings.audience()).isNull();
        assertThat(settings.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.minRefetchInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.keysRefreshInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.keysMaxAge()).isEqualTo(Duration.ofMinutes(15));
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.clock()).isEqualTo(Clock.systemUTC());
    }

    @Test
    void keyEndpointOfAnIssuerWithTrailingSlashHasNoDoubleSlash() {
        assertThat(JwtSettings.keycloakJwksUri(ISSUER + "/"))
                .isEqualTo(URI.create(ISSUER + "/protocol/openid-connect/certs"));
    }

    @Test
    void withersChangeOneSettingEach() {
        JwtSettings settings = JwtSettings.forIssuer(ISSUER)
                .withJwksUri(URI.create("https://keys.example/certs"))
                .withAudience("wsbridge")
                .withClockSkew(Duration.ZERO)
                .withMinRefetchInterval(Duration.ofMinutes(1))
                .withKeysRefreshInterval(Duration.ofMinutes(2))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));

        assertThat(settings).isEqualTo(new JwtSettings(ISSUER, URI.create("https://keys.example/certs"), "wsbridge",
                Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofSeconds(1),
                Duration.ofSeconds(2), Clock.systemUTC()));
        assertThat(settings.withAudience(null).audience()).isNull();
    }

    @Test
    void issuerMustBeAnHttpUrl() {
        assertThatThrownBy(() -> JwtSettings.forIssuer("keycloak/realms/wsbridge"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("issuer 'keycloak/realms/wsbridge' is not an absolute http(s) URL:"
                        + " expected something like http://127.0.0.1:8180/realms/wsbridge");
        assertThatThrownBy(() -> JwtSettings.forIssuer("http://bad host/realms/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("issuer 'http://bad host/realms/x' is not a valid URL:"
                        + " expected something like http://127.0.0.1:8180/realms/wsbridge");
    }

    @Test
    void jwksUriMustBeAnHttpUrl() {
        assertThatThrownBy(() -> JwtSettings.forIssuer(ISSUER).withJwksUri(URI.create("file:///etc/certs")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jwksUri 'file:///etc/certs' is not an absolute http(s) URL: expected something like"
                        + " http://127.0.0.1:8180/realms/wsbridge/protocol/openid-connect/certs");
    }

    @Test
    void blankAudienceIsAMistake() {
        assertThatThrownBy(() -> JwtSettings.forIssuer(ISSUER).withAudience(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("audience must not be blank: use null to accept any audience");
    }

    @Test
    void durationsMustMakeSense() {
        JwtSettings settings = JwtSettings.forIssuer(ISSUER);

        assertThatThrownBy(() -> settings.withClockSkew(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("clockSkew must not be negative, was PT-1S");
        assertThatThrownBy(() -> settings.withMinRefetchInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("minRefetchInterval must be positive, was PT0S");
        assertThatThrownBy(() -> settings.withKeysRefreshInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keysRefreshInterval must be positive, was PT0S");
        assertThatThrownBy(() -> settings.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(-2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestTimeout must be positive, was PT-2S");
    }
}
