package io.wsbridge.bridge.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.InvalidCredentialsException;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JwtTokenVerifierTest {

    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final String USER_ID = "5f1c2a9e-7d3b-4c8a-9e1f-0a2b3c4d5e6f";

    private static RSAKey rsa;
    private static RSAKey rotatedRsa;
    private static RSAKey forgedRsa;
    private static ECKey ec;

    private final MutableClock clock = new MutableClock(START);
    private JwksServer jwks;
    private JwtTokenVerifier verifier;

    @BeforeAll
    static void generateKeys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        rotatedRsa = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        // The attacker's own key, under the kid of the real one.
        forgedRsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    }

    @BeforeEach
    void startIssuer() throws IOException {
        jwks = JwksServer.start(rsa, ec);
        verifier = new JwtTokenVerifier(settings());
    }

    @AfterEach
    void stop() {
        verifier.close();
        jwks.close();
    }

    private JwtSettings settings() {
        return JwtSettings.forIssuer(jwks.issuer())
                .withClock(clock)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    /** What Keycloak puts in an access token, valid for five minutes from the clock's now. */
    private JWTClaimsSet.Builder accessToken() {
        Instant now = clock.instant();
        return new JWTClaimsSet.Builder()
                .issuer(jwks.issuer())
                .subject(USER_ID)
                .audience("account")
                .claim("azp", "wsbridge-ui")
                .claim("typ", "Bearer")
                .claim("preferred_username", "alice")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)));
    }

    private static String sign(JWK key, JWSAlgorithm algorithm, JWTClaimsSet claims) throws Exception {
        JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private String rs256(JWTClaimsSet claims) throws Exception {
        return sign(rsa, JWSAlgorithm.RS256, claims);
    }

    private String validToken() throws Exception {
        return rs256(accessToken().build());
    }

    private String tokenWithUnknownKid(String kid) throws Exception {
        return sign(new RSAKey.Builder(rsa).keyID(kid).build(), JWSAlgorithm.RS256, accessToken().build());
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private void assertRefused(String token, String message) {
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage(message)
                .satisfies(e -> assertDoesNotQuote(e, token));
    }

    /** Neither the exception nor any of its causes may quote the token or one of its parts. */
    private static void assertDoesNotQuote(Throwable thrown, String token) {
        List<String> secrets = new ArrayList<>(List.of(token.split("\\.")));
        secrets.add(token);
        // Shorter strings ("", "a.b") would match by chance.
        secrets.removeIf(secret -> secret.length() < 8);
        for (Throwable e = thrown; e != null; e = e.getCause()) {
            String text = e.toString();
            for (String secret : secrets) {
                assertThat(text).as("message of %s", e.getClass().getSimpleName()).doesNotContain(secret);
            }
        }
    }

    // --- valid tokens

    @Test
    void validRs256TokenGivesTheIdentity() throws Exception {
        Identity identity = verifier.verify(validToken());

        assertThat(identity).isEqualTo(new Identity(USER_ID, "alice", START.plusSeconds(300)));
    }

    @Test
    void validEs256TokenGivesTheIdentity() throws Exception {
        String token = sign(ec, JWSAlgorithm.ES256, accessToken().build());

        assertThat(verifier.verify(token)).isEqualTo(new Identity(USER_ID, "alice", START.plusSeconds(300)));
    }

    @Test
    void validPs256TokenIsAccepted() throws Exception {
        String token = sign(rsa, JWSAlgorithm.PS256, accessToken().build());

        assertThat(verifier.verify(token).userId()).isEqualTo(USER_ID);
    }

    @Test
    void usernameFallsBackToTheSubject() throws Exception {
        String token = rs256(accessToken().claim("preferred_username", null).build());

        assertThat(verifier.verify(token)).isEqualTo(new Identity(USER_ID, USER_ID, START.plusSeconds(300)));
    }

    @Test
    void keysAreFetchedOnFirstUseOnlyAndThenServedFromTheCache() throws Exception {
        assertThat(jwks.requests()).as("requests before the first token").isZero();

        for (int i = 0; i < 5; i++) {
            verifier.verify(validToken());
            verifier.verify(sign(ec, JWSAlgorithm.ES256, accessToken().build()));
        }

        assertThat(jwks.requests()).isEqualTo(1);
    }

    // --- signature and algorithm

    @Test
    void tokenSignedByAnotherKeyUnderTheSameKidIsRefused() throws Exception {
        assertRefused(sign(forgedRsa, JWSAlgorithm.RS256, accessToken().build()), "token signature is not valid");
    }

    @Test
    void tokenWithAlteredClaimsIsRefused() throws Exception {
        String[] parts = validToken().split("\\.");
        String admin = base64Url(accessToken().subject("admin").build().toString());

        assertRefused(parts[0] + "." + admin + "." + parts[2], "token signature is not valid");
    }

    @Test
    void unsignedTokenIsRefused() throws Exception {
        String token = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + base64Url(accessToken().build().toString()) + ".";

        assertRefused(token, "token is not signed (alg none)");
        assertThat(jwks.requests()).isZero();
    }

    @Test
    void hmacTokenIsRefusedEvenWhenKeyedWithThePublicKey() throws Exception {
        // The classic confusion attack: HS256 with the RSA public key as the shared secret.
        byte[] secret = rsa.toPublicJWK().toRSAPublicKey().getEncoded();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                accessToken().build());
        jwt.sign(new MACSigner(secret));

        assertRefused(jwt.serialize(),
                "token is signed with a shared secret (HMAC): only RS*, PS* and ES* signatures are accepted");
        assertThat(jwks.requests()).isZero();
    }

    @Test
    void encryptedTokenIsRefused() throws Exception {
        EncryptedJWT jwt = new EncryptedJWT(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM),
                accessToken().build());
        jwt.encrypt(new RSAEncrypter(rsa));

        assertRefused(jwt.serialize(), "token is encrypted: expected a signed access token");
    }

    @Test
    void es256TokenNamingAnRsaKeyIsAnUnknownKey() throws Exception {
        String token = sign(new ECKey.Builder(ec).keyID("rsa-1").build(), JWSAlgorithm.ES256,
                accessToken().build());

        assertRefused(token, "unknown signing key");
    }

    @Test
    void garbageIsNotAJwt() {
        for (String garbage : List.of("", "not-a-token", "a.b", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30",
                "eyJhbGciOiJSUzI1NiJ9.!!!!.abc", base64Url("{\"alg\":\"RS256\"") + ".e30.c2ln")) {
            assertRefused(garbage, "token is not a JWT");
        }
        assertThat(jwks.requests()).isZero();
    }

    @Test
    void signedPayloadThatIsNotAClaimsSetIsRefused() throws Exception {
        JWSObject notClaims = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                new Payload("[\"an\",\"array\"]"));
        notClaims.sign(new RSASSASigner(rsa));

        assertRefused(notClaims.serialize(), "token is not a JWT");
    }

    // --- claims

    @Test
    void expiredTokenIsRefused() throws Exception {
        String token = rs256(accessToken().expirationTime(Date.from(START.minusSeconds(60))).build());

        assertRefused(token, "token expired");
    }

    @Test
    void expiryWithinTheClockSkewIsAccepted() throws Exception {
        String justExpired = rs256(accessToken().expirationTime(Date.from(START.minusSeconds(29))).build());
        String expiredBeyondSkew = rs256(accessToken().expirationTime(Date.from(START.minusSeconds(30))).build());

        assertThat(verifier.verify(justExpired).expiresAt()).isEqualTo(START.minusSeconds(29));
        assertRefused(expiredBeyondSkew, "token expired");
    }

    @Test
    void tokenWithoutExpiryIsRefused() throws Exception {
        assertRefused(rs256(accessToken().expirationTime(null).build()), "token has no expiry (exp)");
    }

    @Test
    void tokenNotValidYetIsRefused() throws Exception {
        String token = rs256(accessToken().notBeforeTime(Date.from(START.plusSeconds(31))).build());

        assertRefused(token, "token is not valid yet (nbf)");
    }

    @Test
    void notBeforeWithinTheClockSkewIsAccepted() throws Exception {
        String token = rs256(accessToken().notBeforeTime(Date.from(START.plusSeconds(30))).build());

        assertThat(verifier.verify(token).userId()).isEqualTo(USER_ID);
    }

    @Test
    void tokenFromAnotherIssuerIsRefused() throws Exception {
        String otherRealm = rs256(accessToken().issuer("http://127.0.0.1:8180/realms/other").build());
        String trailingSlash = rs256(accessToken().issuer(jwks.issuer() + "/").build());
        String noIssuer = rs256(accessToken().issuer(null).build());

        for (String token : List.of(otherRealm, trailingSlash, noIssuer)) {
            assertRefused(token, "token issuer is not " + jwks.issuer());
        }
    }

    @Test
    void refreshAndIdTokensAreRefused() throws Exception {
        assertRefused(rs256(accessToken().claim("typ", "Refresh").build()),
                "token is not an access token (typ is not Bearer)");
        assertRefused(rs256(accessToken().claim("typ", "ID").build()),
                "token is not an access token (typ is not Bearer)");
    }

    @Test
    void tokenWithoutTypIsAccepted() throws Exception {
        assertThat(verifier.verify(rs256(accessToken().claim("typ", null).build())).userId()).isEqualTo(USER_ID);
    }

    @Test
    void tokenWithoutSubjectIsRefused() throws Exception {
        assertRefused(rs256(accessToken().subject(null).build()), "token has no subject (sub)");
    }

    @Test
    void anyAudienceIsAcceptedWhenNoneIsConfigured() throws Exception {
        String token = rs256(accessToken().audience("someone-else").claim("azp", "another-client").build());

        assertThat(verifier.verify(token).userId()).isEqualTo(USER_ID);
    }

    @Test
    void configuredAudienceMatchesAudOrAzp() throws Exception {
        verifier.close();
        verifier = new JwtTokenVerifier(settings().withAudience("wsbridge"));

        String inAud = rs256(accessToken().audience(List.of("account", "wsbridge")).build());
        String asAzp = rs256(accessToken().audience("account").claim("azp", "wsbridge").build());
        String neither = rs256(accessToken().audience("account").claim("azp", "wsbridge-ui").build());
        String none = rs256(accessToken().audience((String) null).claim("azp", null).build());

        assertThat(verifier.verify(inAud).userId()).isEqualTo(USER_ID);
        assertThat(verifier.verify(asAzp).userId()).isEqualTo(USER_ID);
        assertRefused(neither, "token audience is not wsbridge");
        assertRefused(none, "token audience is not wsbridge");
    }

    // --- key rotation and rate limiting

    @Test
    void newKidTriggersOneRefetchAndThenVerifies() throws Exception {
        verifier.verify(validToken());
        jwks.publish(rotatedRsa, rsa, ec);
        clock.advance(JwtSettings.DEFAULT_MIN_REFETCH_INTERVAL);

        String rotated = sign(rotatedRsa, JWSAlgorithm.RS256, accessToken().build());

        assertThat(verifier.verify(rotated).userId()).isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(2);
        verifier.verify(rotated);
        verifier.verify(validToken());
        assertThat(jwks.requests()).as("both keys cached").isEqualTo(2);
    }

    @Test
    void keyDroppedByTheIssuerIsForgottenAfterARefetch() throws Exception {
        verifier.verify(validToken());
        jwks.publish(rotatedRsa, ec);
        clock.advance(JwtSettings.DEFAULT_MIN_REFETCH_INTERVAL);

        verifier.verify(sign(rotatedRsa, JWSAlgorithm.RS256, accessToken().build()));

        assertRefused(validToken(), "unknown signing key");
    }

    @Test
    void refetchesForUnknownKidsAreRateLimited() throws Exception {
        verifier.verify(validToken());
        assertRefused(tokenWithUnknownKid("unknown-0"), "unknown signing key");
        assertThat(jwks.requests()).as("within the interval of the first fetch").isEqualTo(1);

        clock.advance(Duration.ofSeconds(30));
        for (int i = 1; i <= 50; i++) {
            assertRefused(tokenWithUnknownKid("unknown-" + i), "unknown signing key");
        }
        assertThat(jwks.requests()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(29));
        assertRefused(tokenWithUnknownKid("unknown-51"), "unknown signing key");
        verifier.verify(validToken());
        assertThat(jwks.requests()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(1));
        assertRefused(tokenWithUnknownKid("unknown-52"), "unknown signing key");
        assertThat(jwks.requests()).isEqualTo(3);
    }

    @Test
    void concurrentCallersOnFirstUseCauseOneFetch() throws Exception {
        int callers = 16;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            tokens.add(i % 2 == 0 ? validToken() : tokenWithUnknownKid("unknown-" + i));
        }
        CountDownLatch release = jwks.holdAnswers();
        CountDownLatch started = new CountDownLatch(callers);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<Object>> results = new ArrayList<>();
            for (String token : tokens) {
                results.add(pool.submit(() -> {
                    started.countDown();
                    try {
                        return verifier.verify(token);
                    } catch (InvalidCredentialsException e) {
                        return e.getMessage();
                    }
                }));
            }
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> jwks.requests() == 1);
            release.countDown();

            for (int i = 0; i < callers; i++) {
                Object result = results.get(i).get(10, TimeUnit.SECONDS);
                if (i % 2 == 0) {
                    assertThat(result).isEqualTo(new Identity(USER_ID, "alice", START.plusSeconds(300)));
                } else {
                    assertThat(result).isEqualTo("unknown signing key");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(jwks.requests()).isEqualTo(1);
    }

    // --- periodic refresh

    @Test
    void keyRemovedByTheIssuerStopsVerifyingOnceTheSetIsRefreshed() throws Exception {
        verifier.verify(validToken());
        jwks.publish(rotatedRsa, ec);

        clock.advance(JwtSettings.DEFAULT_KEYS_REFRESH_INTERVAL.minusSeconds(1));
        assertThat(verifier.verify(validToken()).userId()).as("the set is not due yet").isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertRefused(validToken(), "unknown signing key");
        assertThat(jwks.requests()).as("one refresh, no refetch for the now unknown key").isEqualTo(2);
        assertThat(verifier.verify(sign(rotatedRsa, JWSAlgorithm.RS256, accessToken().build())).userId())
                .isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(2);
    }

    @Test
    void aFreshSetIsFetchedOncePerInterval() throws Exception {
        verifier.close();
        verifier = new JwtTokenVerifier(settings().withKeysRefreshInterval(Duration.ofMinutes(1)));

        for (int minute = 0; minute < 5; minute++) {
            for (int i = 0; i < 10; i++) {
                verifier.verify(validToken());
            }
            clock.advance(Duration.ofMinutes(1));
        }

        assertThat(jwks.requests()).isEqualTo(5);
    }

    @Test
    void aSetThatCannotBeRefreshedIsTrustedForThreeIntervalsThenTokensAreUnavailable() throws Exception {
        verifier.verify(validToken());
        jwks.answerWith(503);

        clock.advance(Duration.ofMinutes(5));
        assertThat(verifier.verify(validToken()).userId()).as("refresh failed, set 5 min old").isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(2);
        assertThat(verifier.verify(validToken()).userId()).isEqualTo(USER_ID);
        assertThat(jwks.requests()).as("no new attempt within 30 s").isEqualTo(2);

        clock.advance(Duration.ofMinutes(10).minusSeconds(1));
        assertThat(verifier.verify(validToken()).userId()).as("set just under 15 min old").isEqualTo(USER_ID);

        clock.advance(Duration.ofSeconds(1));
        String token = validToken();
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("cannot refresh the signing keys from " + jwks.issuer()
                        + "/protocol/openid-connect/certs, fetched 900 s ago: tokens are refused until the keys can"
                        + " be fetched again")
                .satisfies(e -> assertDoesNotQuote(e, token))
                .cause()
                .hasMessage("HTTP 503 from " + jwks.issuer() + "/protocol/openid-connect/certs");
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(IdentityUnavailableException.class);

        jwks.answerWith(200);
        clock.advance(Duration.ofSeconds(30));
        assertThat(verifier.verify(validToken()).userId()).as("the issuer answers again").isEqualTo(USER_ID);
    }

    @Test
    void aSetThatCannotBeRefreshedBecauseTheIssuerIsDownFailsClosedToo() throws Exception {
        verifier.verify(validToken());
        jwks.stop();

        clock.advance(JwtSettings.DEFAULT_KEYS_REFRESH_INTERVAL.multipliedBy(JwtSettings.STALE_KEYS_FACTOR));

        assertThatThrownBy(() -> verifier.verify(validToken()))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasCauseInstanceOf(ConnectException.class);
    }

    @Test
    void whileOneCallerRefreshesADueSetOthersVerifyAgainstTheCachedOne() throws Exception {
        verifier.verify(validToken());
        clock.advance(JwtSettings.DEFAULT_KEYS_REFRESH_INTERVAL);
        String token = validToken();
        CountDownLatch release = jwks.holdAnswers();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Identity> refreshing = pool.submit(() -> verifier.verify(token));
            await().atMost(Duration.ofSeconds(10)).until(() -> jwks.requests() == 2);

            assertThat(verifier.verify(token).userId()).as("not waiting for the refresh").isEqualTo(USER_ID);
            assertThat(refreshing).isNotDone();

            release.countDown();
            assertThat(refreshing.get(10, TimeUnit.SECONDS).userId()).isEqualTo(USER_ID);
        } finally {
            pool.shutdownNow();
        }
        assertThat(jwks.requests()).isEqualTo(2);
    }

    // --- outage

    @Test
    void cachedKeyStillVerifiesWhileTheIssuerIsDown() throws Exception {
        verifier.verify(validToken());
        jwks.stop();
        clock.advance(Duration.ofMinutes(2));

        assertThat(verifier.verify(validToken()).userId()).isEqualTo(USER_ID);
        assertThat(verifier.verify(sign(ec, JWSAlgorithm.ES256, accessToken().build())).userId())
                .isEqualTo(USER_ID);
    }

    @Test
    void unknownKeyWhileTheIssuerIsDownIsUnavailableUntilItIsBack() throws Exception {
        verifier.verify(validToken());
        jwks.publish(rotatedRsa, rsa, ec);
        jwks.stop();
        clock.advance(Duration.ofSeconds(30));
        String rotated = sign(rotatedRsa, JWSAlgorithm.RS256, accessToken().build());

        assertThatThrownBy(() -> verifier.verify(rotated))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("cannot fetch the signing keys from " + jwks.issuer()
                        + "/protocol/openid-connect/certs and the token's key is not cached")
                .hasCauseInstanceOf(ConnectException.class)
                .satisfies(e -> assertDoesNotQuote(e, rotated));
        assertThat(verifier.verify(validToken()).userId()).as("cached key").isEqualTo(USER_ID);

        jwks.restart();
        clock.advance(Duration.ofSeconds(29));
        assertThatThrownBy(() -> verifier.verify(rotated))
                .as("no new attempt within the interval")
                .isInstanceOf(IdentityUnavailableException.class);
        assertThat(jwks.requests()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(verifier.verify(rotated).userId()).isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(2);
    }

    @Test
    void errorAnswerIsAnOutageToo() throws Exception {
        jwks.answerWith(500);
        String token = validToken();

        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("cannot fetch the signing keys from " + jwks.issuer()
                        + "/protocol/openid-connect/certs and the token's key is not cached")
                .cause()
                .isInstanceOf(IOException.class)
                .hasMessage("HTTP 500 from " + jwks.issuer() + "/protocol/openid-connect/certs");
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(IdentityUnavailableException.class);
        assertThat(jwks.requests()).as("one attempt per interval").isEqualTo(1);

        jwks.answerWith(200);
        clock.advance(Duration.ofSeconds(30));
        assertThat(verifier.verify(token).userId()).isEqualTo(USER_ID);
        assertThat(jwks.requests()).isEqualTo(2);
    }

    @Test
    void answerThatIsNotAKeySetIsAnOutage() throws Exception {
        jwks.publishRaw("<html>maintenance</html>");

        assertThatThrownBy(() -> verifier.verify(validToken()))
                .isInstanceOf(IdentityUnavailableException.class)
                .cause()
                .hasMessageStartingWith("the key set at " + jwks.issuer()
                        + "/protocol/openid-connect/certs is not a valid JWK set");
    }

    @Test
    void issuerDownOnFirstUseIsUnavailable() throws Exception {
        jwks.stop();

        assertThatThrownBy(() -> verifier.verify(validToken()))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasCauseInstanceOf(ConnectException.class);
    }

    @Test
    void closedVerifierRefusesToWork() throws Exception {
        verifier.close();

        assertThatThrownBy(() -> verifier.verify(validToken()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the token verifier is closed");
        assertThat(jwks.requests()).isZero();
    }
}
