package io.wsbridge.bridge.auth.keycloak;

import jakarta.ws.rs.NotFoundException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.UserRepresentation;

/** The store in Keycloak: the user attribute {@value KeycloakApiKeys#ATTRIBUTE}, read and written with the Admin API. */
final class KeycloakApiKeyStore implements KeycloakApiKeys.Store {

    private final KeycloakAdmin admin;

    KeycloakApiKeyStore(KeycloakAdmin admin) {
        this.admin = admin;
    }

    @Override
    public Optional<KeycloakApiKeys.Owner> find(String username) throws KeycloakUnavailableException, KeycloakRefusedException {
        List<UserRepresentation> users = admin.call("look up user '" + username + "'",
                realm -> realm.users().searchByUsername(username, true));
        return users.stream()
                .filter(user -> username.equalsIgnoreCase(user.getUsername()))
                .findFirst()
                .map(user -> new KeycloakApiKeys.Owner(user.getId(), user.getUsername(), !Boolean.FALSE.equals(user.isEnabled()),
                        values(user)));
    }

    @Override
    public void update(KeycloakApiKeys.Owner owner, UnaryOperator<List<String>> change)
            throws KeycloakUnavailableException, KeycloakRefusedException {
        admin.call("update the API keys of user '" + owner.username() + "'", realm -> {
            UserResource resource = realm.users().get(owner.userId());
            UserRepresentation user;
            try {
                user = resource.toRepresentation();
            } catch (NotFoundException e) {
                throw new IllegalStateException("user '" + owner.username() + "' was deleted meanwhile", e);
            }
            Map<String, List<String>> attributes = user.getAttributes() == null
                    ? new HashMap<>() : new HashMap<>(user.getAttributes());
            attributes.put(KeycloakApiKeys.ATTRIBUTE, List.copyOf(change.apply(values(user))));
            user.setAttributes(attributes);
            resource.update(user);
            return null;
        });
    }

    @Override
    public ApiKeyAttributeCheck.Finding attributeProtection()
            throws KeycloakUnavailableException, KeycloakRefusedException {
        return ApiKeyAttributeCheck.check(admin);
    }

    @Override
    public String describe() {
        return "realm '" + admin.settings().realm() + "'";
    }

    private static List<String> values(UserRepresentation user) {
        Map<String, List<String>> attributes = user.getAttributes();
        List<String> values = attributes == null ? null : attributes.get(KeycloakApiKeys.ATTRIBUTE);
        return values == null ? List.of() : values.stream().filter(Objects::nonNull).toList();
    }
}
