package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeycloakSettingsTest {

    static KeycloakSettings settings() {
        return KeycloakSettings.of("http://127.0.0.1:8080", "wsbridge", "wsbridge-bridge", "s3cret-value");
    }

    @Test
    void toStringNeverShowsTheSecret() {
        assertThat(settings().toString()).isEqualTo("KeycloakSettings[url=http://127.0.0.1:8080, realm=wsbridge,"
                + " clientId=wsbridge-bridge, clientSecret=***, applicationsGroup=/applications, cacheTtl=PT30S,"
                + " connectTimeout=PT3S, readTimeout=PT5S, retryBackoff=PT2S, cacheMaxEntries=10000, "
                + "negativeCacheTtl=PT10S, maxStale=PT5M, lookups=Lookups[maxConcurrent=8, perAddressPerSecond=5.0, "
                + "perAddressBurst=20]]");
    }

    @Test
    void theDefaultsAreShortEnoughForAnOutageToFailInSeconds() {
        KeycloakSettings settings = settings();

        assertThat(settings.applicationsGroup()).isEqualTo("/applications");
        assertThat(settings.cacheTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void trailingSlashesOfTheUrlAreDropped() {
        assertThat(KeycloakSettings.of("https://kc.example.com/auth//", "r", "c", "s").url())
                .isEqualTo("https://kc.example.com/auth");
    }

    @Test
    void groupPathsAreNormalized() {
        assertThat(settings().withApplicationsGroup("applications").applicationsGroup()).isEqualTo("/applications");
        assertThat(settings().withApplicationsGroup("/tenants/acme/apps/").applicationsGroup())
                .isEqualTo("/tenants/acme/apps");
        assertThat(settings().applicationGroupPath("drogue-public-temperature"))
                .isEqualTo("/applications/drogue-public-temperature");
        assertThat(settings().withApplicationsGroup("/").applicationGroupPath("app")).isEqualTo("/app");
    }

    @Test
    void badValuesAreRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> KeycloakSettings.of(" ", "r", "c", "s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("url must not be empty");
        assertThatThrownBy(() -> KeycloakSettings.of("ftp://kc", "r", "c", "s"))
                .hasMessage("url must be an http:// or https:// URL with a host, got ftp://kc");
        assertThatThrownBy(() -> KeycloakSettings.of("http://kc/?x=1", "r", "c", "s"))
                .hasMessage("url must not carry a query or fragment, got http://kc/?x=1");
        assertThatThrownBy(() -> KeycloakSettings.of("http://kc", "", "c", "s"))
                .hasMessage("realm must not be empty");
        assertThatThrownBy(() -> KeycloakSettings.of("http://kc", "r", null, "s"))
                .hasMessage("clientId must not be empty");
        assertThatThrownBy(() -> KeycloakSettings.of("http://kc", "r", "c", ""))
                .hasMessage("clientSecret must not be empty");
        assertThatThrownBy(() -> settings().withApplicationsGroup("/a//b"))
                .hasMessage("applicationsGroup is not a group path like /applications: /a//b");
        assertThatThrownBy(() -> settings().withCacheTtl(Duration.ZERO))
                .hasMessage("cacheTtl must be positive, got PT0S");
        assertThatThrownBy(() -> settings().withRetryBackoff(Duration.ofSeconds(-1)))
                .hasMessage("retryBackoff must not be negative, got PT-1S");
        assertThatThrownBy(() -> settings().withCacheMaxEntries(0))
                .hasMessage("cacheMaxEntries must be at least 1, got 0");
    }

    @Test
    void credentialsInTheUrlAreRefusedWithoutRepeatingThem() {
        assertThatThrownBy(() -> KeycloakSettings.of("http://admin:hunter2@kc", "r", "c", "s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("url must not carry user info: the service account's credentials are the client id and"
                        + " secret");
    }
}
