package io.wsbridge.bridge.auth.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.InvalidCredentialsException;
import io.wsbridge.bridge.auth.TokenVerifier;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;

/**
 * Verifies OIDC access tokens (Keycloak's, by default) locally: an asymmetric signature by one of the issuer's
 * published keys, then {@code iss}, {@code typ}, {@code exp}, {@code nbf} and, if configured, the audience. The keys
 * are fetched on first use and cached; a token naming an unknown key triggers a rate-limited refetch, which is how a
 * new key is picked up, and a set older than the refresh interval is fetched again, which is how a removed key stops
 * being trusted. With a cached, fresh key no I/O happens.
 *
 * <p>Refusals carry a short reason that never contains the token or any part of it, nor a cause that could.
 * Thread-safe.
 */
public final class JwtTokenVerifier implements TokenVerifier {

    private final JwtSettings settings;
    private final JwksCache keys;
    private volatile boolean closed;

    /** Fetches nothing and starts nothing: the keys are fetched on the first {@link #verify}. */
    public JwtTokenVerifier(JwtSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.keys = new JwksCache(settings);
    }

    public JwtSettings settings() {
        return settings;
    }

    @Override
    public Identity verify(String token) throws InvalidCredentialsException, IdentityUnavailableException {
        Objects.requireNonNull(token, "token");
        if (closed) {
            throw new IllegalStateException("the token verifier is closed");
        }
        SignedJWT jwt = parse(token);
        JWTClaimsSet claims = claims(jwt);
        JWSHeader header = jwt.getHeader();
        checkAlgorithm(header.getAlgorithm());
        checkSignature(jwt, keys.verifiersFor(header));
        return checkClaims(claims);
    }

    private static SignedJWT parse(String token) throws InvalidCredentialsException {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException | RuntimeException e) {
            // The parser's message may quote the token: no cause.
            throw new InvalidCredentialsException("token is not a JWT");
        }
        if (jwt instanceof PlainJWT) {
            throw new InvalidCredentialsException("token is not signed (alg none)");
        }
        if (jwt instanceof EncryptedJWT) {
            throw new InvalidCredentialsException("token is encrypted: expected a signed access token");
        }
        if (!(jwt instanceof SignedJWT signed)) {
            throw new InvalidCredentialsException("token is not a JWT");
        }
        return signed;
    }

    private static void checkAlgorithm(JWSAlgorithm algorithm) throws InvalidCredentialsException {
        if (JwksCache.ALGORITHMS.contains(algorithm)) {
            return;
        }
        if (JWSAlgorithm.Family.HMAC_SHA.contains(algorithm)) {
            throw new InvalidCredentialsException(
                    "token is signed with a shared secret (HMAC): only RS*, PS* and ES* signatures are accepted");
        }
        throw new InvalidCredentialsException(
                "token signature algorithm is not accepted: only RS*, PS* and ES* signatures are");
    }

    private static void checkSignature(SignedJWT jwt, List<JWSVerifier> verifiers)
            throws InvalidCredentialsException {
        if (verifiers.isEmpty()) {
            throw new InvalidCredentialsException("unknown signing key");
        }
        for (JWSVerifier verifier : verifiers) {
            try {
                if (verifier.verify(jwt.getHeader(), jwt.getSigningInput(), jwt.getSignature())) {
                    return;
                }
            } catch (JOSEException e) {
                // A malformed signature or an unsupported critical header: not valid either way.
            }
        }
        throw new InvalidCredentialsException("token signature is not valid");
    }

    /** Read before the signature is checked, so that garbage costs no key lookup; trusted only after. */
    private static JWTClaimsSet claims(SignedJWT jwt) throws InvalidCredentialsException {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            // Not a JSON claims set, or a registered claim of the wrong type; the message may quote the token.
            throw new InvalidCredentialsException("token is not a JWT");
        }
    }

    private Identity checkClaims(JWTClaimsSet claims) throws InvalidCredentialsException {
        if (!settings.issuer().equals(claims.getIssuer())) {
            throw new InvalidCredentialsException("token issuer is not " + settings.issuer());
        }
        Object type = claims.getClaim("typ");
        if (type != null && !"Bearer".equals(type)) {
            throw new InvalidCredentialsException("token is not an access token (typ is not Bearer)");
        }
        Instant now = settings.clock().instant();
        Duration skew = settings.clockSkew();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new InvalidCredentialsException("token has no expiry (exp)");
        }
        Instant expiresAt = exp.toInstant();
        if (!now.isBefore(expiresAt.plus(skew))) {
            throw new InvalidCredentialsException("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
            throw new InvalidCredentialsException("token is not valid yet (nbf)");
        }
        String audience = settings.audience();
        if (audience != null) {
            List<String> aud = claims.getAudience();
            if (!aud.contains(audience) && !audience.equals(claims.getClaim("azp"))) {
                throw new InvalidCredentialsException("token audience is not " + audience);
            }
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new InvalidCredentialsException("token has no subject (sub)");
        }
        Object username = claims.getClaim("preferred_username");
        return new Identity(subject,
                username instanceof String name && !name.isBlank() ? name : subject,
                expiresAt);
    }

    @Override
    public void close() {
        closed = true;
        keys.close();
    }
}
