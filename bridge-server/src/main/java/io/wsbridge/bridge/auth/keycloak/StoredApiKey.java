package io.wsbridge.bridge.auth.keycloak;

import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One key as it is stored: one value of the user attribute {@value KeycloakApiKeys#ATTRIBUTE}, e.g.
 * {@code id=k3m9x2ab;alg=sha256;hash=<base64url SHA-256>;created=2025-11-27T19:45:12Z}. Never the key itself.
 */
public record StoredApiKey(String keyId, String algorithm, String hash, Instant created) {

    public StoredApiKey {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(created, "created");
    }

    /** The stored form of a freshly generated key. */
    public static StoredApiKey of(String key, Instant created) {
        String keyId = ApiKeyFormat.keyId(key)
                .orElseThrow(() -> new IllegalArgumentException("not a wsbridge API key"));
        return new StoredApiKey(keyId, ApiKeyFormat.ALGORITHM, ApiKeyFormat.encodedHash(key), created);
    }

    /** Reads one attribute value; empty if it is not one this version understands (it is then left alone). */
    public static Optional<StoredApiKey> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String field : value.split(";")) {
            int equals = field.indexOf('=');
            if (equals > 0) {
                fields.putIfAbsent(field.substring(0, equals).trim(), field.substring(equals + 1).trim());
            }
        }
        String keyId = fields.get("id");
        String algorithm = fields.get("alg");
        String hash = fields.get("hash");
        String created = fields.get("created");
        if (!ApiKeyFormat.isKeyId(keyId) || algorithm == null || hash == null || created == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new StoredApiKey(keyId, algorithm, hash, Instant.parse(created)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    public String toAttributeValue() {
        return "id=" + keyId + ";alg=" + algorithm + ";hash=" + hash + ";created=" + created;
    }

    /** Whether {@code key} is this key; the hashes are compared in constant time. */
    public boolean matches(String key) {
        if (!ApiKeyFormat.ALGORITHM.equals(algorithm)) {
            return false;
        }
        byte[] expected;
        try {
            expected = Base64.getUrlDecoder().decode(hash);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(expected, ApiKeyFormat.hash(key));
    }

    public ApiKeyInfo info() {
        return new ApiKeyInfo(keyId, created);
    }
}
