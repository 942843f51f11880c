package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeyFormatTest {

    @Test
    void aKeyIsThePrefixAKeyIdAndASecretOfTheUrlSafeAlphabet() {
        String key = ApiKeyFormat.generate(new SecureRandom(), Set.of());

        assertThat(key).matches("wsb_[0-9a-hjkmnp-tv-z]{8}_[0-9a-hjkmnp-tv-z]{52}").hasSize(65);
        assertThat(ApiKeyFormat.keyId(key)).contains(key.substring(4, 12));
    }

    @Test
    void theSecretCarriesAtLeast256RandomBits() {
        int bitsPerCharacter = Integer.numberOfTrailingZeros(ApiKeyFormat.ALPHABET.length());

        assertThat(ApiKeyFormat.ALPHABET).hasSize(32).doesNotContain("i", "l", "o", "u");
        assertThat(ApiKeyFormat.ALPHABET.chars().distinct().count()).isEqualTo(32);
        assertThat(ApiKeyFormat.SECRET_LENGTH * bitsPerCharacter).isEqualTo(260);
    }

    @Test
    void generatedKeysDiffer() {
        SecureRandom random = new SecureRandom();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            keys.add(ApiKeyFormat.generate(random, Set.of()));
        }
        assertThat(keys).hasSize(1000);
    }

    @Test
    void aNewKeyAvoidsTheKeyIdsTheUserAlreadyHas() {
        String first = ApiKeyFormat.keyId(ApiKeyFormat.generate(new ScriptedRandom(7), Set.of())).orElseThrow();

        String second = ApiKeyFormat.generate(new ScriptedRandom(7), Set.of(first));

        assertThat(ApiKeyFormat.keyId(second)).isPresent().get().isNotEqualTo(first);
    }

    @Test
    void noFreeKeyIdIsAnError() {
        SecureRandom zeros = new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                java.util.Arrays.fill(bytes, (byte) 0);
            }
        };

        assertThatThrownBy(() -> ApiKeyFormat.generate(zeros, Set.of("00000000")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("no free key id after 100 attempts");
    }

    @Test
    void onlyWellFormedKeysHaveAKeyId() {
        String secret = "0123456789abcdefghjkmnpqrstvwxyz0123456789abcdefghj";
        assertThat(secret).hasSize(51);

        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2ab_" + secret + "k")).contains("k3m9x2ab");
        assertThat(ApiKeyFormat.keyId(null)).isEmpty();
        assertThat(ApiKeyFormat.keyId("")).isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2ab_" + secret)).as("short secret").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2ab_" + secret + "kk")).as("long secret").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsx_k3m9x2ab_" + secret + "k")).as("prefix").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_K3M9X2AB_" + secret + "k")).as("upper case").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2ai_" + secret + "k")).as("i is not in the alphabet").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2ab_" + secret + "u")).as("u is not in the alphabet").isEmpty();
        assertThat(ApiKeyFormat.keyId(" wsb_k3m9x2ab_" + secret + "k")).as("blank").isEmpty();
        assertThat(ApiKeyFormat.keyId("wsb_k3m9x2a_b" + secret + "k")).as("short key id").isEmpty();
    }

    @Test
    void keyIdsAreEightCharactersOfTheAlphabet() {
        assertThat(ApiKeyFormat.isKeyId("k3m9x2ab")).isTrue();
        assertThat(ApiKeyFormat.isKeyId("k3m9x2a")).isFalse();
        assertThat(ApiKeyFormat.isKeyId("k3m9x2abc")).isFalse();
        assertThat(ApiKeyFormat.isKeyId("k3m9x2a!")).isFalse();
        assertThat(ApiKeyFormat.isKeyId(null)).isFalse();
    }

    @Test
    void theHashIsSha256AsUnpaddedUrlSafeBase64() {
        assertThat(ApiKeyFormat.encodedHash("abc")).isEqualTo("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assertThat(ApiKeyFormat.hash("abc")).hasSize(32);
    }
}
