package io.wsbridge.bridge.auth;

/**
 * Who may read which application: an application is a group of the identity provider (in Keycloak by default
 * {@code /applications/<app>}); its members may read it, and the group attribute {@code public=true} lets anonymous
 * clients read it too. A subgroup may pin a filter: its members read only the events that match it. Implementations
 * cache answers with a short time to live and keep serving cached answers while the provider is unreachable.
 */
public interface ApplicationDirectory extends AutoCloseable {

    /** What the directory knows of one application. */
    enum Visibility {
        /** No such application. */
        UNKNOWN,
        /** Members only. */
        PRIVATE,
        /** Anyone, anonymous clients included. */
        PUBLIC
    }

    Visibility visibility(String application) throws IdentityUnavailableException;

    /**
     * Whether the user (by id) is a member of the application's group, or of a subgroup, and whether a filter
     * restricts what that membership reads.
     */
    Membership membership(String userId, String application) throws IdentityUnavailableException;

    /**
     * As {@link #visibility(String)} on behalf of {@code origin}, whose lookups may be limited.
     *
     * @throws LookupRefusedException a lookup was needed and a limit refused it
     */
    default Visibility visibility(String application, LookupOrigin origin) throws IdentityUnavailableException {
        return visibility(application);
    }

    /** As {@link #membership(String, String)} on behalf of {@code origin}, whose lookups may be limited. */
    default Membership membership(String userId, String application, LookupOrigin origin)
            throws IdentityUnavailableException {
        return membership(userId, application);
    }

    /** Whether the identity provider answered the last time it was asked (readiness). */
    default boolean reachable() {
        return true;
    }

    @Override
    default void close() {
    }
}
