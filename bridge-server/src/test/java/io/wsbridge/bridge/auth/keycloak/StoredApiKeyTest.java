package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StoredApiKeyTest {

    static final String KEY = "wsb_k3m9x2ab_" + "0123456789abcdefghjkmnpqrstvwxyz0123456789abcdefghjk";
    static final Instant CREATED = Instant.parse("2025-11-27T19:45:12Z");

    @Test
    void theAttributeValueHoldsIdAlgorithmHashAndCreationButNotTheKey() {
        StoredApiKey stored = StoredApiKey.of(KEY, CREATED);

        assertThat(stored.toAttributeValue()).isEqualTo("id=k3m9x2ab;alg=sha256;hash="
                + ApiKeyFormat.encodedHash(KEY) + ";created=2025-11-27T19:45:12Z");
        assertThat(stored.toAttributeValue()).doesNotContain(KEY.substring(13));
    }

    @Test
    void anAttributeValueReadsBackAsTheSameKey() {
        StoredApiKey stored = StoredApiKey.of(KEY, CREATED);

        assertThat(StoredApiKey.parse(stored.toAttributeValue())).contains(stored);
    }

    @Test
    void fieldsMayComeInAnyOrderAndUnknownOnesAreIgnored() {
        assertThat(StoredApiKey.parse("created=2025-11-27T19:45:12Z; hash=abc ;note=laptop;alg=sha256;id=k3m9x2ab"))
                .contains(new StoredApiKey("k3m9x2ab", "sha256", "abc", CREATED));
    }

    @Test
    void valuesThisVersionDoesNotUnderstandAreSkipped() {
        assertThat(StoredApiKey.parse(null)).isEmpty();
        assertThat(StoredApiKey.parse("")).isEmpty();
        assertThat(StoredApiKey.parse("something else")).isEmpty();
        assertThat(StoredApiKey.parse("id=k3m9x2ab;alg=sha256;hash=abc")).as("no created").isEmpty();
        assertThat(StoredApiKey.parse("id=k3m9x2ab;alg=sha256;created=2025-11-27T19:45:12Z")).as("no hash").isEmpty();
        assertThat(StoredApiKey.parse("id=k3m9;alg=sha256;hash=abc;created=2025-11-27T19:45:12Z")).as("bad id")
                .isEmpty();
        assertThat(StoredApiKey.parse("id=k3m9x2ab;alg=sha256;hash=abc;created=yesterday")).as("bad date").isEmpty();
    }

    @Test
    void onlyTheSameKeyMatches() {
        StoredApiKey stored = StoredApiKey.of(KEY, CREATED);
        String other = KEY.substring(0, KEY.length() - 1) + "m";

        assertThat(stored.matches(KEY)).isTrue();
        assertThat(stored.matches(other)).isFalse();
        assertThat(stored.matches("")).isFalse();
    }

    @Test
    void anUnknownAlgorithmOrACorruptHashMatchesNothing() {
        String hash = ApiKeyFormat.encodedHash(KEY);

        assertThat(new StoredApiKey("k3m9x2ab", "argon2", hash, CREATED).matches(KEY)).isFalse();
        assertThat(new StoredApiKey("k3m9x2ab", "sha256", "not base64!", CREATED).matches(KEY)).isFalse();
        assertThat(new StoredApiKey("k3m9x2ab", "sha256", hash.substring(1), CREATED).matches(KEY)).isFalse();
    }

    @Test
    void theInfoHasNoHash() {
        assertThat(StoredApiKey.of(KEY, CREATED).info()).isEqualTo(new ApiKeyInfo("k3m9x2ab", CREATED));
    }

    @Test
    void onlyWsbridgeKeysCanBeStored() {
        assertThatThrownBy(() -> StoredApiKey.of("hunter2", CREATED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a wsbridge API key");
    }

    @Test
    void aNewKeyPrintsWithoutTheKey() {
        assertThat(new NewApiKey("k3m9x2ab", KEY, CREATED).toString())
                .isEqualTo("NewApiKey[keyId=k3m9x2ab, key=***, created=2025-11-27T19:45:12Z]");
    }
}
