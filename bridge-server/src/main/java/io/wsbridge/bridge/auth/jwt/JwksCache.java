package io.wsbridge.bridge.auth.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's signing keys, fetched on first use, again when a token names a key that is not cached (at most once
 * per minimum interval), and again when a token is verified against a set older than the refresh interval, so that a
 * key the issuer removed stops being trusted without a restart. The refresh is lazy: no thread, no timer.
 *
 * <p>Cached keys are looked up without a lock; fetches are serialised, so concurrent callers that miss cause one
 * fetch, not one each, and while one caller refreshes a due set the others keep verifying against it. A failed fetch
 * keeps the cached keys, but only until the set is {@link JwtSettings#keysMaxAge()} old: after that tokens are refused
 * as unavailable (503), never verified against keys the issuer may have removed meanwhile.
 *
 * <p>Over 300 lines because fetching, checking and replacing a key set are one concurrency design (lock-free reads,
 * one serialised fetch, bounded staleness) that reads best in one place.
 */
final class JwksCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JwksCache.class);

    /** The asymmetric algorithms a token may be signed with; Keycloak signs access tokens with RS256 by default. */
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    /** A realm's key set is a few kilobytes; anything much larger is not a key set. */
    static final int MAX_JWKS_BYTES = 1024 * 1024;

    /** RFC 7518 requires RSA keys of at least 2048 bits for signatures. */
    private static final int MIN_RSA_BITS = 2048;

    /** One usable public key with the algorithms it may verify. */
    record SigningKey(String keyId, Set<JWSAlgorithm> algorithms, JWSVerifier verifier) {

        boolean fits(JWSHeader header) {
            return (header.getKeyID() == null || header.getKeyID().equals(keyId))
                    && algorithms.contains(header.getAlgorithm());
        }
    }

    /** The usable keys of one successful fetch, and when that fetch started. */
    private record KeySet(List<SigningKey> keys, Instant fetchedAt) {
    }

    private final JwtSettings settings;
    private final ReentrantLock fetchLock = new ReentrantLock();

    /** {@code null} until the first successful fetch; replaced as a whole, so dropped keys go. */
    private volatile KeySet current;

    // guarded by fetchLock
    private Instant lastAttempt;
    private IOException lastFailure;
    private HttpClient http;
    private boolean closed;

    JwksCache(JwtSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Verifiers for the key the token names, fetching the key set if none is cached, if it is due for a refresh, or
     * if it lacks the key, as far as the intervals allow.
     *
     * @return empty if the issuer does not publish such a key (as of its last fetch)
     * @throws IdentityUnavailableException the key set cannot be fetched and no usable one is cached: none at all,
     *     none with this key, or only one older than {@link JwtSettings#keysMaxAge()}
     */
    List<JWSVerifier> verifiersFor(JWSHeader header) throws IdentityUnavailableException {
        KeySet seen = current;
        if (seen != null) {
            Instant now = settings.clock().instant();
            if (!now.isBefore(seen.fetchedAt().plus(settings.keysRefreshInterval()))) {
                seen = refresh(seen, now);
            }
            List<JWSVerifier> found = match(seen.keys(), header);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return refetchAndMatch(seen, header);
    }

    /**
     * Fetches a set that is due, unless another caller is at it or a failed attempt was too recent. Until the set is
     * too old, a caller that finds another one fetching goes on with the cached set rather than waiting.
     *
     * @return the set to verify against: the fresh one, or the cached one while it is not too old
     */
    private KeySet refresh(KeySet seen, Instant now) throws IdentityUnavailableException {
        boolean tooOld = isTooOld(seen, now);
        if (tooOld) {
            fetchLock.lock();
        } else if (!fetchLock.tryLock()) {
            return seen;
        }
        try {
            KeySet latest = current;
            if (latest != seen && now.isBefore(latest.fetchedAt().plus(settings.keysRefreshInterval()))) {
                return latest;
            }
            checkOpen();
            if (attemptAllowed(now, retrySpacing())) {
                try {
                    latest = fetchAndKeep(now);
                } catch (IOException e) {
                    failed(e, retrySpacing());
                }
            }
            if (isTooOld(latest, now)) {
                throw new IdentityUnavailableException("cannot refresh the signing keys from " + settings.jwksUri()
                        + ", fetched " + Duration.between(latest.fetchedAt(), now).toSeconds() + " s ago: tokens are"
                        + " refused until the keys can be fetched again", lastFailure);
            }
            return latest;
        } finally {
            fetchLock.unlock();
        }
    }

    private List<JWSVerifier> refetchAndMatch(KeySet seen, JWSHeader header) throws IdentityUnavailableException {
        fetchLock.lock();
        try {
            KeySet latest = current;
            if (latest != seen) {
                // Another caller fetched while this one waited for the lock.
                List<JWSVerifier> found = match(latest.keys(), header);
                if (!found.isEmpty()) {
                    return found;
                }
            }
            checkOpen();
            Instant now = settings.clock().instant();
            if (!attemptAllowed(now, settings.minRefetchInterval())) {
                if (lastFailure != null) {
                    throw unavailable(lastFailure);
                }
                return List.of();
            }
            try {
                return match(fetchAndKeep(now).keys(), header);
            } catch (IOException e) {
                failed(e, settings.minRefetchInterval());
                throw unavailable(e);
            }
        } finally {
            fetchLock.unlock();
        }
    }

    /** Whether a fetch may start now, and if so, records it as the last attempt. Under the fetch lock. */
    private boolean attemptAllowed(Instant now, Duration spacing) {
        if (lastAttempt != null && now.isBefore(lastAttempt.plus(spacing))) {
            return false;
        }
        lastAttempt = now;
        return true;
    }

    /** Under the fetch lock. */
    private KeySet fetchAndKeep(Instant startedAt) throws IOException {
        KeySet fetched = new KeySet(fetch(), startedAt);
        current = fetched;
        if (lastFailure != null) {
            LOG.info("Signing keys from {} are available again", settings.jwksUri());
        }
        lastFailure = null;
        return fetched;
    }

    /** Under the fetch lock. */
    private void failed(IOException e, Duration nextAttempt) {
        lastFailure = e;
        KeySet cached = current;
        LOG.warn("Cannot fetch the signing keys from {} (next attempt in {} ms at the earliest{}): {}",
                settings.jwksUri(), nextAttempt.toMillis(), cached == null ? ""
                        : "; the keys fetched at " + cached.fetchedAt() + " are trusted until "
                        + cached.fetchedAt().plus(settings.keysMaxAge()), e.toString());
    }

    private boolean isTooOld(KeySet set, Instant now) {
        return !now.isBefore(set.fetchedAt().plus(settings.keysMaxAge()));
    }

    /** After a failed refresh, try again this soon: the refetch interval, or the refresh interval if shorter. */
    private Duration retrySpacing() {
        Duration refresh = settings.keysRefreshInterval();
        Duration refetch = settings.minRefetchInterval();
        return refresh.compareTo(refetch) < 0 ? refresh : refetch;
    }

    /** Under the fetch lock. */
    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the token verifier is closed");
        }
    }

    private IdentityUnavailableException unavailable(IOException cause) {
        return new IdentityUnavailableException(
                "cannot fetch the signing keys from " + settings.jwksUri() + " and the token's key is not cached",
                cause);
    }

    private static List<JWSVerifier> match(List<SigningKey> keys, JWSHeader header) {
        List<JWSVerifier> found = new ArrayList<>(1);
        for (SigningKey key : keys) {
            if (key.fits(header)) {
                found.add(key.verifier());
            }
        }
        return found;
    }

    private List<SigningKey> fetch() throws IOException {
        URI uri = settings.jwksUri();
        LOG.debug("Fetching signing keys from {}", uri);
        if (http == null) {
            http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(settings.connectTimeout())
                    .build();
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(settings.requestTimeout())
                .header("Accept", "application/json")
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching the signing keys", e);
        }
        byte[] body;
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode() + " from " + uri);
            }
            body = in.readNBytes(MAX_JWKS_BYTES + 1);
        }
        if (body.length > MAX_JWKS_BYTES) {
            throw new IOException("the key set at " + uri + " is larger than " + MAX_JWKS_BYTES + " bytes");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(new String(body, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new IOException("the key set at " + uri + " is not a valid JWK set: " + e.getMessage(), e);
        }
        List<SigningKey> usable = signingKeys(set);
        if (usable.isEmpty()) {
            LOG.warn("The key set at {} has no usable RSA or EC signing key: every token will be refused", uri);
        } else {
            LOG.debug("Fetched {} signing keys from {}", usable.size(), uri);
        }
        return List.copyOf(usable);
    }

    /** The public RSA and EC keys meant for signatures, each with a verifier built once. */
    static List<SigningKey> signingKeys(JWKSet set) {
        List<SigningKey> usable = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
                continue;
            }
            if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
                continue;
            }
            Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
            for (JWSAlgorithm algorithm : ALGORITHMS) {
                if (fits(jwk, algorithm)) {
                    algorithms.add(algorithm);
                }
            }
            if (algorithms.isEmpty()) {
                continue;
            }
            try {
                JWSVerifier verifier = jwk instanceof RSAKey rsa
                        ? new RSASSAVerifier(rsa.toPublicJWK())
                        : new ECDSAVerifier(((ECKey) jwk).toPublicJWK());
                usable.add(new SigningKey(jwk.getKeyID(), Set.copyOf(algorithms), verifier));
            } catch (JOSEException | RuntimeException e) {
                LOG.debug("Ignoring the unusable key {}: {}", jwk.getKeyID(), e.toString());
            }
        }
        return usable;
    }

    private static boolean fits(JWK jwk, JWSAlgorithm algorithm) {
        if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(algorithm.getName())) {
            return false;
        }
        if (jwk instanceof RSAKey rsa) {
            return JWSAlgorithm.Family.RSA.contains(algorithm) && rsa.size() >= MIN_RSA_BITS;
        }
        if (jwk instanceof ECKey ec) {
            return JWSAlgorithm.Family.EC.contains(algorithm)
                    && Curve.forJWSAlgorithm(algorithm).contains(ec.getCurve());
        }
        return false;
    }

    @Override
    public void close() {
        fetchLock.lock();
        try {
            closed = true;
            // HttpClient is closeable from Java 21 on; on 17 its selector thread ends once the client is unreachable.
            if (http instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.debug("Closing the HTTP client failed: {}", e.toString());
                }
            }
            http = null;
        } finally {
            fetchLock.unlock();
        }
    }
}
