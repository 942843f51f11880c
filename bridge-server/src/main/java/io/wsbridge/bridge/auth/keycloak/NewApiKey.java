package io.wsbridge.bridge.auth.keycloak;

import java.time.Instant;

/** A key just created: the only moment the key itself exists outside its owner's hands. */
public record NewApiKey(String keyId, String key, Instant created) {

    @Override
    public String toString() {
        return "NewApiKey[keyId=" + keyId + ", key=***, created=" + created + "]";
    }
}
