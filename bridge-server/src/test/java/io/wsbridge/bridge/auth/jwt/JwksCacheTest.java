package io.wsbridge.bridge.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class JwksCacheTest {

    private static Map<String, Set<JWSAlgorithm>> usable(JWKSet set) {
        return JwksCache.signingKeys(set).stream()
                .collect(Collectors.toMap(JwksCache.SigningKey::keyId, JwksCache.SigningKey::algorithms));
    }

    @Test
    void rsaKeysVerifyRsAndPsAndEcKeysTheAlgorithmOfTheirCurve() throws Exception {
        JWKSet set = new JWKSet(List.of(
                new RSAKeyGenerator(2048).keyID("rsa").generate(),
                new ECKeyGenerator(Curve.P_256).keyID("p256").generate(),
                new ECKeyGenerator(Curve.P_384).keyID("p384").generate(),
                new ECKeyGenerator(Curve.P_521).keyID("p521").generate()));

        assertThat(usable(set)).containsOnly(
                Map.entry("rsa", Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
                        JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512)),
                Map.entry("p256", Set.of(JWSAlgorithm.ES256)),
                Map.entry("p384", Set.of(JWSAlgorithm.ES384)),
                Map.entry("p521", Set.of(JWSAlgorithm.ES512)));
    }

    @Test
    void algorithmPublishedWithTheKeyIsTheOnlyOneItVerifies() throws Exception {
        JWKSet set = new JWKSet(new RSAKeyGenerator(2048).keyID("rsa").algorithm(JWSAlgorithm.RS256).generate());

        assertThat(usable(set)).containsOnly(Map.entry("rsa", Set.of(JWSAlgorithm.RS256)));
    }

    @Test
    void encryptionWeakMismatchedAndSymmetricKeysAreIgnored() throws Exception {
        // Keycloak publishes an RSA-OAEP encryption key next to the signing key.
        JWKSet set = new JWKSet(List.of(
                new RSAKeyGenerator(2048).keyID("enc").keyUse(KeyUse.ENCRYPTION).generate(),
                new RSAKeyGenerator(2048).keyID("wrap").keyOperations(Set.of(KeyOperation.WRAP_KEY)).generate(),
                new RSAKeyGenerator(1024, true).keyID("weak").generate(),
                new ECKeyGenerator(Curve.P_256).keyID("p256-for-es384").algorithm(JWSAlgorithm.ES384).generate(),
                new OctetSequenceKeyGenerator(256).keyID("hmac").generate(),
                new RSAKeyGenerator(2048).keyID("sig").keyUse(KeyUse.SIGNATURE).generate()));

        assertThat(usable(set)).containsOnlyKeys("sig");
    }
}
