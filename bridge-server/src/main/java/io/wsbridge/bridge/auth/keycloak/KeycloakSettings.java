package io.wsbridge.bridge.auth.keycloak;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach Keycloak as the bridge's service account, and how long to trust its answers.
 *
 * @param url the server's base URL, e.g. {@code http://127.0.0.1:8080} (no trailing {@code /realms/...})
 * @param realm the realm that holds users and application groups
 * @param clientId the confidential client whose service account asks the Admin API
 * @param clientSecret that client's secret; never printed by {@link #toString()}
 * @param applicationsGroup the path of the group whose subgroups are the applications, e.g. {@code /applications}
 * @param cacheTtl how long an answer is served without asking again (also: how long a revoked key or membership
 *     may still be honoured)
 * @param connectTimeout how long to wait for a connection to Keycloak
 * @param readTimeout how long to wait for one answer from Keycloak
 * @param retryBackoff after Keycloak failed to answer, how long to serve cached answers without trying again
 * @param cacheMaxEntries how many answers each cache holds before it forgets the least recently used (positive and
 *     negative answers apart, so that made-up names never push out real answers)
 * @param negativeCacheTtl as {@code cacheTtl} for negative answers (no such application, user or key; no member)
 * @param maxStale how old an answer may be and still serve while Keycloak cannot answer; older ones fail as
 *     unavailable, and sessions that depend on them end
 * @param lookups the limits on lookups that miss the cache
 */
public record KeycloakSettings(
        String url,
        String realm,
        String clientId,
        String clientSecret,
        String applicationsGroup,
        Duration cacheTtl,
        Duration connectTimeout,
        Duration readTimeout,
        Duration retryBackoff,
        int cacheMaxEntries,
        Duration negativeCacheTtl,
        Duration maxStale,
        Lookups lookups) {

    public static final String DEFAULT_APPLICATIONS_GROUP = "/applications";
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(2);
    public static final int DEFAULT_CACHE_MAX_ENTRIES = 10_000;
    public static final Duration DEFAULT_NEGATIVE_CACHE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MAX_STALE = Duration.ofMinutes(5);

    /**
     * The limits on Admin API lookups that clients' upgrades cause by missing the cache; the bridge's own checks of
     * open sessions are not held by them.
     *
     * @param maxConcurrent lookups running at once, over all clients; one more is refused with 503
     * @param perAddressPerSecond lookups one client address may cause per second, on average; more are refused with 429
     * @param perAddressBurst lookups one client address may cause at once after a quiet time
     */
    public record Lookups(int maxConcurrent, double perAddressPerSecond, int perAddressBurst) {

        public static final Lookups DEFAULT = new Lookups(8, 5, 20);

        public Lookups {
            if (maxConcurrent < 1) {
                throw new IllegalArgumentException("lookups.maxConcurrent must be at least 1, got " + maxConcurrent);
            }
            if (!(perAddressPerSecond > 0) || Double.isInfinite(perAddressPerSecond)) {
                throw new IllegalArgumentException("lookups.perAddressPerSecond must be positive, got "
                        + perAddressPerSecond);
            }
            if (perAddressBurst < 1) {
                throw new IllegalArgumentException("lookups.perAddressBurst must be at least 1, got "
                        + perAddressBurst);
            }
        }
    }

    public KeycloakSettings {
        url = stripTrailingSlashes(required(url, "url"));
        checkUrl(url);
        realm = required(realm, "realm");
        clientId = required(clientId, "clientId");
        clientSecret = required(clientSecret, "clientSecret");
        applicationsGroup = normalizeGroupPath(required(applicationsGroup, "applicationsGroup"));
        positive(cacheTtl, "cacheTtl");
        positive(connectTimeout, "connectTimeout");
        positive(readTimeout, "readTimeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        if (retryBackoff.isNegative()) {
            throw new IllegalArgumentException("retryBackoff must not be negative, got " + retryBackoff);
        }
        if (cacheMaxEntries < 1) {
            throw new IllegalArgumentException("cacheMaxEntries must be at least 1, got " + cacheMaxEntries);
        }
        positive(negativeCacheTtl, "negativeCacheTtl");
        positive(maxStale, "maxStale");
        Objects.requireNonNull(lookups, "lookups");
    }

    /** Settings with the defaults for everything but the connection to Keycloak. */
    public static KeycloakSettings of(String url, String realm, String clientId, String clientSecret) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, DEFAULT_APPLICATIONS_GROUP, DEFAULT_CACHE_TTL,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_RETRY_BACKOFF, DEFAULT_CACHE_MAX_ENTRIES,
                DEFAULT_NEGATIVE_CACHE_TTL, DEFAULT_MAX_STALE, Lookups.DEFAULT);
    }

    public KeycloakSettings withApplicationsGroup(String group) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, group, cacheTtl, connectTimeout, readTimeout,
                retryBackoff, cacheMaxEntries, negativeCacheTtl, maxStale, lookups);
    }

    public KeycloakSettings withCacheTtl(Duration ttl) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, ttl, connectTimeout,
                readTimeout, retryBackoff, cacheMaxEntries, negativeCacheTtl, maxStale, lookups);
    }

    public KeycloakSettings withTimeouts(Duration connect, Duration read) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connect, read,
                retryBackoff, cacheMaxEntries, negativeCacheTtl, maxStale, lookups);
    }

    public KeycloakSettings withRetryBackoff(Duration backoff) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connectTimeout,
                readTimeout, backoff, cacheMaxEntries, negativeCacheTtl, maxStale, lookups);
    }

    public KeycloakSettings withCacheMaxEntries(int entries) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connectTimeout,
                readTimeout, retryBackoff, entries, negativeCacheTtl, maxStale, lookups);
    }

    public KeycloakSettings withNegativeCacheTtl(Duration ttl) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connectTimeout,
                readTimeout, retryBackoff, cacheMaxEntries, ttl, maxStale, lookups);
    }

    public KeycloakSettings withMaxStale(Duration stale) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connectTimeout,
                readTimeout, retryBackoff, cacheMaxEntries, negativeCacheTtl, stale, lookups);
    }

    public KeycloakSettings withLookups(Lookups limits) {
        return new KeycloakSettings(url, realm, clientId, clientSecret, applicationsGroup, cacheTtl, connectTimeout,
                readTimeout, retryBackoff, cacheMaxEntries, negativeCacheTtl, maxStale, limits);
    }

    /** The group path of one application, e.g. {@code /applications/drogue-public-temperature}. */
    public String applicationGroupPath(String application) {
        return applicationsGroup.equals("/") ? "/" + application : applicationsGroup + "/" + application;
    }

    @Override
    public String toString() {
        return "KeycloakSettings[url=" + url + ", realm=" + realm + ", clientId=" + clientId + ", clientSecret=***"
                + ", applicationsGroup=" + applicationsGroup + ", cacheTtl=" + cacheTtl + ", connectTimeout="
                + connectTimeout + ", readTimeout=" + readTimeout + ", retryBackoff=" + retryBackoff
                + ", cacheMaxEntries=" + cacheMaxEntries + ", negativeCacheTtl=" + negativeCacheTtl + ", maxStale="
                + maxStale + ", lookups=" + lookups + "]";
    }

    private static String required(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value.trim();
    }

    private static void positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    private static String stripTrailingSlashes(String url) {
        String result = url;
        while (result.endsWith("/")) {
            result = result.substring(0, result.length() - 1);
        }
        return result;
    }

    private static void checkUrl(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url is not a valid URL: " + url, e);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("url must be an http:// or https:// URL with a host, got " + url);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("url must not carry user info: the service account's credentials are"
                    + " the client id and secret");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("url must not carry a query or fragment, got " + url);
        }
    }

    /** {@code applications/}, {@code /applications} and {@code /applications/} all mean {@code /applications}. */
    static String normalizeGroupPath(String path) {
        String trimmed = path.trim();
        String withSlash = trimmed.startsWith("/") ? trimmed : "/" + trimmed;
        String result = withSlash.length() > 1 ? stripTrailingSlashes(withSlash) : withSlash;
        if (result.isEmpty() || result.contains("//")) {
            throw new IllegalArgumentException("applicationsGroup is not a group path like /applications: " + path);
        }
        return result;
    }
}
