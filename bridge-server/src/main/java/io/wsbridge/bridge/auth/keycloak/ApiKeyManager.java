package io.wsbridge.bridge.auth.keycloak;

import java.util.List;

/** Creates, lists and revokes the API keys of a user: what the {@code wsbridge keys} commands do. */
public interface ApiKeyManager {

    /**
     * Creates a key for the user and returns it: the only time the key can be read, as only its hash is stored.
     *
     * @throws ApiKeyManagementException no such user
     */
    NewApiKey create(String username) throws ApiKeyManagementException, KeycloakUnavailableException;

    /** The user's keys, oldest first; never their hashes. */
    List<ApiKeyInfo> list(String username) throws ApiKeyManagementException, KeycloakUnavailableException;

    /**
     * Revokes one key of the user. A bridge that verified the key before may honour it for up to its cache TTL.
     *
     * @throws ApiKeyManagementException no such user, or the user has no key with that id
     */
    void revoke(String username, String keyId) throws ApiKeyManagementException, KeycloakUnavailableException;
}
