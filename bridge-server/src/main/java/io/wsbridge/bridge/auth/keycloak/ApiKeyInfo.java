package io.wsbridge.bridge.auth.keycloak;

import java.time.Instant;

/** What may be shown of a stored key: its id and when it was created. */
public record ApiKeyInfo(String keyId, Instant created) {
}
