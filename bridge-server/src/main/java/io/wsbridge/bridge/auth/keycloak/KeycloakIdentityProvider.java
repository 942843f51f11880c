package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.IdentityAccessPolicy;
import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.auth.jwt.JwtSettings;
import io.wsbridge.bridge.auth.jwt.JwtTokenVerifier;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Keycloak as the bridge's identity provider: tokens verified locally against the realm's keys, API keys and
 * application groups read through the Admin API as the bridge's service account.
 *
 * @param keycloak how to reach Keycloak
 * @param audience the audience tokens must carry, or {@code null} for any
 * @param keysRefreshInterval how often the realm's signing keys are fetched again (see
 *     {@link JwtSettings#keysRefreshInterval()})
 */
public record KeycloakIdentityProvider(KeycloakSettings keycloak, String audience, Duration keysRefreshInterval)
        implements IdentityProvider {

    public KeycloakIdentityProvider {
        Objects.requireNonNull(keycloak, "keycloak");
        Objects.requireNonNull(keysRefreshInterval, "keysRefreshInterval");
    }

    /** With the default refresh interval of the signing keys. */
    public KeycloakIdentityProvider(KeycloakSettings keycloak, String audience) {
        this(keycloak, audience, JwtSettings.DEFAULT_KEYS_REFRESH_INTERVAL);
    }

    /** The realm's issuer URL, as Keycloak writes it into tokens. */
    public String issuer() {
        return keycloak.url() + "/realms/" + keycloak.realm();
    }

    @Override
    public AccessPolicy accessPolicy(Set<String> staticPublicApplications) {
        JwtSettings jwt = JwtSettings.forIssuer(issuer()).withKeysRefreshInterval(keysRefreshInterval);
        if (audience != null) {
            jwt = jwt.withAudience(audience);
        }
        KeycloakAdmin admin = new KeycloakAdmin(keycloak);
        String description = "Keycloak realm '" + keycloak.realm() + "' at " + keycloak.url() + " as client '"
                + keycloak.clientId() + "'; applications are the groups under " + keycloak.applicationsGroup()
                + (staticPublicApplications.isEmpty() ? "" : "; always public: " + new TreeSet<>(staticPublicApplications));
        return new IdentityAccessPolicy(staticPublicApplications, new JwtTokenVerifier(jwt),
                new KeycloakApiKeys(admin), new KeycloakApplicationDirectory(admin), description, admin,
                new KeycloakSetupCheck(admin, audience));
    }
}
