package io.wsbridge.bridge.auth.keycloak;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's check of the realm at start, logged once: a warning if users may edit their own API keys (or keys
 * cannot be stored), if the profile cannot be read, or if tokens are accepted without an audience. It asks Keycloak,
 * so it runs off the request path; it never fails the bridge.
 */
final class KeycloakSetupCheck implements Consumer<String> {

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakSetupCheck.class);

    private final KeycloakAdmin admin;
    private final String audience;

    /** @param audience the audience tokens must carry, or {@code null} */
    KeycloakSetupCheck(KeycloakAdmin admin, String audience) {
        this.admin = admin;
        this.audience = audience;
    }

    /** @param bridge which bridge checks: {@code bridge on 0.0.0.0:8085} */
    @Override
    public void accept(String bridge) {
        String realm = admin.settings().realm();
        if (audience == null) {
            LOG.warn("SECURITY: {}: auth.token.audience is not set, so the bridge accepts a token of realm '{}' issued"
                    + " to any of its clients. Set it to the audience that the realm maps into subscribers' tokens (an"
                    + " audience mapper; the development realm maps '{}'), {}", bridge, realm,
                    admin.settings().clientId(), ApiKeyAttributeCheck.SEE);
        }
        ApiKeyAttributeCheck.Finding finding;
        try {
            finding = ApiKeyAttributeCheck.check(admin);
        } catch (KeycloakUnavailableException | KeycloakRefusedException e) {
            LOG.warn("SECURITY: {}: could not check that users cannot edit their API keys (the attribute '{}' in the"
                    + " user profile of realm '{}'): {}", bridge, KeycloakApiKeys.ATTRIBUTE, realm, e.getMessage());
            return;
        }
        switch (finding.protection()) {
            case ADMIN_ONLY -> LOG.info("{}: checked that users cannot edit their API keys: {}", bridge,
                    finding.message());
            case USER_EDITABLE -> LOG.warn("SECURITY: {}: users can edit their own API keys: {}", bridge,
                    finding.message());
            default -> LOG.warn("{}: API keys cannot be created: {}", bridge, finding.message());
        }
    }
}
