package io.wsbridge.bridge.auth.jwt;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What a {@link JwtTokenVerifier} checks tokens against.
 *
 * @param issuer the OIDC issuer, compared exactly with the token's {@code iss} (Keycloak:
 *     {@code http://host:port/realms/<realm>}, no trailing slash)
 * @param jwksUri where the issuer publishes its signing keys
 * @param audience the client id a token must be meant for ({@code aud} contains it or {@code azp} equals it);
 *     {@code null} to accept any audience
 * @param clockSkew tolerance on {@code exp} and {@code nbf} for clocks that disagree
 * @param minRefetchInterval the signing keys are fetched at most once per interval, however many tokens name an
 *     unknown key
 * @param keysRefreshInterval the signing keys are fetched again when a token is verified against a set older than
 *     this, so that a key the issuer removed stops being trusted; a set that cannot be refreshed is trusted until it
 *     is {@value #STALE_KEYS_FACTOR} intervals old, then tokens fail closed (see {@link #keysMaxAge()})
 * @param connectTimeout TCP connect timeout of a key fetch
 * @param requestTimeout time allowed for the issuer to answer a key fetch
 * @param clock the time tokens are checked against (a fixed or adjustable clock in tests)
 */
public record JwtSettings(
        String issuer,
        URI jwksUri,
        String audience,
        Duration clockSkew,
        Duration minRefetchInterval,
        Duration keysRefreshInterval,
        Duration connectTimeout,
        Duration requestTimeout,
        Clock clock) {

    /** Where Keycloak publishes a realm's keys, relative to the realm's issuer URL. */
    public static final String KEYCLOAK_JWKS_PATH = "/protocol/openid-connect/certs";
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KEYS_REFRESH_INTERVAL = Duration.ofMinutes(5);
    /** A key set that cannot be refreshed is trusted until it is this many refresh intervals old. */
    public static final int STALE_KEYS_FACTOR = 3;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private static final String EXAMPLE_ISSUER = "http://127.0.0.1:8180/realms/wsbridge";

    public JwtSettings {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(jwksUri, "jwksUri");
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(minRefetchInterval, "minRefetchInterval");
        Objects.requireNonNull(keysRefreshInterval, "keysRefreshInterval");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(clock, "clock");
        requireHttpUrl(issuer, "issuer", EXAMPLE_ISSUER);
        requireHttpUrl(jwksUri.toString(), "jwksUri", EXAMPLE_ISSUER + KEYCLOAK_JWKS_PATH);
        if (audience != null && audience.isBlank()) {
            throw new IllegalArgumentException("audience must not be blank: use null to accept any audience");
        }
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative, was " + clockSkew);
        }
        requirePositive(minRefetchInterval, "minRefetchInterval");
        requirePositive(keysRefreshInterval, "keysRefreshInterval");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(requestTimeout, "requestTimeout");
    }

    /**
     * Defaults for everything but the issuer: Keycloak's key endpoint under the issuer, any audience, 30 s of clock
     * skew, at most one key fetch per 30 s for unknown key ids, the keys fetched again every 5 minutes, the system
     * clock.
     */
    public static JwtSettings forIssuer(String issuer) {
        Objects.requireNonNull(issuer, "issuer");
        requireHttpUrl(issuer, "issuer", EXAMPLE_ISSUER);
        return new JwtSettings(issuer, keycloakJwksUri(issuer), null, DEFAULT_CLOCK_SKEW,
                DEFAULT_MIN_REFETCH_INTERVAL, DEFAULT_KEYS_REFRESH_INTERVAL, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT, Clock.systemUTC());
    }

    /** {@code <issuer>/protocol/openid-connect/certs}, as Keycloak publishes a realm's keys. */
    public static URI keycloakJwksUri(String issuer) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return URI.create(base + KEYCLOAK_JWKS_PATH);
    }

    /**
     * How old a key set that could not be refreshed may grow before tokens are refused with "unavailable" instead of
     * being verified against it: {@value #STALE_KEYS_FACTOR} refresh intervals.
     */
    public Duration keysMaxAge() {
        return keysRefreshInterval.multipliedBy(STALE_KEYS_FACTOR);
    }

    public JwtSettings withJwksUri(URI uri) {
        return new JwtSettings(issuer, uri, audience, clockSkew, minRefetchInterval, keysRefreshInterval,
                connectTimeout, requestTimeout, clock);
    }

    /** @param expected the client id tokens must be meant for, or {@code null} for any */
    public JwtSettings withAudience(String expected) {
        return new JwtSettings(issuer, jwksUri, expected, clockSkew, minRefetchInterval, keysRefreshInterval,
                connectTimeout, requestTimeout, clock);
    }

    public JwtSettings withClockSkew(Duration skew) {
        return new JwtSettings(issuer, jwksUri, audience, skew, minRefetchInterval, keysRefreshInterval,
                connectTimeout, requestTimeout, clock);
    }

    public JwtSettings withMinRefetchInterval(Duration interval) {
        return new JwtSettings(issuer, jwksUri, audience, clockSkew, interval, keysRefreshInterval, connectTimeout,
                requestTimeout, clock);
    }

    public JwtSettings withKeysRefreshInterval(Duration interval) {
        return new JwtSettings(issuer, jwksUri, audience, clockSkew, minRefetchInterval, interval, connectTimeout,
                requestTimeout, clock);
    }

    public JwtSettings withTimeouts(Duration connect, Duration request) {
        return new JwtSettings(issuer, jwksUri, audience, clockSkew, minRefetchInterval, keysRefreshInterval, connect,
                request, clock);
    }

    public JwtSettings withClock(Clock newClock) {
        return new JwtSettings(issuer, jwksUri, audience, clockSkew, minRefetchInterval, keysRefreshInterval,
                connectTimeout, requestTimeout, newClock);
    }

    private static void requireHttpUrl(String url, String name, String example) {
        String problem = null;
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                problem = "is not an absolute http(s) URL";
            }
        } catch (URISyntaxException e) {
            problem = "is not a valid URL";
        }
        if (problem != null) {
            throw new IllegalArgumentException(name + " '" + url + "' " + problem
                    + ": expected something like " + example);
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
